/**
 * The scale-out tables, kept in the PostgreSQL ledger beside am_runs/am_users: the run's chunks
 * (key ranges, leased with `FOR UPDATE SKIP LOCKED`) and its workers (heartbeats, progress).
 * All lease times are the database's `now()`, so machines with skewed clocks agree.
 */
import { AuthmigrateError } from "../../errors.js";
import type { Ledger } from "../../ledger/types.js";
import type { PostgresLedger } from "../../ledger/postgres-ledger.js";

const DDL = [
  `CREATE TABLE IF NOT EXISTS am_chunks (
     run_id BIGINT NOT NULL,
     seq INTEGER NOT NULL,
     after_key TEXT,
     until_key TEXT,
     records INTEGER NOT NULL,
     status TEXT NOT NULL DEFAULT 'todo',
     worker TEXT,
     lease_until TIMESTAMPTZ,
     attempts INTEGER NOT NULL DEFAULT 0,
     errors INTEGER NOT NULL DEFAULT 0,
     last_error TEXT,
     counts JSONB,
     started_at TIMESTAMPTZ,
     finished_at TIMESTAMPTZ,
     PRIMARY KEY (run_id, seq)
   )`,
  `CREATE INDEX IF NOT EXISTS am_chunks_claimable ON am_chunks (run_id, status, seq)`,
  `CREATE TABLE IF NOT EXISTS am_workers (
     run_id BIGINT NOT NULL,
     worker TEXT NOT NULL,
     host TEXT NOT NULL,
     pid INTEGER NOT NULL,
     started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
     heartbeat_at TIMESTAMPTZ NOT NULL DEFAULT now(),
     stopped_at TIMESTAMPTZ,
     exit TEXT,
     chunk INTEGER,
     chunks_done INTEGER NOT NULL DEFAULT 0,
     users_done INTEGER NOT NULL DEFAULT 0,
     requests BIGINT NOT NULL DEFAULT 0,
     users_per_second DOUBLE PRECISION NOT NULL DEFAULT 0,
     requests_per_second DOUBLE PRECISION NOT NULL DEFAULT 0,
     PRIMARY KEY (run_id, worker)
   )`,
  `CREATE TABLE IF NOT EXISTS am_scale_runs (
     run_id BIGINT PRIMARY KEY,
     target TEXT NOT NULL,
     chunks INTEGER NOT NULL,
     records INTEGER NOT NULL,
     lease_seconds DOUBLE PRECISION NOT NULL,
     planned_at TIMESTAMPTZ NOT NULL DEFAULT now()
   )`,
];

/** The ledger as the scale-out code needs it: PostgreSQL, with raw statements. */
export type ScaleLedger = Pick<PostgresLedger, "query" | "describe" | "finishRun" | "runProgress">;

/** `run --workers` / `worker` coordinate through the ledger, so it must be one every machine reaches. */
export function requirePostgres(ledger: Ledger): ScaleLedger {
  if (ledger.kind !== "postgres") {
    throw new AuthmigrateError("SCALE_NEEDS_POSTGRES", `--workers and \`worker\` need a PostgreSQL ledger; this config uses ${ledger.describe()}`, {
      hint: "set ledger.url: postgres://user@host:5432/db (a database every worker machine can reach); SQLite stays the single-process default — run without --workers",
    });
  }
  return ledger as unknown as PostgresLedger;
}

const ready = new WeakSet<object>();

export async function ensureScaleSchema(ledger: ScaleLedger): Promise<void> {
  if (ready.has(ledger)) return;
  // Serialise DDL between workers starting at the same moment (same lock id as the ledger's).
  await ledger.query(`DO $$ BEGIN PERFORM pg_advisory_xact_lock(727275); ${DDL.map((d) => `EXECUTE ${quoteLiteral(d)};`).join(" ")} END $$`);
  ready.add(ledger);
}

function quoteLiteral(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}
