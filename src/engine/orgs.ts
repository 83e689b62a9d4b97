import { setTimeout as sleep } from "node:timers/promises";
import type { MigrationOrg } from "../model/user.js";
import type { OrgOutcome } from "../targets/types.js";
import { readMappedOrgs } from "./read.js";
import { DEFAULT_RETRY, withRetry, type RetryOptions } from "./retry.js";
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
export async function syncOrgs(session: Session, dryRun: boolean, retry: RetryOptions = DEFAULT_RETRY): Promise<{ map: Record<string, string>; summary: OrgSummary }> {
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
  const outcomes = await upsertOrgsReliably(session, todo, retry);
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

/** The request is retried on transient errors, and orgs the target failed get further rounds: a missing org would leave its users without their membership. */
async function upsertOrgsReliably(session: Session, orgs: MigrationOrg[], retry: RetryOptions): Promise<OrgOutcome[]> {
  const final = new Map<string, OrgOutcome>();
  let pending = orgs;
  for (let round = 0; pending.length; round++) {
    const outcomes = await withRetry(() => session.instance.upsertOrgs(pending), retry);
    const byId = new Map(outcomes.map((o) => [o.externalId, o]));
    const again: MigrationOrg[] = [];
    for (const org of pending) {
      const o = byId.get(org.externalId) ?? { externalId: org.externalId, status: "failed" as const, reason: "no_outcome_from_target" };
      if (o.status === "failed" && round < retry.retries && o.reason !== "orgs_not_supported") again.push(org);
      else final.set(org.externalId, o);
    }
    pending = again;
    if (pending.length) await sleep(Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** round));
  }
  return orgs.map((o) => final.get(o.externalId)!);
}
