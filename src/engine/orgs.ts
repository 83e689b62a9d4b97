import { readMappedOrgs } from "./read.js";
import type { Session } from "./session.js";

export interface OrgSummary {
  total: number;
  created: number;
  existing: number;
  failed: { location: string; reason: string }[];
}

/**
 * Orgs first (seed 000: "create organizations first"): every legacy tenant gets a target org,
 * and the legacy → target id map is stored in the ledger for the user pass.
 */
export async function syncOrgs(session: Session, dryRun: boolean): Promise<{ map: Record<string, string>; summary: OrgSummary }> {
  const { ledger, instance, target, config, cwd } = session;
  const map: Record<string, string> = {};
  const summary: OrgSummary = { total: 0, created: 0, existing: 0, failed: [] };
  if (!target.capabilities.orgs) return { map, summary };
  const known = await ledger.getOrgs();
  for (const [id, row] of known) if (row.targetId && row.status !== "rolled_back") map[id] = row.targetId;
  const mapped = await readMappedOrgs(config, cwd);
  const todo = [];
  for (const m of mapped) {
    summary.total++;
    if ("error" in m) summary.failed.push({ location: m.location, reason: m.error });
    else if (map[m.org.externalId]) summary.existing++;
    else todo.push(m.org);
  }
  if (dryRun || todo.length === 0) return { map, summary };
  const outcomes = await instance.upsertOrgs(todo);
  await ledger.recordOrgs(
    outcomes.map((o) => ({ externalId: o.externalId, targetId: o.targetId ?? null, status: o.status, reason: o.reason ?? null })),
  );
  for (const o of outcomes) {
    if (o.status === "failed" || !o.targetId) summary.failed.push({ location: `org ${o.externalId}`, reason: o.reason ?? "failed" });
    else {
      map[o.externalId] = o.targetId;
      if (o.status === "created") summary.created++;
      else summary.existing++;
    }
  }
  return { map, summary };
}
