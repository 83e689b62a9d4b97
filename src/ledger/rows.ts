import type { LedgerIntent, LedgerOrg, LedgerStatus, LedgerUser, LedgerUserWrite, RunRecord } from "./types.js";

/** Row shapes as both SQL backends return them (snake_case). */
export interface UserRow {
  external_id: string;
  email: string | null;
  digest: string | null;
  target_id: string | null;
  status: string;
  reason: string | null;
  strategy: string | null;
  attempts: number | string;
  run_id: number | string;
  created_run: number | string | null;
  updated_at: string;
}

export function toLedgerUser(r: UserRow): LedgerUser {
  return {
    externalId: r.external_id,
    email: r.email,
    digest: r.digest,
    targetId: r.target_id,
    status: r.status as LedgerStatus,
    reason: r.reason,
    strategy: r.strategy,
    attempts: Number(r.attempts),
    runId: Number(r.run_id),
    createdRun: r.created_run === null ? null : Number(r.created_run),
    updatedAt: r.updated_at,
  };
}

export interface IntentRow {
  id: number | string;
  run_id: number | string;
  external_ids: string;
}

export function toLedgerIntent(r: IntentRow): LedgerIntent {
  return { id: Number(r.id), runId: Number(r.run_id), externalIds: JSON.parse(r.external_ids) as string[] };
}

export interface OrgRow {
  external_id: string;
  target_id: string | null;
  status: string;
  reason: string | null;
}

export function toLedgerOrg(r: OrgRow): LedgerOrg {
  return { externalId: r.external_id, targetId: r.target_id, status: r.status as LedgerStatus, reason: r.reason };
}

export interface RunRow {
  id: number | string;
  kind: string;
  target: string;
  started_at: string;
  finished_at: string | null;
  status: string;
  counts: string;
}

export function toRunRecord(r: RunRow): RunRecord {
  return {
    id: Number(r.id),
    kind: r.kind as RunRecord["kind"],
    target: r.target,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    status: r.status as RunRecord["status"],
    counts: JSON.parse(r.counts) as Record<string, number>,
  };
}

/** `inFlight`: users of open intents without a row (ledger/schema-sql.ts inFlightSql), counted as `pending`. */
export function countsByStatus(rows: { status: string; n: number | string }[], inFlight: number | string = 0): Record<LedgerStatus, number> {
  const out: Record<LedgerStatus, number> = { pending: 0, created: 0, updated: 0, skipped: 0, failed: 0, rolled_back: 0 };
  for (const r of rows) out[r.status as LedgerStatus] = Number(r.n);
  out.pending += Number(inFlight);
  return out;
}

export const now = (): string => new Date().toISOString();

/** The fact columns of UPSERT_USER_SQL, in order (null = unknown: the stored value is kept). */
export function factParams(w: LedgerUserWrite): (number | string | null)[] {
  const f = w.facts;
  return f ? [f.emailVerified ? 1 : 0, f.hasLoggedIn ? 1 : 0, f.org, f.hashFormat] : [null, null, null, null];
}
