/** DDL shared by both backends (types chosen to be valid in SQLite and PostgreSQL). */
export const LEDGER_DDL = [
  `CREATE TABLE IF NOT EXISTS am_runs (
     id INTEGER PRIMARY KEY %AUTO%,
     kind TEXT NOT NULL,
     target TEXT NOT NULL,
     started_at TEXT NOT NULL,
     finished_at TEXT,
     status TEXT NOT NULL,
     counts TEXT NOT NULL DEFAULT '{}'
   )`,
  `CREATE TABLE IF NOT EXISTS am_users (
     target TEXT NOT NULL,
     external_id TEXT NOT NULL,
     email TEXT,
     digest TEXT,
     target_id TEXT,
     status TEXT NOT NULL,
     reason TEXT,
     strategy TEXT,
     attempts INTEGER NOT NULL DEFAULT 0,
     run_id INTEGER NOT NULL,
     created_run INTEGER,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL,
     PRIMARY KEY (target, external_id)
   )`,
  `CREATE INDEX IF NOT EXISTS am_users_status ON am_users (target, status)`,
  `CREATE INDEX IF NOT EXISTS am_users_target_id ON am_users (target, target_id)`,
  // The dashboard's progress-over-time chart buckets outcomes by minute.
  `CREATE INDEX IF NOT EXISTS am_users_updated ON am_users (target, updated_at)`,
  // The dashboard's user lookup by email.
  `CREATE INDEX IF NOT EXISTS am_users_email ON am_users (target, email)`,
  `CREATE TABLE IF NOT EXISTS am_orgs (
     target TEXT NOT NULL,
     external_id TEXT NOT NULL,
     target_id TEXT,
     status TEXT NOT NULL,
     reason TEXT,
     updated_at TEXT NOT NULL,
     PRIMARY KEY (target, external_id)
   )`,
  // One row per request in flight (ledger/types.ts recordIntent): the JSON array of its externalIds.
  `CREATE TABLE IF NOT EXISTS am_intents (
     id INTEGER PRIMARY KEY %AUTO%,
     target TEXT NOT NULL,
     run_id INTEGER NOT NULL,
     external_ids TEXT NOT NULL,
     created_at TEXT NOT NULL
   )`,
  `CREATE TABLE IF NOT EXISTS am_email_claims (
     target TEXT NOT NULL,
     email TEXT NOT NULL,
     external_id TEXT NOT NULL,
     PRIMARY KEY (target, email)
   )`,
];

/**
 * Columns added after the first release. Each backend adds the missing ones when it opens
 * (SQLite: checked against table_info; PostgreSQL: ADD COLUMN IF NOT EXISTS), so old ledgers upgrade in place.
 * am_users facts (seed 000 health + hash formats + org filter, never a credential) and
 * am_runs.progress (the running process's heartbeat: counts, rate, ETA, request rate vs limit).
 */
export const LEDGER_ADDED_COLUMNS: readonly { table: string; column: string; type: string }[] = [
  { table: "am_users", column: "email_verified", type: "INTEGER" },
  { table: "am_users", column: "has_logged_in", type: "INTEGER" },
  { table: "am_users", column: "org", type: "TEXT" },
  { table: "am_users", column: "hash_format", type: "TEXT" },
  { table: "am_runs", column: "progress", type: "TEXT" },
];

/** Positional parameters of UPSERT_USER_SQL per row (attempts is the literal 1). */
export const USER_UPSERT_PARAMS = 16;

export const UPSERT_USER_SQL = `
  INSERT INTO am_users (target, external_id, email, digest, target_id, status, reason, strategy, attempts, run_id, created_run, created_at, updated_at,
                        email_verified, has_logged_in, org, hash_format)
  VALUES (%P%)
  ON CONFLICT (target, external_id) DO UPDATE SET
    email = excluded.email,
    digest = excluded.digest,
    target_id = COALESCE(excluded.target_id, am_users.target_id),
    status = excluded.status,
    reason = excluded.reason,
    strategy = excluded.strategy,
    attempts = am_users.attempts + 1,
    run_id = excluded.run_id,
    created_run = COALESCE(am_users.created_run, excluded.created_run),
    updated_at = excluded.updated_at,
    email_verified = COALESCE(excluded.email_verified, am_users.email_verified),
    has_logged_in = COALESCE(excluded.has_logged_in, am_users.has_logged_in),
    org = COALESCE(excluded.org, am_users.org),
    hash_format = COALESCE(excluded.hash_format, am_users.hash_format)`;

/**
 * Users carried by open intents (requests sent, answers not recorded yet) that have no ledger row:
 * summaries count them as `pending` (in flight), as the per-user `pending` rows used to be. Users
 * with a row keep their row's status. One parameter: the target key. Open intents are bounded by
 * the requests in flight, so this stays cheap.
 */
export function inFlightSql(dialect: "sqlite" | "postgres"): string {
  return dialect === "sqlite"
    ? `SELECT COUNT(DISTINCT j.value) AS n FROM am_intents i, json_each(i.external_ids) j
        WHERE i.target = ? AND NOT EXISTS (SELECT 1 FROM am_users u WHERE u.target = i.target AND u.external_id = j.value)`
    : `SELECT COUNT(DISTINCT j.id) AS n FROM am_intents i CROSS JOIN LATERAL jsonb_array_elements_text(i.external_ids::jsonb) AS j(id)
        WHERE i.target = $1 AND NOT EXISTS (SELECT 1 FROM am_users u WHERE u.target = i.target AND u.external_id = j.id)`;
}

export const UPSERT_ORG_SQL = `
  INSERT INTO am_orgs (target, external_id, target_id, status, reason, updated_at)
  VALUES (%P%)
  ON CONFLICT (target, external_id) DO UPDATE SET
    target_id = COALESCE(excluded.target_id, am_orgs.target_id),
    status = excluded.status,
    reason = excluded.reason,
    updated_at = excluded.updated_at`;

