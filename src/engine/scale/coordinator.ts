/**
 * `authmigrate run --workers N`: everything that must happen once, then N worker processes.
 *
 * 1. Check the ledger is PostgreSQL and the source splittable (before touching the target).
 * 2. Prepare the target and create the organizations — once, before any user chunk.
 * 3. Start the run and plan its chunks (key ranges + email claims, one pass over the source).
 * 4. Spawn N `authmigrate worker --run <id>` children on this machine; more can join from other
 *    machines with the same command. Publish the run's aggregate progress for the dashboard.
 * 5. When the children have exited, finish the run if every chunk is settled (a worker elsewhere
 *    may also finish it); otherwise report what is left.
 */
import { spawn, type ChildProcess } from "node:child_process";
import type { Config } from "../../config/schema.js";
import { withRetry, DEFAULT_RETRY } from "../retry.js";
import { syncOrgs, type OrgSummary } from "../orgs.js";
import { openSession } from "../session.js";
import type { ChunkCounts } from "./chunks.js";
import { finishIfSettled, runTotals } from "./finish.js";
import { splittable } from "./key-range.js";
import { planChunks } from "./plan-chunks.js";
import { ensureScaleSchema, requirePostgres, type ScaleLedger } from "./store.js";
import { scaleRunStatus, type ScaleRunStatus, type WorkerStatus } from "./workers.js";

export interface ScaleOptions {
  config: Config;
  cwd: string;
  /** Absolute path of the config file the workers load. */
  configFile: string;
  /** Worker processes to start on this machine (0: plan the run only; workers join with `authmigrate worker`). */
  workers: number;
  concurrency?: number;
  signal?: AbortSignal;
  onPlanned?: (p: { runId: number; chunks: number; records: number }) => void;
  onStatus?: (s: ScaleRunStatus) => void;
  /** argv (after the node binary) that runs the authmigrate CLI; default: how this process was started. */
  cliArgs?: string[];
  /** Where the workers' own output goes (default: their stderr to ours, stdout discarded). */
  workerStdio?: "inherit" | "ignore";
}

export interface ScaleReport {
  runId: number;
  target: string;
  ledger: string;
  /** `running` = chunks are left (workers died or were stopped); start `authmigrate worker --run <id>` to finish. */
  status: string;
  durationMs: number;
  records: number;
  chunks: ChunkCounts;
  counts: Record<string, number>;
  orgs: OrgSummary;
  workers: WorkerStatus[];
  failedChunks: { seq: number; error: string }[];
  /** Exit code (or signal) of each local worker process. */
  workerExits: string[];
}

export async function runScaled(opts: ScaleOptions): Promise<ScaleReport> {
  const { config, cwd } = opts;
  const started = Date.now();
  const session = await openSession(config, cwd);
  let ledger: ScaleLedger;
  try {
    ledger = requirePostgres(session.ledger);
    splittable(config.source);
    await ensureScaleSchema(ledger);
    const retry = { ...DEFAULT_RETRY, retries: config.run.retries };
    await withRetry(() => session.instance.prepare(), retry);
    const { summary: orgs } = await syncOrgs(session, false, retry);
    const run = await session.ledger.startRun("run");
    // Workers start while the chunks are planned: they wait for the plan, their start-up overlaps it.
    const children = Array.from({ length: opts.workers }, () => spawnWorker(opts, run.id));
    const exits = children.map((c) => new Promise<string>((resolve) => c.on("exit", (code, sig) => resolve(sig ?? String(code)))));
    const stopChildren = (): void => void children.forEach((c) => c.exitCode === null && c.kill("SIGTERM"));
    opts.signal?.addEventListener("abort", stopChildren, { once: true });
    let plan;
    try {
      plan = await planChunks(session, ledger, run.id, config.run.scale.chunkSize, opts.signal);
    } catch (e) {
      await session.ledger.finishRun(run.id, "failed", {});
      stopChildren();
      await Promise.all(exits);
      throw e;
    }
    opts.onPlanned?.({ runId: run.id, ...plan });

    const publish = async (): Promise<void> => {
      const s = await scaleRunStatus(ledger, run.id);
      if (!s) return;
      opts.onStatus?.(s);
      const processed = s.workers.reduce((n, w) => n + w.usersDone, 0);
      await ledger.runProgress(run.id, {
        processed,
        total: s.records,
        rate: s.usersPerSecond,
        etaSeconds: s.usersPerSecond > 0 ? Math.max(0, (s.records - processed) / s.usersPerSecond) : null,
        counts: s.users,
        workers: { alive: s.workers.filter((w) => w.state === "alive").length, dead: s.workers.filter((w) => w.state === "dead").length, total: s.workers.length },
        chunks: s.chunks,
        requests: { requestRate: s.requestsPerSecond, ...(session.limiter ? { limit: session.limiter.snapshot().ceiling } : {}) },
      });
    };
    const timer = setInterval(() => void publish().catch(() => undefined), 2000);
    let workerExits: string[];
    try {
      workerExits = await Promise.all(exits);
    } finally {
      clearInterval(timer);
      opts.signal?.removeEventListener("abort", stopChildren);
    }
    const finished = await finishIfSettled(ledger, run.id);
    const status = (await scaleRunStatus(ledger, run.id))!;
    await publish().catch(() => undefined);
    return {
      runId: run.id,
      target: session.target.id,
      ledger: session.ledger.describe(),
      status: finished?.status ?? "running",
      durationMs: Date.now() - started,
      records: status.records,
      chunks: status.chunks,
      counts: finished?.counts ?? (await runTotals(ledger, run.id)),
      orgs,
      workers: status.workers,
      failedChunks: status.failedChunks,
      workerExits,
    };
  } finally {
    await session.close();
  }
}

function spawnWorker(opts: ScaleOptions, runId: number): ChildProcess {
  const cli = opts.cliArgs ?? [...process.execArgv, process.argv[1]!];
  const args = [...cli, "worker", "--run", String(runId), "--config", opts.configFile, ...(opts.concurrency ? ["--concurrency", String(opts.concurrency)] : [])];
  return spawn(process.execPath, args, { cwd: opts.cwd, stdio: ["ignore", "ignore", opts.workerStdio ?? "inherit"] });
}
