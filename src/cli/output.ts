import { AuthmigrateError, errorMessage, isAuthmigrateError } from "../errors.js";
import type { Progress } from "../engine/progress.js";
import { defaultMode, progressReporter, type ProgressReporter } from "./progress.js";

/** Documented exit codes (README): 0 ok, 1 some users failed / check failed, 2 usage or config error, 3 fatal. */
export const EXIT = { ok: 0, partial: 1, usage: 2, fatal: 3 } as const;

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + "\n");
}

/** Left-aligned text table; numbers right-aligned. */
export function table(rows: (string | number)[][], header?: string[]): string {
  const all = header ? [header, ...rows] : rows;
  const widths = all[0]?.map((_, i) => Math.max(...all.map((r) => String(r[i] ?? "").length))) ?? [];
  const fmt = (r: (string | number)[]): string =>
    r.map((c, i) => (typeof c === "number" ? String(c).padStart(widths[i]!) : String(c).padEnd(widths[i]!))).join("  ").trimEnd();
  const lines = all.map(fmt);
  if (header) lines.splice(1, 0, widths.map((w) => "-".repeat(w)).join("  "));
  return lines.join("\n");
}

const active = new Set<ProgressReporter>();

/**
 * Progress on stderr (count, rate, ETA): a bar on a TTY, a plain line every few seconds otherwise,
 * NDJSON `{"type":"progress",…}` events with `--json` (src/cli/progress.ts). `endProgress()` ends it.
 */
export function progressPrinter(label: string, json = false): (p: Progress) => void {
  const r = progressReporter(label, { mode: defaultMode(json) });
  active.add(r);
  return r;
}

export function endProgress(): void {
  for (const r of active) r.stop();
  active.clear();
}

/** One renderer for every error: message + hint for humans, `{status:"error", error}` on stdout with --json. */
export function renderError(e: unknown, json: boolean): number {
  const err = isAuthmigrateError(e) ? e : new AuthmigrateError("FATAL", errorMessage(e));
  if (json) printJson({ status: "error", error: err.toJSON() });
  process.stderr.write(`error: ${err.message}\n`);
  if (err.hint) process.stderr.write(`  hint: ${err.hint}\n`);
  if (!isAuthmigrateError(e) && process.env.AUTHMIGRATE_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`);
  return isAuthmigrateError(e) ? (e.code === "FATAL" ? EXIT.fatal : EXIT.usage) : EXIT.fatal;
}
