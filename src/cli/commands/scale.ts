/**
 * Scale-out commands: `run --workers N` (wired from migrate.ts) and `worker --run <id>`.
 * Engine code is imported lazily, like every command.
 */
import type { Command } from "commander";
import type { ScaleReport } from "../../engine/scale/coordinator.js";
import type { WorkerEvent, WorkerReport } from "../../engine/scale/worker.js";
import type { ScaleRunStatus } from "../../engine/scale/workers.js";
import { AuthmigrateError } from "../../errors.js";
import { load, withConfig, type CommonOptions } from "../common.js";
import { EXIT, printJson, table } from "../output.js";

export function workersFlag(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 256) throw new AuthmigrateError("USAGE", `--workers: expected an integer from 0 to 256, got "${v}"`);
  return n;
}

function positive(flag: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new AuthmigrateError("USAGE", `${flag}: expected a positive integer, got "${v}"`);
    return n;
  };
}

/** SIGINT/SIGTERM → graceful stop (again → exit now); returns the signal seen, if any. */
function gracefulStop(what: string): { signal: AbortSignal; seen: () => NodeJS.Signals | undefined; dispose: () => void } {
  const controller = new AbortController();
  let seen: NodeJS.Signals | undefined;
  const stop = (sig: NodeJS.Signals): void => {
    seen ??= sig;
    process.stderr.write(`\n${sig}: ${what}, then stopping (again to force)\n`);
    if (controller.signal.aborted) process.exit(sig === "SIGINT" ? 130 : 143);
    controller.abort();
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  return {
    signal: controller.signal,
    seen: () => seen,
    dispose: () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
    },
  };
}

export function renderScale(s: ScaleRunStatus): string {
  const c = s.chunks;
  const lines = [
    `scaled-out run #${s.runId}: ${s.records} records in ${c.total} chunks — ${c.done} done, ${c.leased} leased (${c.expired} expired), ${c.todo} todo, ${c.failed} failed`,
    `  ${Math.round(s.usersPerSecond)} users/s, ${s.requestsPerSecond.toFixed(1)} requests/s over live workers; users: ${Object.entries(s.users).map(([k, v]) => `${k}=${v}`).join(" ") || "none yet"}`,
  ];
  if (s.workers.length) {
    lines.push(
      table([
        ["  worker", "state", "heartbeat", "chunk", "chunks", "users", "users/s", "req/s"],
        ...s.workers.map((w) => [`  ${w.worker}`, w.state, `${w.heartbeatAgeSeconds}s ago`, w.chunk ?? "-", w.chunksDone, w.usersDone, Math.round(w.usersPerSecond), w.requestsPerSecond.toFixed(1)]),
      ]),
    );
  }
  for (const f of s.failedChunks) lines.push(`  chunk ${f.seq} failed: ${f.error}`);
  return lines.join("\n");
}

function renderScaleReport(r: ScaleReport, outDir: string): string {
  const c = r.counts;
  return [
    `Run ${r.runId} → ${r.target} (${(r.durationMs / 1000).toFixed(1)}s, ${r.workers.length} workers, ledger ${r.ledger}): ${r.status}`,
    table(["total", "created", "updated", "unchanged", "skipped", "failed"].map((k) => [k, c[k] ?? 0])),
    `chunks: ${r.chunks.done}/${r.chunks.total} done${r.chunks.failed ? `, ${r.chunks.failed} failed` : ""}; reports under ${outDir}/run-${r.runId}/chunk-*/`,
    ...(r.status === "running" ? [`not finished: start \`authmigrate worker --run ${r.runId}\` (same config) to finish the remaining chunks`] : []),
    ...r.failedChunks.map((f) => `chunk ${f.seq} failed: ${f.error}`),
  ].join("\n");
}

export async function runScaledCommand(o: CommonOptions & { workers: number; concurrency?: number; dryRun?: boolean }): Promise<void> {
  if (o.dryRun) throw new AuthmigrateError("USAGE", "--dry-run runs in one process; drop --workers");
  const { config, cwd, file } = await load(o);
  const { runScaled } = await import("../../engine/scale/coordinator.js");
  const stop = gracefulStop("workers finish their requests in flight");
  let last = 0;
  try {
    const report = await runScaled({
      config,
      cwd,
      configFile: file,
      workers: o.workers,
      signal: stop.signal,
      ...(o.concurrency ? { concurrency: o.concurrency } : {}),
      onPlanned: (p) =>
        process.stderr.write(`run ${p.runId}: ${p.records} records in ${p.chunks} chunks; starting ${o.workers} workers here. Join from other machines: authmigrate worker --run ${p.runId} -c <same config>\n`),
      ...(o.json
        ? {}
        : {
            onStatus: (s: ScaleRunStatus) => {
              if (Date.now() - last < 10_000) return;
              last = Date.now();
              process.stderr.write(renderScale(s) + "\n");
            },
          }),
    });
    if (o.json) printJson(report);
    else process.stdout.write(renderScaleReport(report, config.run.outDir) + "\n");
    const sig = stop.seen();
    if (sig) process.exitCode = sig === "SIGINT" ? 130 : 143;
    // --workers 0 plans the run for workers elsewhere: "running" is its success.
    else if ((report.status !== "completed" && !(o.workers === 0 && report.status === "running")) || (report.counts.failed ?? 0) > 0) process.exitCode = EXIT.partial;
  } finally {
    stop.dispose();
  }
}

function describeEvent(e: WorkerEvent): string | undefined {
  switch (e.type) {
    case "joined":
      return `joined run ${e.runId} as ${e.worker}`;
    case "chunk_started":
      return `chunk ${e.seq}: ${e.records} records${e.takenFrom ? ` (taken over from ${e.takenFrom}, whose lease expired)` : ""}`;
    case "chunk_done":
      return `chunk ${e.seq} done: ${Object.entries(e.counts).map(([k, v]) => `${k}=${v}`).join(" ")}`;
    case "chunk_lost":
      return `chunk ${e.seq}: lease lost (another worker owns it now); stopped it`;
    case "chunk_error":
      return `chunk ${e.seq} error (${e.status === "failed" ? "giving up on it" : "will be retried"}): ${e.error}`;
    case "waiting":
      return undefined;
    case "waiting_for_plan":
      return `run ${e.runId} is still planning its chunks; waiting`;
  }
}

export function registerWorkerCommand(program: Command): void {
  withConfig(program.command("worker").description("join a scaled-out run (started by `run --workers N`) from this machine: claim chunks until none is left"))
    .requiredOption("--run <id>", "the run to join (printed by `run --workers`, listed by `status`)", positive("--run"))
    .option("--concurrency <n>", "target calls in flight in this worker", positive("--concurrency"))
    .action(async (o: CommonOptions & { run: number; concurrency?: number }) => {
      const { config, cwd } = await load(o);
      const { runWorker } = await import("../../engine/scale/worker.js");
      const stop = gracefulStop("finishing this worker's requests in flight; its chunk goes back to the queue");
      try {
        const report: WorkerReport = await runWorker({
          config,
          cwd,
          runId: o.run,
          signal: stop.signal,
          ...(o.concurrency ? { concurrency: o.concurrency } : {}),
          onEvent: (e) => {
            const line = describeEvent(e);
            if (line) process.stderr.write(`[worker ${process.pid}] ${line}\n`);
          },
        });
        if (o.json) printJson(report);
        else process.stdout.write(`worker ${report.worker}: ${report.chunksDone} chunks, ${report.usersDone} users in ${(report.durationMs / 1000).toFixed(1)}s${report.runStatus ? `; run ${report.runId} ${report.runStatus}` : ""}\n`);
        const sig = stop.seen();
        if (sig) process.exitCode = sig === "SIGINT" ? 130 : 143;
      } finally {
        stop.dispose();
      }
    });
}
