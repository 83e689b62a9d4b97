import type { Config } from "../config/schema.js";
import type { MigrationUser } from "../model/user.js";
import type { TargetUserView } from "../targets/types.js";
import { openUserSource, readMappedUsers } from "./read.js";
import { openSession } from "./session.js";
import { ProgressTracker, type ProgressFn } from "./progress.js";

export interface Mismatch {
  externalId: string;
  field: string;
  expected: unknown;
  actual: unknown;
}

export interface VerifyReport {
  target: string;
  /** Records in the source. */
  sourceRecords: number;
  /** Ledger says migrated (created, updated or linked to an existing target user). */
  migrated: number;
  /** Ledger says failed or skipped, with a reason (accounted for, not lost). */
  notMigrated: number;
  /** Source records the ledger has never heard of: `run` has not processed them yet. */
  unprocessed: number;
  /** Users in the target (may include users that were there before the migration). */
  targetUsers: number;
  checked: number;
  missingInTarget: string[];
  mismatches: Mismatch[];
  ok: boolean;
}

function compare(user: MigrationUser, view: TargetUserView, orgIds: Map<string, string>, out: Mismatch[]): void {
  const id = user.externalId;
  if (user.email && view.email !== undefined && view.email.toLowerCase() !== user.email) {
    out.push({ externalId: id, field: "email", expected: user.email, actual: view.email });
  }
  if (view.disabled !== undefined && view.disabled !== (user.status === "disabled")) {
    out.push({ externalId: id, field: "status", expected: user.status, actual: view.disabled ? "disabled" : "active" });
  }
  if (user.credential.kind === "hash" && !view.hasPassword) {
    out.push({ externalId: id, field: "password", expected: "present", actual: "missing" });
  }
  for (const m of user.memberships) {
    const orgId = orgIds.get(m.orgExternalId);
    if (!orgId) continue; // org never created: reported by run as a warning
    const roles = view.memberships[orgId];
    if (!roles) out.push({ externalId: id, field: `memberships.${m.orgExternalId}`, expected: m.roles, actual: null });
    else if ([...m.roles].sort().join(",") !== [...roles].sort().join(",")) {
      out.push({ externalId: id, field: `memberships.${m.orgExternalId}.roles`, expected: m.roles, actual: roles });
    }
  }
}

/**
 * Seed 000's verification checklist as one command: counts reconcile (every source record is
 * migrated or reported with a reason), every migrated user exists in the target with the right
 * email, status, password presence, orgs and roles.
 */
export async function verifyMigration(opts: { config: Config; cwd: string; sample?: number; onProgress?: ProgressFn }): Promise<VerifyReport> {
  const session = await openSession(opts.config, opts.cwd);
  const { ledger, instance, target } = session;
  try {
    const orgIds = new Map<string, string>();
    for (const [id, row] of await ledger.getOrgs()) if (row.targetId) orgIds.set(id, row.targetId);
    const report: VerifyReport = {
      target: target.id,
      sourceRecords: 0,
      migrated: 0,
      notMigrated: 0,
      unprocessed: 0,
      targetUsers: await instance.countUsers(),
      checked: 0,
      missingInTarget: [],
      mismatches: [],
      ok: false,
    };
    const source = await openUserSource(opts.config, opts.cwd);
    const tracker = new ProgressTracker(await source.count().catch(() => undefined), {}, opts.onProgress);
    const every = opts.sample && opts.sample > 0 ? opts.sample : 1;
    try {
      let batch: { externalId?: string; user?: MigrationUser }[] = [];
      const flush = async (): Promise<void> => {
        const rows = await ledger.getUsers(batch.flatMap((b) => (b.externalId ? [b.externalId] : [])));
        for (const b of batch) {
          const row = b.externalId ? rows.get(b.externalId) : undefined;
          if (!row) {
            // Records without an id are reported by run (location-keyed), never in the ledger.
            if (b.externalId) report.unprocessed++;
            else report.notMigrated++;
            continue;
          }
          if (!row.targetId || row.status === "failed" || row.status === "rolled_back") {
            report.notMigrated++;
            continue;
          }
          report.migrated++;
          if (!b.user || report.migrated % every !== 0) continue;
          report.checked++;
          const view = await instance.getUser(row.targetId);
          if (!view) report.missingInTarget.push(b.externalId!);
          else if (row.status !== "skipped" || row.reason !== "exists_by_email") compare(b.user, view, orgIds, report.mismatches);
        }
        tracker.tick(batch.length);
        batch = [];
      };
      for await (const rec of readMappedUsers(opts.config, source)) {
        report.sourceRecords++;
        batch.push({ ...(rec.externalId ? { externalId: rec.externalId } : {}), ...(rec.user ? { user: rec.user } : {}) });
        if (batch.length >= 500) await flush();
      }
      await flush();
    } finally {
      await source.close();
    }
    report.ok = report.missingInTarget.length === 0 && report.mismatches.length === 0 && report.unprocessed === 0;
    return report;
  } finally {
    await session.close();
  }
}
