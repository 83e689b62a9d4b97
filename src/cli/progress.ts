/**
 * Progress of long commands (run, plan, verify, reconcile, audit) on stderr, in one of three modes:
 * - a TTY: a cli-progress bar with count, percentage, rate and ETA, redrawn in place;
 * - not a TTY (CI logs, files): one plain line every `plainEveryMs` and a last one at the end;
 * - `--json`: NDJSON machine events, `{"type":"progress",...}` lines (stdout stays the final JSON).
 */
import cliProgress from "cli-progress";
import type { Progress } from "../engine/progress.js";

export type ProgressMode = "bar" | "plain" | "json";

export interface ProgressReporter {
  (p: Progress): void;
  /** Final event / line, then releases the terminal line. Idempotent. */
  stop(): void;
}

export interface ReporterOptions {
  mode?: ProgressMode;
  /** Where plain and JSON lines go (default: stderr). The bar always draws on stderr. */
  write?: (s: string) => void;
  plainEveryMs?: number;
  jsonEveryMs?: number;
  now?: () => number;
}

export function formatDuration(secs: number | undefined): string {
  if (secs === undefined || !Number.isFinite(secs)) return "?";
  const s = Math.round(secs);
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m` : s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s` : `${s}s`;
}

export function plainLine(label: string, p: Progress): string {
  const total = p.total !== undefined ? `/${p.total}` : "";
  const pct = p.total ? ` ${((100 * p.processed) / p.total).toFixed(1)}%` : "";
  const eta = p.etaSeconds !== undefined ? ` ETA ${formatDuration(p.etaSeconds)}` : "";
  return `${label}: ${p.processed}${total}${pct} · ${Math.round(p.rate)}/s${eta}`;
}

export function progressEvent(label: string, p: Progress, final: boolean, now: number): Record<string, unknown> {
  return {
    type: "progress",
    command: label,
    processed: p.processed,
    total: p.total ?? null,
    rate: Math.round(p.rate * 10) / 10,
    etaSeconds: p.etaSeconds === undefined ? null : Math.round(p.etaSeconds),
    counts: p.counts,
    final,
    ts: new Date(now).toISOString(),
  };
}

export function defaultMode(json: boolean | undefined): ProgressMode {
  return json ? "json" : process.stderr.isTTY ? "bar" : "plain";
}

export function progressReporter(label: string, opts: ReporterOptions = {}): ProgressReporter {
  const mode = opts.mode ?? defaultMode(false);
  const write = opts.write ?? ((s: string) => void process.stderr.write(s));
  const now = opts.now ?? Date.now;
  let last: Progress | undefined;
  let lastAt = -Infinity;
  let stopped = false;
  let bar: cliProgress.SingleBar | undefined;

  const emit = (p: Progress, final: boolean): void => {
    if (mode === "json") write(JSON.stringify(progressEvent(label, p, final, now())) + "\n");
    else write(plainLine(label, p) + "\n");
  };

  const report = ((p: Progress) => {
    if (stopped) return;
    last = p;
    if (mode === "bar") {
      const payload = { rate: Math.round(p.rate), eta: formatDuration(p.etaSeconds), label };
      if (!bar) {
        const format = p.total !== undefined ? "{label} [{bar}] {percentage}% | {value}/{total} | {rate}/s | ETA {eta}" : "{label}: {value} | {rate}/s";
        bar = new cliProgress.SingleBar({ format, stream: process.stderr, hideCursor: true, clearOnComplete: false, etaBuffer: 50, fps: 5 }, cliProgress.Presets.shades_classic);
        bar.start(p.total ?? 0, p.processed, payload);
      } else {
        if (p.total !== undefined) bar.setTotal(p.total);
        bar.update(p.processed, payload);
      }
      return;
    }
    const every = mode === "json" ? (opts.jsonEveryMs ?? 1000) : (opts.plainEveryMs ?? 5000);
    if (now() - lastAt < every) return;
    lastAt = now();
    emit(p, false);
  }) as ProgressReporter;

  report.stop = () => {
    if (stopped) return;
    stopped = true;
    if (bar) {
      bar.stop();
      return;
    }
    if (last) emit(last, true);
  };
  return report;
}
