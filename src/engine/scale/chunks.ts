/**
 * Chunk leases. A worker takes the first chunk that is `todo` or whose lease expired with one
 * `UPDATE … FROM (SELECT … FOR UPDATE SKIP LOCKED)`: two workers never take the same chunk, and
 * nobody waits on a row another worker is taking. The lease is renewed by the worker's heartbeat;
 * a worker that stops renewing (kill -9, lost machine, partition) loses the chunk after
 * `leaseSeconds`, and the next worker re-reads it: users already done are unchanged in the
 * ledger, users left `pending` are looked up in the target before anything is resent.
 */
import type { Key, KeyRange } from "./key-range.js";
import type { ScaleLedger } from "./store.js";

export interface ChunkLease extends KeyRange {
  runId: number;
  seq: number;
  records: number;
  attempts: number;
  /** The worker that held it before (set when this is a takeover of an expired lease). */
  takenFrom: string | null;
}

/** After this many failed attempts (errors, not crashes) a chunk is `failed` and the run ends failed. */
export const MAX_CHUNK_ERRORS = 3;

interface ChunkRow {
  seq: number;
  after_key: string | null;
  until_key: string | null;
  records: number;
  attempts: number;
  prev: string | null;
}

const parseKey = (s: string | null): Key | null => (s === null ? null : (JSON.parse(s) as Key));

export async function claimChunk(ledger: ScaleLedger, runId: number, worker: string, leaseSeconds: number): Promise<ChunkLease | undefined> {
  const [row] = await ledger.query<ChunkRow>(
    `WITH next AS (
       SELECT run_id, seq, worker AS prev FROM am_chunks
       WHERE run_id = $1 AND (status = 'todo' OR (status = 'leased' AND lease_until < now()))
       ORDER BY seq LIMIT 1 FOR UPDATE SKIP LOCKED)
     UPDATE am_chunks c SET status = 'leased', worker = $2, lease_until = now() + $3 * interval '1 second',
       attempts = c.attempts + 1, started_at = now()
     FROM next WHERE c.run_id = next.run_id AND c.seq = next.seq
     RETURNING c.seq, c.after_key, c.until_key, c.records, c.attempts, next.prev`,
    [runId, worker, leaseSeconds],
  );
  if (!row) return undefined;
  return { runId, seq: row.seq, after: parseKey(row.after_key), until: parseKey(row.until_key), records: row.records, attempts: row.attempts, takenFrom: row.prev !== worker ? row.prev : null };
}

/** Extend the lease; false = it expired and may belong to another worker now (stop this chunk). */
export async function renewLease(ledger: ScaleLedger, lease: ChunkLease, worker: string, leaseSeconds: number): Promise<boolean> {
  const rows = await ledger.query(
    `UPDATE am_chunks SET lease_until = now() + $4 * interval '1 second'
     WHERE run_id = $1 AND seq = $2 AND worker = $3 AND status = 'leased' AND lease_until >= now() RETURNING seq`,
    [lease.runId, lease.seq, worker, leaseSeconds],
  );
  return rows.length === 1;
}

/** Mark done with its counts; false when the lease was lost meanwhile (the other worker finishes it). */
export async function completeChunk(ledger: ScaleLedger, lease: ChunkLease, worker: string, counts: Record<string, number>): Promise<boolean> {
  const rows = await ledger.query(
    `UPDATE am_chunks SET status = 'done', counts = $4, finished_at = now(), lease_until = NULL
     WHERE run_id = $1 AND seq = $2 AND worker = $3 AND status = 'leased' RETURNING seq`,
    [lease.runId, lease.seq, worker, JSON.stringify(counts)],
  );
  return rows.length === 1;
}

/**
 * Give a chunk back: after an error (counted; the third makes it `failed`) or on a graceful stop
 * (not counted; another worker takes it at once instead of waiting for the lease to expire).
 */
export async function releaseChunk(ledger: ScaleLedger, lease: ChunkLease, worker: string, error?: string): Promise<"todo" | "failed"> {
  const [row] = await ledger.query<{ status: "todo" | "failed" }>(
    `UPDATE am_chunks SET
       errors = errors + $4::int,
       last_error = COALESCE($5, last_error),
       status = CASE WHEN errors + $4::int >= $6 THEN 'failed' ELSE 'todo' END,
       worker = NULL, lease_until = NULL
     WHERE run_id = $1 AND seq = $2 AND worker = $3 AND status = 'leased' RETURNING status`,
    [lease.runId, lease.seq, worker, error ? 1 : 0, error?.slice(0, 500) ?? null, MAX_CHUNK_ERRORS],
  );
  return row?.status ?? "todo";
}

export interface ChunkCounts {
  total: number;
  todo: number;
  leased: number;
  /** Leased, but the holder stopped renewing: the next worker to look takes it over. */
  expired: number;
  done: number;
  failed: number;
}

export async function chunkCounts(ledger: ScaleLedger, runId: number): Promise<ChunkCounts> {
  const [r] = await ledger.query<Record<keyof ChunkCounts, string>>(
    `SELECT count(*) AS total,
       count(*) FILTER (WHERE status = 'todo') AS todo,
       count(*) FILTER (WHERE status = 'leased') AS leased,
       count(*) FILTER (WHERE status = 'leased' AND lease_until < now()) AS expired,
       count(*) FILTER (WHERE status = 'done') AS done,
       count(*) FILTER (WHERE status = 'failed') AS failed
     FROM am_chunks WHERE run_id = $1`,
    [runId],
  );
  return { total: Number(r!.total), todo: Number(r!.todo), leased: Number(r!.leased), expired: Number(r!.expired), done: Number(r!.done), failed: Number(r!.failed) };
}

/** The failed chunks' last errors, for the report. */
export async function chunkErrors(ledger: ScaleLedger, runId: number): Promise<{ seq: number; error: string }[]> {
  const rows = await ledger.query<{ seq: number; last_error: string }>("SELECT seq, last_error FROM am_chunks WHERE run_id = $1 AND status = 'failed' ORDER BY seq", [runId]);
  return rows.map((r) => ({ seq: r.seq, error: r.last_error }));
}
