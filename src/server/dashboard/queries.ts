/**
 * What the dashboard shows, computed from the ledger on every request (no cache: the page must
 * agree with the ledger while a run writes). Every user-level answer is an explicit whitelist of
 * columns: the digest, hashes and passwords are never selected.
 */
import { buildStatus, pct, type HealthFacts, type MigrationStatus } from "../../engine/status.js";
import { LAZY_REASON } from "../lazy.js";
import type { Ledger, LedgerSummary } from "../../ledger/types.js";
import type { ReadDb } from "./db.js";
import { inFlightSql } from "../../ledger/schema-sql.js";

export interface DashboardSource {
  ledger: Ledger;
  db: ReadDb;
  /** The ledger's target key (rows are scoped by it). */
  target: string;
}

/** A lazy (on-login) row: written by src/server/lazy.ts with reason `lazy_login[:…]`. */
const LAZY_SQL = `(reason = '${LAZY_REASON}' OR reason LIKE '${LAZY_REASON}:%')`;
const DONE_SQL = `status IN ('created', 'updated', 'skipped')`;

export interface RunHeartbeat {
  runId: number;
  status: string;
  startedAt: string;
  finishedAt: string | null;
  processed: number;
  total: number | null;
  /** Users per second since the run started. */
  rate: number;
  etaSeconds: number | null;
  at: string;
  requests?: { requestRate: number; throttledRate: number; limit: number; allowed: number; acquired: number; throttled: number };
}

export interface Overview {
  target: string;
  ledger: string;
  total: number;
  migrated: number;
  remaining: number;
  users: LedgerSummary["users"];
  linked: number;
  split: { bulk: number; lazy: number };
  status: MigrationStatus;
  run: RunHeartbeat | null;
  generatedAt: string;
}

const n = (v: unknown): number => Number(v ?? 0);

/** The latest bulk run with a heartbeat (the lazy recorder's run never writes one). */
export async function latestRun(s: DashboardSource): Promise<RunHeartbeat | null> {
  const rows = await s.db.all<{ id: number | string; status: string; started_at: string; finished_at: string | null; progress: string }>(
    "SELECT id, status, started_at, finished_at, progress FROM am_runs WHERE target = ? AND kind = 'run' AND progress IS NOT NULL ORDER BY id DESC LIMIT 1",
    [s.target],
  );
  const r = rows[0];
  if (!r) return null;
  const p = JSON.parse(r.progress) as Omit<RunHeartbeat, "runId" | "status" | "startedAt" | "finishedAt">;
  const running = r.status === "running";
  return {
    ...p,
    runId: n(r.id),
    status: r.status,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    // A finished run has no current rate or ETA.
    etaSeconds: running ? p.etaSeconds : null,
    ...(p.requests ? { requests: running ? p.requests : { ...p.requests, requestRate: 0, throttledRate: 0 } } : {}),
  };
}

interface Aggregate {
  summary: Pick<LedgerSummary, "users" | "linked" | "orgs">;
  facts: HealthFacts;
  lazy: number;
}

/**
 * Everything the overview counts, in ONE pass over the target's rows (plus the small org table):
 * per status, linked, lazy, and seed 000's health facts over migrated users (done + target id).
 */
export async function aggregate(s: DashboardSource): Promise<Aggregate> {
  const migrated = `${DONE_SQL} AND target_id IS NOT NULL`;
  const [rows, orgRows, [inFlight]] = await Promise.all([
    s.db.all<Record<string, unknown>>(
      `SELECT status, COUNT(*) AS n,
              SUM(CASE WHEN target_id IS NOT NULL THEN 1 ELSE 0 END) AS with_target,
              SUM(CASE WHEN ${migrated} AND ${LAZY_SQL} THEN 1 ELSE 0 END) AS lazy,
              SUM(CASE WHEN ${migrated} AND email_verified = 1 THEN 1 ELSE 0 END) AS ev,
              SUM(CASE WHEN ${migrated} AND has_logged_in = 1 THEN 1 ELSE 0 END) AS li,
              SUM(CASE WHEN ${migrated} AND org IS NOT NULL THEN 1 ELSE 0 END) AS org
         FROM am_users WHERE target = ? GROUP BY status`,
      [s.target],
    ),
    s.db.all<{ status: string; n: number | string }>("SELECT status, COUNT(*) AS n FROM am_orgs WHERE target = ? GROUP BY status", [s.target]),
    // A ledger last opened by an older version has no intents table until a run or serve opens it.
    s.db.hasTable("am_intents").then((has) => (has ? s.db.all<{ n: number | string }>(inFlightSql(s.db.kind), [s.target]) : [])),
  ]);
  const users: LedgerSummary["users"] = { pending: 0, created: 0, updated: 0, skipped: 0, failed: 0, rolled_back: 0 };
  const orgs: LedgerSummary["orgs"] = { ...users };
  let linked = 0;
  let lazy = 0;
  let done = 0;
  const f = { ev: 0, li: 0, org: 0 };
  for (const r of rows) {
    const st = String(r.status) as keyof typeof users;
    users[st] = n(r.n);
    if (st === "skipped") linked = n(r.with_target);
    if (st === "created" || st === "updated" || st === "skipped") done += n(r.with_target);
    lazy += n(r.lazy);
    f.ev += n(r.ev);
    f.li += n(r.li);
    f.org += n(r.org);
  }
  for (const r of orgRows) orgs[r.status as keyof typeof orgs] = n(r.n);
  // Users of requests in flight that have no row yet (ledger/schema-sql.ts inFlightSql).
  users.pending += n(inFlight?.n ?? 0);
  return {
    summary: { users, linked, orgs },
    lazy,
    facts: {
      emailVerified: f.ev,
      emailVerifiedPercentage: pct(f.ev, done),
      hasLoggedIn: f.li,
      hasLoggedInPercentage: pct(f.li, done),
      hasOrganization: f.org,
      hasOrganizationPercentage: pct(f.org, done),
    },
  };
}

export async function overview(s: DashboardSource): Promise<Overview> {
  const [agg, run] = await Promise.all([aggregate(s), latestRun(s)]);
  const u = agg.summary.users;
  const status = buildStatus({ ...agg.summary, target: s.target, reasons: [], runs: [] }, null, agg.facts);
  const migrated = status.migrationProgress.migratedUsers;
  const inLedger = u.created + u.updated + u.skipped + u.failed + u.pending;
  // The source's record count as the last bulk run saw it; before any run, what the ledger knows.
  const total = Math.max(run?.total ?? 0, inLedger);
  return {
    target: s.target,
    ledger: s.ledger.describe(),
    total,
    migrated,
    remaining: Math.max(0, total - (inLedger - u.pending)),
    users: u,
    linked: agg.summary.linked,
    split: { bulk: migrated - agg.lazy, lazy: agg.lazy },
    status,
    run,
    generatedAt: new Date().toISOString(),
  };
}

export interface TimelinePoint {
  minute: string;
  created: number;
  updated: number;
  skipped: number;
  failed: number;
  lazy: number;
  bulk: number;
}

/**
 * Outcomes per minute, by the minute of each user's latest ledger write (a user re-written by a
 * later run moves to that minute). `minutes` bounds the window (default: the last 24 h).
 */
export async function timeline(s: DashboardSource, minutes = 1440): Promise<TimelinePoint[]> {
  const since = new Date(Date.now() - minutes * 60_000).toISOString();
  const rows = await s.db.all<{ minute: string; status: string; lazy: number | string; n: number | string }>(
    `SELECT substr(updated_at, 1, 16) AS minute, status, CASE WHEN ${LAZY_SQL} THEN 1 ELSE 0 END AS lazy, COUNT(*) AS n
       FROM am_users WHERE target = ? AND updated_at >= ? AND status IN ('created', 'updated', 'skipped', 'failed')
      GROUP BY 1, 2, 3 ORDER BY 1`,
    [s.target, since],
  );
  const byMinute = new Map<string, TimelinePoint>();
  for (const r of rows) {
    const p = byMinute.get(r.minute) ?? { minute: r.minute, created: 0, updated: 0, skipped: 0, failed: 0, lazy: 0, bulk: 0 };
    p[r.status as "created"] += n(r.n);
    if (r.status !== "failed") p[n(r.lazy) ? "lazy" : "bulk"] += n(r.n);
    byMinute.set(r.minute, p);
  }
  return [...byMinute.values()];
}

export interface FailureFilter {
  reason?: string;
  org?: string;
  run?: number;
  limit?: number;
}

export interface FailureRow {
  externalId: string;
  email: string | null;
  reason: string | null;
  org: string | null;
  runId: number;
  attempts: number;
  updatedAt: string;
}

/** The engine marks these reason families retryable (write-users.ts, run.ts): a re-run may fix them. */
const RETRYABLE_FAMILIES = new Set(["target_error", "lookup_failed", "no_outcome_from_target"]);
export const reasonFamily = (r: string | null): string => (r ?? "").split(":")[0]!;
export const isRetryableReason = (r: string | null): boolean => RETRYABLE_FAMILIES.has(reasonFamily(r));

function failureWhere(s: DashboardSource, f: FailureFilter): { where: string; params: unknown[] } {
  const parts = ["target = ?", "status = 'failed'"];
  const params: unknown[] = [s.target];
  if (f.reason) {
    // A family (`target_error`) matches every `target_error:…`; a full reason matches itself.
    parts.push("(reason = ? OR reason LIKE ?)");
    params.push(f.reason, `${f.reason.replace(/[%_]/g, "")}:%`);
  }
  if (f.org) {
    parts.push("org = ?");
    params.push(f.org);
  }
  if (f.run !== undefined) {
    parts.push("run_id = ?");
    params.push(f.run);
  }
  return { where: parts.join(" AND "), params };
}

export async function failures(s: DashboardSource, f: FailureFilter): Promise<{ total: number; rows: FailureRow[] }> {
  const { where, params } = failureWhere(s, f);
  const [count] = await s.db.all<{ n: number | string }>(`SELECT COUNT(*) AS n FROM am_users WHERE ${where}`, params);
  const rows = await s.db.all<{ external_id: string; email: string | null; reason: string | null; org: string | null; run_id: number | string; attempts: number | string; updated_at: string }>(
    `SELECT external_id, email, reason, org, run_id, attempts, updated_at FROM am_users WHERE ${where} ORDER BY external_id LIMIT ${Math.max(1, Math.min(f.limit ?? 500, 100_000))}`,
    params,
  );
  return {
    total: n(count?.n),
    rows: rows.map((r) => ({ externalId: r.external_id, email: r.email, reason: r.reason, org: r.org, runId: n(r.run_id), attempts: n(r.attempts), updatedAt: r.updated_at })),
  };
}

/** Filter choices for the failures table: reason families, orgs and runs that have failures. */
export async function failureFacets(s: DashboardSource): Promise<{ reasons: { reason: string; count: number }[]; orgs: string[]; runs: number[] }> {
  const rows = await s.db.all<{ reason: string | null; org: string | null; run_id: number | string }>(
    "SELECT reason, org, run_id FROM am_users WHERE target = ? AND status = 'failed'",
    [s.target],
  );
  const reasons = new Map<string, number>();
  const orgs = new Set<string>();
  const runs = new Set<number>();
  for (const r of rows) {
    const fam = reasonFamily(r.reason) || "unknown";
    reasons.set(fam, (reasons.get(fam) ?? 0) + 1);
    if (r.org) orgs.add(r.org);
    runs.add(n(r.run_id));
  }
  return {
    reasons: [...reasons].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count),
    orgs: [...orgs].sort(),
    runs: [...runs].sort((a, b) => b - a),
  };
}

export interface UserView {
  externalId: string;
  targetId: string | null;
  email: string | null;
  status: string;
  path: "bulk" | "lazy";
  attempts: number;
  lastError: string | null;
  reason: string | null;
  strategy: string | null;
  hashFormat: string | null;
  emailVerified: boolean | null;
  hasLoggedIn: boolean | null;
  org: string | null;
  runId: number;
  updatedAt: string;
}

/** Lookup by legacy id, target id or email (exact, case-insensitive), or an email prefix. */
export async function findUsers(s: DashboardSource, q: string, limit = 20): Promise<UserView[]> {
  const term = q.trim();
  if (!term) return [];
  // Ledger emails are normalised (trimmed, lower-cased) by the mapping. On SQLite (binary
  // collation) an exact email or a prefix is a range on the (target, email) index, not a scan;
  // PostgreSQL's collations do not order that way, so it uses LIKE.
  const lower = term.toLowerCase();
  const emailPrefix = s.db.kind === "sqlite" ? "(email >= ? AND email < ?)" : "email LIKE ?";
  const emailParams = s.db.kind === "sqlite" ? [lower, `${lower}\uffff`] : [`${lower.replace(/[\\%_]/g, "")}%`];
  const cols = "external_id, target_id, email, status, reason, strategy, attempts, hash_format, email_verified, has_logged_in, org, run_id, updated_at";
  const cap = Math.max(1, Math.min(limit, 100));
  // One indexed probe per key (an OR across columns would scan the ledger), then the exact matches first.
  const rows = await s.db.all<Record<string, unknown>>(
    `SELECT * FROM (
       SELECT * FROM (SELECT ${cols} FROM am_users WHERE target = ? AND external_id = ?) a
       UNION SELECT * FROM (SELECT ${cols} FROM am_users WHERE target = ? AND target_id = ? LIMIT ${cap}) b
       UNION SELECT * FROM (SELECT ${cols} FROM am_users WHERE target = ? AND ${emailPrefix} ORDER BY email LIMIT ${cap}) c
     ) u
     ORDER BY CASE WHEN external_id = ? OR email = ? THEN 0 ELSE 1 END, external_id LIMIT ${cap}`,
    [s.target, term, s.target, term, s.target, ...emailParams, term, lower],
  );
  const bool = (v: unknown): boolean | null => (v === null || v === undefined ? null : Number(v) === 1);
  return rows.map((r) => {
    const reason = (r.reason as string | null) ?? null;
    const status = String(r.status);
    return {
      externalId: String(r.external_id),
      targetId: (r.target_id as string | null) ?? null,
      email: (r.email as string | null) ?? null,
      status,
      path: reason === LAZY_REASON || reason?.startsWith(`${LAZY_REASON}:`) ? "lazy" : "bulk",
      attempts: n(r.attempts),
      lastError: status === "failed" ? reason : null,
      reason,
      strategy: (r.strategy as string | null) ?? null,
      hashFormat: (r.hash_format as string | null) ?? null,
      emailVerified: bool(r.email_verified),
      hasLoggedIn: bool(r.has_logged_in),
      org: (r.org as string | null) ?? null,
      runId: n(r.run_id),
      updatedAt: String(r.updated_at),
    };
  });
}

/** Password strategies chosen and legacy hash formats found, over every user in the ledger. */
export async function strategies(s: DashboardSource): Promise<{ strategies: { strategy: string; count: number }[]; hashFormats: { format: string; count: number }[] }> {
  const [st, hf] = await Promise.all([
    s.db.all<{ k: string | null; n: number | string }>("SELECT strategy AS k, COUNT(*) AS n FROM am_users WHERE target = ? GROUP BY strategy ORDER BY 2 DESC", [s.target]),
    s.db.all<{ k: string | null; n: number | string }>("SELECT hash_format AS k, COUNT(*) AS n FROM am_users WHERE target = ? GROUP BY hash_format ORDER BY 2 DESC", [s.target]),
  ]);
  return {
    // null = no strategy decided (failed or skipped records) / no password hash in the legacy record.
    strategies: st.map((r) => ({ strategy: r.k ?? "(not migrated)", count: n(r.n) })),
    hashFormats: hf.map((r) => ({ format: r.k ?? "(no hash)", count: n(r.n) })),
  };
}

/**
 * Reconcile drift: the latest row of the reconcile summary table (`am_reconcile`, written by
 * `authmigrate reconcile`, src/reconcile/summary-store.ts) for this target, its JSON summary
 * expanded. Read only if the table exists (serve never creates it). `null` = reconcile never ran.
 */
export async function reconcileSummary(s: DashboardSource): Promise<Record<string, unknown> | null> {
  const tables = await s.db.tablesLike("am_reconcile");
  for (const t of tables) {
    if (!/^am_reconcile\w*$/.test(t)) continue;
    const cols = s.db.kind === "sqlite"
      ? (await s.db.all<{ name: string }>(`PRAGMA table_info(${t})`)).map((c) => c.name)
      : (await s.db.all<{ c: string }>("SELECT column_name AS c FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ?", [t])).map((c) => c.c);
    const scoped = cols.includes("target");
    const order = ["finished_at", "created_at", "at", "id"].find((c) => cols.includes(c)) ?? cols[0];
    if (!order) continue;
    const rows = await s.db.all<Record<string, unknown>>(`SELECT * FROM ${t}${scoped ? " WHERE target = ?" : ""} ORDER BY ${order} DESC LIMIT 1`, scoped ? [s.target] : []);
    const row = rows[0];
    if (!row) continue;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(row)) {
      if (k === "target") continue;
      if (typeof v === "string" && /^[[{]/.test(v)) {
        try {
          out[k] = JSON.parse(v) as unknown;
          continue;
        } catch {
          // not JSON: keep the text
        }
      }
      out[k] = v;
    }
    // src/reconcile/summary-store.ts keeps the whole summary as one JSON column: show its fields.
    const summary = out.summary;
    return summary && typeof summary === "object" && !Array.isArray(summary) ? { ...(summary as Record<string, unknown>) } : out;
  }
  return null;
}
