import type { Config } from "../config/schema.js";
import type { LedgerUser } from "../ledger/types.js";
import type { MigrationUser } from "../model/user.js";
import type { TargetUserView } from "../targets/types.js";
import { ProgressTracker, type ProgressFn } from "./progress.js";
import { openUserSource, readMappedUsers } from "./read.js";
import { openSession, type Session } from "./session.js";

export interface Mismatch {
  externalId: string;
  field: string;
  expected: unknown;
  actual: unknown;
}

export type CheckStatus = "pass" | "fail" | "skip";

/** One item of seed 000's verification checklist, machine-checked. */
export interface Check {
  id: "counts" | "present" | "no_duplicates" | "fields" | "memberships" | "roles" | "licenses" | "external_id" | "sign_in";
  title: string;
  status: CheckStatus;
  /** What was measured: counts, or the first offending ids. */
  evidence: string;
}

export interface VerifyReport {
  target: string;
  /** Records in the source. */
  sourceRecords: number;
  /** Ledger says migrated (created, updated or linked to an existing target user). */
  migrated: number;
  /** Ledger says failed or skipped, with a reason (accounted for, not lost). */
  notMigrated: number;
  /** Source records the ledger has never heard of (or whose request never finished): `run` has not processed them yet. */
  unprocessed: number;
  /** Users in the target (may include users that were there before the migration). */
  targetUsers: number;
  checked: number;
  missingInTarget: string[];
  duplicates: string[];
  mismatches: Mismatch[];
  signIns: { email: string; ok: boolean }[];
  checks: Check[];
  ok: boolean;
}

export interface VerifyOptions {
  config: Config;
  cwd: string;
  /** Check every n-th migrated user in the target instead of all. */
  sample?: number;
  /** Pilot credentials that must sign in at the target. Never printed back, only their emails. */
  signIn?: { email: string; password: string }[];
  onProgress?: ProgressFn;
}

const NOT_MIGRATED = /^(duplicate_of|inactive|transform_skip)/;

/** Strategies under which the user's password hash was sent to the target. */
const HASH_SENT = new Set(["native", "re-encode"]);

function compareFields(user: MigrationUser, row: LedgerUser, view: TargetUserView, orgIds: Map<string, string>, out: Mismatch[]): void {
  const id = user.externalId;
  if (user.email && view.email !== undefined && view.email.toLowerCase() !== user.email) {
    out.push({ externalId: id, field: "email", expected: user.email, actual: view.email });
  }
  if (view.disabled !== undefined && view.disabled !== (user.status === "disabled")) {
    out.push({ externalId: id, field: "status", expected: user.status, actual: view.disabled ? "disabled" : "active" });
  }
  if (user.credential.kind === "hash" && HASH_SENT.has(row.strategy ?? "native") && !view.hasPassword) {
    out.push({ externalId: id, field: "password", expected: "present", actual: "missing" });
  }
  if (view.missingLicenses?.length) {
    out.push({ externalId: id, field: "licenses", expected: view.missingLicenses, actual: "missing" });
  }
  if (view.externalId !== undefined && view.externalId !== id) {
    out.push({ externalId: id, field: "externalId", expected: id, actual: view.externalId });
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

const first = (ids: string[], n = 5): string => (ids.length ? `: ${ids.slice(0, n).join(", ")}${ids.length > n ? ` (+${ids.length - n} more)` : ""}` : "");

function checklist(r: VerifyReport, lookups: boolean, externalIdsSeen: number, licensesSeen: number, signInAsked: boolean): Check[] {
  const byField = (pred: (m: Mismatch) => boolean): Mismatch[] => r.mismatches.filter(pred);
  const fieldMismatches = byField((m) => ["email", "status", "password"].includes(m.field));
  const membership = byField((m) => m.field.startsWith("memberships.") && !m.field.endsWith(".roles"));
  const roles = byField((m) => m.field.endsWith(".roles"));
  const ext = byField((m) => m.field === "externalId");
  const lic = byField((m) => m.field === "licenses");
  const accounted = r.migrated + r.notMigrated;
  return [
    {
      id: "counts",
      title: "User count matches: every source record is migrated or reported with a reason",
      status: r.unprocessed === 0 && accounted === r.sourceRecords ? "pass" : "fail",
      evidence: `${r.sourceRecords} source records = ${r.migrated} migrated + ${r.notMigrated} reported; ${r.unprocessed} not processed; ${r.targetUsers} users in target`,
    },
    { id: "present", title: "Every migrated user exists in the target", status: r.missingInTarget.length ? "fail" : "pass", evidence: `${r.checked} checked, ${r.missingInTarget.length} missing${first(r.missingInTarget)}` },
    {
      id: "no_duplicates",
      title: "No duplicate accounts: each migrated email resolves to the ledger's target user",
      status: !lookups ? "skip" : r.duplicates.length ? "fail" : "pass",
      evidence: lookups ? `${r.checked} resolved, ${r.duplicates.length} resolve elsewhere${first(r.duplicates)}` : "the target has no lookup endpoint",
    },
    { id: "fields", title: "Email, status and password match", status: fieldMismatches.length ? "fail" : "pass", evidence: `${fieldMismatches.length} mismatches${first(fieldMismatches.map((m) => `${m.externalId}.${m.field}`))}` },
    { id: "memberships", title: "Users are assigned to the correct organizations", status: membership.length ? "fail" : "pass", evidence: `${membership.length} missing memberships${first(membership.map((m) => m.externalId))}` },
    { id: "roles", title: "Roles are correct", status: roles.length ? "fail" : "pass", evidence: `${roles.length} wrong roles${first(roles.map((m) => m.externalId))}` },
    {
      id: "licenses",
      title: "App licenses assigned",
      status: licensesSeen === 0 ? "skip" : lic.length ? "fail" : "pass",
      evidence: licensesSeen === 0 ? "the target has no licenses" : `${licensesSeen} checked, ${lic.length} missing licenses${first(lic.map((m) => m.externalId))}`,
    },
    {
      id: "external_id",
      title: "Legacy id preserved (externalId populated)",
      status: externalIdsSeen === 0 ? "skip" : ext.length ? "fail" : "pass",
      evidence: externalIdsSeen === 0 ? "the target does not expose an external id; the ledger holds the mapping (export-mapping)" : `${externalIdsSeen} seen, ${ext.length} wrong${first(ext.map((m) => m.externalId))}`,
    },
    {
      id: "sign_in",
      title: "Login works for the pilot credentials",
      status: !signInAsked ? "skip" : r.signIns.every((s) => s.ok) ? "pass" : "fail",
      evidence: signInAsked ? r.signIns.map((s) => `${s.email}: ${s.ok ? "ok" : "FAILED"}`).join(", ") : "no --sign-in credentials given",
    },
  ];
}

/**
 * Seed 000's verification checklist as one command: counts reconcile (every source record is
 * migrated or reported with a reason), every migrated user exists in the target with the right
 * email, status, password presence, orgs and roles, no email resolves to a second account, and
 * pilot users can sign in.
 */
export async function verifyMigration(opts: VerifyOptions): Promise<VerifyReport> {
  const session = await openSession(opts.config, opts.cwd);
  try {
    return await verifyInSession(session, opts);
  } finally {
    await session.close();
  }
}

async function verifyInSession(session: Session, opts: VerifyOptions): Promise<VerifyReport> {
  const { ledger, instance, target } = session;
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
    duplicates: [],
    mismatches: [],
    signIns: [],
    checks: [],
    ok: false,
  };
  let externalIdsSeen = 0;
  let licensesSeen = 0;
  const source = await openUserSource(opts.config, opts.cwd);
  const tracker = new ProgressTracker(await source.count().catch(() => undefined), {}, opts.onProgress);
  const every = opts.sample && opts.sample > 0 ? opts.sample : 1;
  try {
    let batch: { externalId?: string; user?: MigrationUser }[] = [];
    const flush = async (): Promise<void> => {
      const rows = await ledger.getUsers(batch.flatMap((b) => (b.externalId ? [b.externalId] : [])));
      const toCheck: { user: MigrationUser; row: LedgerUser }[] = [];
      for (const b of batch) {
        const row = b.externalId ? rows.get(b.externalId) : undefined;
        if (!row || row.status === "pending") {
          // Records without an id are reported by run (location-keyed), never in the ledger.
          if (b.externalId) report.unprocessed++;
          else report.notMigrated++;
          continue;
        }
        // A record deliberately left out this time (duplicate loser, inactive, transform skip) is
        // accounted for with its reason, even if an earlier run had linked it to a target user.
        if (!row.targetId || row.status === "failed" || row.status === "rolled_back" || (row.status === "skipped" && NOT_MIGRATED.test(row.reason ?? ""))) {
          report.notMigrated++;
          continue;
        }
        report.migrated++;
        if (b.user && report.migrated % every === 0) toCheck.push({ user: b.user, row });
      }
      const resolved = instance.lookupUsers ? await instance.lookupUsers(toCheck.map((c) => c.user)) : undefined;
      for (const { user, row } of toCheck) {
        report.checked++;
        const found = resolved?.get(user.externalId);
        if (resolved && found && found.targetId !== row.targetId) report.duplicates.push(user.externalId);
        const view = await instance.getUser(row.targetId!);
        if (!view) report.missingInTarget.push(user.externalId);
        else {
          if (view.externalId !== undefined) externalIdsSeen++;
          if (view.missingLicenses !== undefined) licensesSeen++;
          // A linked pre-existing account carries the target's data, not ours: only presence is checked.
          if (row.createdRun !== null || row.status !== "skipped") compareFields(user, row, view, orgIds, report.mismatches);
        }
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
  for (const cred of opts.signIn ?? []) {
    report.signIns.push({ email: cred.email, ok: instance.signIn ? await instance.signIn(cred.email, cred.password).catch(() => false) : false });
  }
  report.checks = checklist(report, !!instance.lookupUsers, externalIdsSeen, licensesSeen, (opts.signIn ?? []).length > 0);
  report.ok = report.checks.every((c) => c.status !== "fail");
  return report;
}
