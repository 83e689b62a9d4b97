import { AuthmigrateError, errorMessage, isAuthmigrateError } from "../errors.js";
import type { Progress } from "../engine/progress.js";

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

function duration(secs: number): string {
  if (!Number.isFinite(secs)) return "?";
  const s = Math.round(secs);
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m` : s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s` : `${s}s`;
}

/** Progress to stderr (count, rate, ETA): redrawn in place on a TTY, a line every few seconds otherwise. */
export function progressPrinter(label: string): (p: Progress) => void {
  const tty = process.stderr.isTTY;
  let lastLine = 0;
  return (p) => {
    const total = p.total !== undefined ? `/${p.total}` : "";
    const pct = p.total ? ` ${((100 * p.processed) / p.total).toFixed(1)}%` : "";
    const eta = p.etaSeconds !== undefined ? ` ETA ${duration(p.etaSeconds)}` : "";
    const line = `${label}: ${p.processed}${total}${pct} · ${Math.round(p.rate)}/s${eta}`;
    if (tty) process.stderr.write(`\r\x1b[2K${line}`);
    else if (Date.now() - lastLine > 5000 || (p.total !== undefined && p.processed >= p.total)) {
      lastLine = Date.now();
      process.stderr.write(line + "\n");
    }
  };
}

export function endProgress(): void {
  if (process.stderr.isTTY) process.stderr.write("\r\x1b[2K");
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
