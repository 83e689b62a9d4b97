/**
 * One worker process of a scaled-out run (`authmigrate worker --run <id>`, or a child of
 * `run --workers N`): claim a chunk, run the normal pipeline over its key range (runInSession
 * with `shard`), mark it done, repeat. Its heartbeat renews the lease and publishes its progress;
 * a lease found lost stops the chunk (another worker owns it now). When nothing is left to claim
 * it keeps watching chunks leased by others, so a dead worker's chunk is taken over after the
 * lease timeout, and leaves once every chunk is settled.
 */
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Config } from "../../config/schema.js";
import { AuthmigrateError, errorMessage } from "../../errors.js";
import { targetKey } from "../../ledger/index.js";
import { openUserSource } from "../read.js";
import { runInSession } from "../run.js";
import { openSession, type Session } from "../session.js";
import { claimChunk, completeChunk, releaseChunk, renewLease, chunkCounts, type ChunkLease } from "./chunks.js";
import { finishIfSettled } from "./finish.js";
import { rangeSource, splittable } from "./key-range.js";
import { ensureScaleSchema, requirePostgres, type ScaleLedger } from "./store.js";
import { registerWorker, stopWorker, workerHeartbeat, type WorkerProgress } from "./workers.js";

export type WorkerEvent =
  | { type: "joined"; worker: string; runId: number }
  | { type: "chunk_started"; seq: number; records: number; takenFrom: string | null }
  | { type: "chunk_done"; seq: number; counts: Record<string, number> }
  | { type: "chunk_lost"; seq: number }
  | { type: "chunk_error"; seq: number; error: string; status: "todo" | "failed" }
  | { type: "waiting"; leasedByOthers: number }
  | { type: "waiting_for_plan"; runId: number };

export interface WorkerOptions {
  config: Config;
  cwd: string;
  runId: number;
  concurrency?: number;
  /** Graceful stop: the current chunk's in-flight requests finish and are recorded; the chunk goes back to `todo`. */
  signal?: AbortSignal;
  onEvent?: (e: WorkerEvent) => void;
}

export interface WorkerReport {
  worker: string;
  runId: number;
  chunksDone: number;
  usersDone: number;
  counts: Record<string, number>;
  durationMs: number;
  interrupted: boolean;
  /** Set when this worker saw the last chunk settle and finished the run. */
  runStatus?: string;
}

export async function runWorker(opts: WorkerOptions): Promise<WorkerReport> {
  // No signal here: a graceful stop lets in-flight requests finish and be recorded.
  const session = await openSession(opts.config, opts.cwd);
  try {
    return await workIn(session, opts);
  } finally {
    await session.close();
  }
}

/**
 * The run's status once its chunks are planned: a worker may start while the coordinator is still
 * in its planning pass (a `running` run without chunks), and then waits for it.
 */
async function checkRun(ledger: ScaleLedger, runId: number, config: Config, opts: Pick<WorkerOptions, "signal" | "onEvent">): Promise<string> {
  const key = targetKey(config.target);
  for (let waited = false; ; waited = true) {
    const [row] = await ledger.query<{ status: string; target: string; planned: string | null }>(
      "SELECT r.status, r.target, s.target AS planned FROM am_runs r LEFT JOIN am_scale_runs s ON s.run_id = r.id WHERE r.id = $1",
      [runId],
    );
    if (!row) {
      throw new AuthmigrateError("SCALE_RUN_UNKNOWN", `there is no run ${runId} in ${ledger.describe()}`, {
        hint: "start one with `authmigrate run --workers N` (it prints the run id to join), then `authmigrate worker --run <id>` on other machines",
      });
    }
    if (row.target !== key) {
      throw new AuthmigrateError("SCALE_CONFIG_MISMATCH", `run ${runId} migrates into another target configuration than this config's`, {
        hint: "use the same config file (same target block) on every worker machine",
      });
    }
    if (row.planned !== null || row.status !== "running") return row.status;
    if (opts.signal?.aborted) return "interrupted";
    if (!waited) opts.onEvent?.({ type: "waiting_for_plan", runId });
    await sleep(500, undefined, opts.signal ? { signal: opts.signal } : {}).catch(() => undefined);
  }
}

async function workIn(session: Session, opts: WorkerOptions): Promise<WorkerReport> {
  const { config, cwd, runId } = opts;
  const started = Date.now();
  const ledger = requirePostgres(session.ledger);
  const source = splittable(config.source);
  await ensureScaleSchema(ledger);
  const status = await checkRun(ledger, runId, config, opts);
  const worker = `${hostname()}:${process.pid}:${randomBytes(2).toString("hex")}`;
  const report: WorkerReport = { worker, runId, chunksDone: 0, usersDone: 0, counts: {}, durationMs: 0, interrupted: false };
  if (status !== "running") return { ...report, runStatus: status };
  await registerWorker(ledger, runId, worker, hostname(), process.pid);
  opts.onEvent?.({ type: "joined", worker, runId });

  const { leaseSeconds, heartbeatSeconds } = config.run.scale;
  let lease: ChunkLease | undefined;
  let chunkStop: AbortController | undefined;
  let inChunk = 0;
  const progress = (): WorkerProgress => ({ chunk: lease?.seq ?? null, chunksDone: report.chunksDone, usersDone: report.usersDone + inChunk, requests: requests(), usersPerSecond: 0, requestsPerSecond: 0 });
  const requests = (): number => session.limiter?.snapshot().acquired ?? 0;
  let prev = { at: Date.now(), users: 0, requests: 0 };
  let beating: Promise<void> = Promise.resolve();
  const beat = (): void => {
    beating = beating
      .then(async () => {
        const current = lease;
        if (current && !(await renewLease(ledger, current, worker, leaseSeconds))) chunkStop?.abort(new Error("lease lost"));
        const p = progress();
        const at = Date.now();
        const secs = Math.max(0.001, (at - prev.at) / 1000);
        p.usersPerSecond = (p.usersDone - prev.users) / secs;
        p.requestsPerSecond = (p.requests - prev.requests) / secs;
        prev = { at, users: p.usersDone, requests: p.requests };
        await workerHeartbeat(ledger, runId, worker, p);
      })
      // A missed heartbeat is retried at the next tick; the lease outlives several ticks.
      .catch(() => undefined);
  };
  const timer = setInterval(beat, heartbeatSeconds * 1000);
  timer.unref();
  let exit = "done";
  try {
    while (!opts.signal?.aborted) {
      lease = await claimChunk(ledger, runId, worker, leaseSeconds);
      if (!lease) {
        const c = await chunkCounts(ledger, runId);
        if (c.todo === 0 && c.leased === 0) break;
        // Chunks held by others: stay until they finish, to take over any whose worker dies.
        opts.onEvent?.({ type: "waiting", leasedByOthers: c.leased });
        await sleep(Math.min(1000, heartbeatSeconds * 1000), undefined, opts.signal ? { signal: opts.signal } : {}).catch(() => undefined);
        continue;
      }
      opts.onEvent?.({ type: "chunk_started", seq: lease.seq, records: lease.records, takenFrom: lease.takenFrom });
      chunkStop = new AbortController();
      const signal = opts.signal ? AbortSignal.any([opts.signal, chunkStop.signal]) : chunkStop.signal;
      const chunkConfig = shardConfig(config, runId, lease.seq, worker);
      const range = { after: lease.after, until: lease.until };
      inChunk = 0;
      try {
        const r = await runInSession(session, {
          config: chunkConfig,
          cwd,
          signal,
          ...(opts.concurrency ? { concurrency: opts.concurrency } : {}),
          onProgress: (p) => void (inChunk = p.processed),
          shard: { runId, openSource: () => openUserSource({ ...chunkConfig, source: rangeSource(source, range) }, cwd) },
        });
        inChunk = 0;
        if (chunkStop.signal.aborted) {
          opts.onEvent?.({ type: "chunk_lost", seq: lease.seq });
        } else if (r.interrupted) {
          await releaseChunk(ledger, lease, worker);
        } else if (await completeChunk(ledger, lease, worker, r.counts)) {
          report.chunksDone++;
          report.usersDone += r.counts.total ?? 0;
          for (const [k, v] of Object.entries(r.counts)) report.counts[k] = (report.counts[k] ?? 0) + v;
          opts.onEvent?.({ type: "chunk_done", seq: lease.seq, counts: r.counts });
        } else opts.onEvent?.({ type: "chunk_lost", seq: lease.seq });
      } catch (e) {
        inChunk = 0;
        const error = errorMessage(e);
        const st = await releaseChunk(ledger, lease, worker, error);
        opts.onEvent?.({ type: "chunk_error", seq: lease.seq, error, status: st });
      }
      lease = undefined;
      chunkStop = undefined;
    }
    report.interrupted = opts.signal?.aborted ?? false;
    if (report.interrupted) exit = "interrupted";
  } catch (e) {
    exit = `error: ${errorMessage(e).slice(0, 200)}`;
    throw e;
  } finally {
    clearInterval(timer);
    await beating;
    await stopWorker(ledger, runId, worker, exit, progress()).catch(() => undefined);
    report.durationMs = Date.now() - started;
  }
  const finished = await finishIfSettled(ledger, runId);
  if (finished) report.runStatus = finished.status;
  return report;
}

/**
 * Per-chunk outputs, so processes never write the same file: report.jsonl/retry.csv under
 * `<outDir>/run-<id>/chunk-<seq>/` (a takeover rewrites the chunk's report whole), and temporary
 * passwords appended to one 0600 file per worker (never rewritten: a user created by a worker
 * that then died keeps its password in that worker's file).
 */
function shardConfig(config: Config, runId: number, seq: number, worker: string): Config {
  const temp = config.passwords.temporaryPasswordsFile;
  const ext = path.extname(temp);
  const safe = worker.replace(/[^A-Za-z0-9_.-]+/g, "-");
  return {
    ...config,
    run: { ...config.run, outDir: path.join(config.run.outDir, `run-${runId}`, `chunk-${seq}`) },
    passwords: { ...config.passwords, temporaryPasswordsFile: `${temp.slice(0, temp.length - ext.length)}.run-${runId}.${safe}${ext}` },
  };
}
