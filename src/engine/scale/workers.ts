/**
 * Who works on a scaled-out run, as the ledger sees it: one am_workers row per worker process,
 * refreshed by its heartbeat. A worker is `alive` while its heartbeat is younger than the run's
 * lease timeout; `dead` once it is older (kill -9, lost machine) — exactly when its chunk becomes
 * claimable by others; `stopped` when it exited on its own.
 */
import type { Config } from "../../config/schema.js";
import { openLedger, targetKey } from "../../ledger/index.js";
import type { Ledger, LedgerStatus } from "../../ledger/types.js";
import { chunkCounts, chunkErrors, type ChunkCounts } from "./chunks.js";
import { ensureScaleSchema, requirePostgres, type ScaleLedger } from "./store.js";

export interface WorkerStatus {
  worker: string;
  host: string;
  pid: number;
  state: "alive" | "dead" | "stopped";
  startedAt: string;
  heartbeatAt: string;
  /** Seconds since the last heartbeat. */
  heartbeatAgeSeconds: number;
  /** Chunk being worked on (null between chunks or after exit). */
  chunk: number | null;
  chunksDone: number;
  usersDone: number;
  requests: number;
  usersPerSecond: number;
  requestsPerSecond: number;
  exit: string | null;
}

export interface WorkerProgress {
  chunk: number | null;
  chunksDone: number;
  usersDone: number;
  requests: number;
  usersPerSecond: number;
  requestsPerSecond: number;
}

export async function registerWorker(ledger: ScaleLedger, runId: number, worker: string, host: string, pid: number): Promise<void> {
  await ledger.query("INSERT INTO am_workers (run_id, worker, host, pid) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING", [runId, worker, host, pid]);
}

export async function workerHeartbeat(ledger: ScaleLedger, runId: number, worker: string, p: WorkerProgress): Promise<void> {
  await ledger.query(
    `UPDATE am_workers SET heartbeat_at = now(), chunk = $3, chunks_done = $4, users_done = $5, requests = $6, users_per_second = $7, requests_per_second = $8
     WHERE run_id = $1 AND worker = $2`,
    [runId, worker, p.chunk, p.chunksDone, p.usersDone, p.requests, p.usersPerSecond, p.requestsPerSecond],
  );
}

export async function stopWorker(ledger: ScaleLedger, runId: number, worker: string, exit: string, p: WorkerProgress): Promise<void> {
  await workerHeartbeat(ledger, runId, worker, { ...p, chunk: null, usersPerSecond: 0, requestsPerSecond: 0 });
  await ledger.query("UPDATE am_workers SET stopped_at = now(), exit = $3 WHERE run_id = $1 AND worker = $2", [runId, worker, exit]);
}

interface WorkerRow {
  worker: string;
  host: string;
  pid: number;
  started_at: Date;
  heartbeat_at: Date;
  stopped_at: Date | null;
  exit: string | null;
  chunk: number | null;
  chunks_done: number;
  users_done: number;
  requests: string;
  users_per_second: number;
  requests_per_second: number;
  age: number;
  lease: number | null;
}

/** The workers of run `runId` (PostgreSQL ledger), oldest first. Used by `status` and the dashboard. */
export async function listWorkers(ledger: Ledger | ScaleLedger, runId: number): Promise<WorkerStatus[]> {
  const db = "kind" in ledger ? requirePostgres(ledger) : ledger;
  await ensureScaleSchema(db);
  const rows = await db.query<WorkerRow>(
    `SELECT w.*, EXTRACT(EPOCH FROM now() - w.heartbeat_at)::float8 AS age, s.lease_seconds AS lease
     FROM am_workers w LEFT JOIN am_scale_runs s ON s.run_id = w.run_id WHERE w.run_id = $1 ORDER BY w.started_at, w.worker`,
    [runId],
  );
  return rows.map((r) => ({
    worker: r.worker,
    host: r.host,
    pid: r.pid,
    state: r.stopped_at ? "stopped" : r.age > (r.lease ?? 30) ? "dead" : "alive",
    startedAt: new Date(r.started_at).toISOString(),
    heartbeatAt: new Date(r.heartbeat_at).toISOString(),
    heartbeatAgeSeconds: Math.round(r.age * 10) / 10,
    chunk: r.stopped_at ? null : r.chunk,
    chunksDone: r.chunks_done,
    usersDone: r.users_done,
    requests: Number(r.requests),
    usersPerSecond: r.stopped_at ? 0 : r.users_per_second,
    requestsPerSecond: r.stopped_at ? 0 : r.requests_per_second,
    exit: r.exit,
  }));
}

export interface ScaleRunStatus {
  runId: number;
  /** Records in the source when the chunks were planned. */
  records: number;
  chunks: ChunkCounts;
  workers: WorkerStatus[];
  /** The run's users by ledger status (rows this run wrote). */
  users: Partial<Record<LedgerStatus, number>>;
  /** Sum over live workers. */
  usersPerSecond: number;
  requestsPerSecond: number;
  failedChunks: { seq: number; error: string }[];
}

/** Everything `status` shows about one scaled-out run; undefined when the run was not scaled out. */
export async function scaleRunStatus(ledger: Ledger | ScaleLedger, runId: number): Promise<ScaleRunStatus | undefined> {
  const db = "kind" in ledger ? requirePostgres(ledger) : ledger;
  await ensureScaleSchema(db);
  const [plan] = await db.query<{ records: number }>("SELECT records FROM am_scale_runs WHERE run_id = $1", [runId]);
  if (!plan) return undefined;
  const workers = await listWorkers(db, runId);
  const users = await db.query<{ status: LedgerStatus; n: string }>("SELECT status, count(*) AS n FROM am_users WHERE run_id = $1 GROUP BY status", [runId]);
  const alive = workers.filter((w) => w.state === "alive");
  return {
    runId,
    records: plan.records,
    chunks: await chunkCounts(db, runId),
    workers,
    users: Object.fromEntries(users.map((u) => [u.status, Number(u.n)])),
    usersPerSecond: alive.reduce((s, w) => s + w.usersPerSecond, 0),
    requestsPerSecond: alive.reduce((s, w) => s + w.requestsPerSecond, 0),
    failedChunks: await chunkErrors(db, runId),
  };
}

/** The most recent scaled-out run of this ledger's target (`target` = the ledger's target key), if any. */
export async function latestScaleStatus(ledger: Ledger, target: string): Promise<ScaleRunStatus | undefined> {
  if (ledger.kind !== "postgres") return undefined;
  const db = requirePostgres(ledger);
  await ensureScaleSchema(db);
  const [row] = await db.query<{ run_id: string }>("SELECT run_id FROM am_scale_runs WHERE target = $1 ORDER BY run_id DESC LIMIT 1", [target]);
  return row ? scaleRunStatus(db, Number(row.run_id)) : undefined;
}

/** `status`: the latest scaled-out run for this config, or undefined (SQLite ledger, never scaled out). */
export async function scaleStatusFor(config: Config, cwd: string): Promise<ScaleRunStatus | undefined> {
  if (!/^postgres(ql)?:\/\//.test(config.ledger.url)) return undefined;
  const key = targetKey(config.target);
  const ledger = openLedger(config.ledger.url, key, cwd);
  try {
    return await latestScaleStatus(ledger, key);
  } finally {
    await ledger.close();
  }
}
