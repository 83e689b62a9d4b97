import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { AuthmigrateError } from "../../errors.js";
import type { Direction, ReconcileReport } from "../../reconcile/types.js";
import { load, withConfig, type CommonOptions } from "../common.js";
import { EXIT, endProgress, printJson, progressPrinter } from "../output.js";

interface ReconcileFlags extends CommonOptions {
  html?: string;
  fix?: boolean;
  direction?: string;
  dryRun?: boolean;
  deleteExtra?: boolean;
  watch?: boolean;
  interval?: string;
  sampleSize?: string;
}

const DIRECTIONS = ["legacy-to-target", "target-to-legacy"] as const;

function positive(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new AuthmigrateError("USAGE", `${flag}: expected a positive integer, got "${v}"`);
  return n;
}

function parseFix(o: ReconcileFlags): { direction: Direction; dryRun?: boolean; deleteExtra?: boolean } | undefined {
  if (!o.fix) {
    if (o.direction || o.deleteExtra) throw new AuthmigrateError("USAGE", "--direction and --delete-extra only apply with --fix", { hint: "add --fix (and --dry-run to preview)" });
    if (o.dryRun) throw new AuthmigrateError("USAGE", "--dry-run previews a fix: use it with --fix", { hint: "reconcile without --fix never writes anything" });
    return undefined;
  }
  if (!o.direction || !(DIRECTIONS as readonly string[]).includes(o.direction)) {
    throw new AuthmigrateError("USAGE", `--fix needs --direction ${DIRECTIONS.join("|")}${o.direction ? `, got "${o.direction}"` : ""}`, {
      hint: "legacy-to-target makes the target match the legacy system; target-to-legacy writes the target's values into the legacy table (reconcile.legacyWrite)",
    });
  }
  return { direction: o.direction as Direction, ...(o.dryRun ? { dryRun: true } : {}), ...(o.deleteExtra ? { deleteExtra: true } : {}) };
}

/** Exit 1 when drift remains (after a real fix: when the fix failed some users), so cron/CI can alert. */
function exitCodeOf(r: ReconcileReport): number {
  if (r.interrupted) return 130;
  if (r.fix && !r.fix.dryRun) return (r.fix.outcomes.failed ?? 0) > 0 ? EXIT.partial : EXIT.ok;
  return r.driftedUsers > 0 ? EXIT.partial : EXIT.ok;
}

export function registerReconcileCommand(program: Command): void {
  withConfig(
    program
      .command("reconcile")
      .description("compare the legacy source with the target user by user: missing on either side, profile / identifier / org-role drift, orphans; optionally fix")
      .addHelpText(
        "after",
        `
Both sides are streamed and sorted on disk (a temporary SQLite file), so memory stays flat at any size.
Exit code: 0 no drift, 1 drift found (or, with --fix, some fixes failed), 2 usage/config error.

Examples:
  authmigrate reconcile --html drift.html
  authmigrate reconcile --fix --direction legacy-to-target --dry-run
  authmigrate reconcile --fix --direction legacy-to-target --delete-extra
  authmigrate reconcile --watch --interval 600     # beside \`authmigrate serve\``,
      ),
  )
    .option("--html <file>", "also write a self-contained HTML report")
    .option("--sample-size <n>", "samples kept per drift kind (default: reconcile.sampleSize or 20)")
    .option("--fix", "apply what differs (through the engine: rate limit, retries, ledger)")
    .option("--direction <d>", `with --fix: ${DIRECTIONS.join("|")}`)
    .option("--dry-run", "with --fix: print what would be done; write nothing")
    .option("--delete-extra", "with --fix: also delete users that exist only on the side being fixed (missing in legacy / orphans, or missing in target)")
    .option("--watch", "run again every --interval seconds until Ctrl-C")
    .option("--interval <s>", "with --watch: seconds between runs (default: reconcile.interval or 300)")
    .action(async (o: ReconcileFlags) => {
      const fix = parseFix(o);
      if (o.interval && !o.watch) throw new AuthmigrateError("USAGE", "--interval only applies with --watch");
      const sampleSize = o.sampleSize ? positive("--sample-size", o.sampleSize) : undefined;
      const { config, cwd } = await load(o);
      const { reconcile } = await import("../../reconcile/reconcile.js");
      const { renderHtml, renderText } = await import("../../reconcile/render.js");
      const output = (r: ReconcileReport): void => {
        endProgress();
        if (o.html) {
          const file = path.resolve(o.html);
          mkdirSync(path.dirname(file), { recursive: true });
          writeFileSync(file, renderHtml(r));
        }
        if (o.json) printJson(r);
        else process.stdout.write(renderText(r) + (o.html ? `\nHTML report: ${path.resolve(o.html)}` : "") + "\n");
        process.exitCode = exitCodeOf(r);
      };
      const base = { config, cwd, ...(fix ? { fix } : {}), ...(sampleSize ? { sampleSize } : {}), onProgress: progressPrinter("reconcile", o.json) };
      // Ctrl-C stops cleanly: the temporary sort file (which may hold legacy records) is removed,
      // and a side read only in part is never compared or fixed.
      const controller = new AbortController();
      const stop = (): void => controller.abort();
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
      try {
        if (!o.watch) {
          output(await reconcile({ ...base, signal: controller.signal }));
          return;
        }
        const intervalSeconds = o.interval ? positive("--interval", o.interval) : (config.reconcile?.interval ?? 300);
        const { watchReconcile } = await import("../../reconcile/watch.js");
        await watchReconcile({ ...base, signal: controller.signal, intervalSeconds, onReport: output, onError: (m) => process.stderr.write(`reconcile failed: ${m} (next run in ${intervalSeconds}s)\n`) });
      } finally {
        process.off("SIGINT", stop);
        process.off("SIGTERM", stop);
      }
    });
}
