import type { Command } from "commander";
import type { RunReport } from "../../engine/run.js";
import type { VerifyReport } from "../../engine/verify.js";
import { AuthmigrateError } from "../../errors.js";
import type { Decision } from "../../engine/decision.js";
import type { ForcedStrategy } from "../../engine/strategy.js";
import { load, withConfig, type CommonOptions } from "../common.js";
import { EXIT, endProgress, printJson, progressPrinter, table } from "../output.js";

const STRATEGIES = ["hash", "reset", "temporary", "sso"] as const;

function parseStrategy(v: string | undefined): ForcedStrategy {
  if (v === undefined) return undefined;
  if (!(STRATEGIES as readonly string[]).includes(v)) {
    throw new AuthmigrateError("USAGE", `--password-strategy: unknown strategy "${v}"`, { hint: `one of: ${STRATEGIES.join(", ")}` });
  }
  return v as ForcedStrategy;
}

function positiveInt(flag: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new AuthmigrateError("USAGE", `${flag}: expected a positive integer, got "${v}"`);
    return n;
  };
}

export function renderRunReport(r: RunReport): string {
  const c = r.counts;
  const lines = [
    `${r.dryRun ? "Plan" : "Run"} ${r.runId ?? ""} → ${r.target} (${(r.durationMs / 1000).toFixed(1)}s, ledger ${r.ledger})`.replace("  ", " "),
    table(
      Object.entries({ total: c.total, created: c.created, updated: c.updated, unchanged: c.unchanged, skipped: c.skipped, failed: c.failed, ...(r.dryRun ? { would_create: c.would_create ?? 0, would_update: c.would_update ?? 0 } : {}) }).map(([k, v]) => [k, v ?? 0]),
    ),
  ];
  if (r.orgs.total) lines.push(`organizations: ${r.orgs.total} (${r.orgs.created} created, ${r.orgs.existing} existing, ${r.orgs.failed.length} failed)`);
  const reasons = Object.entries(r.reasons).sort((a, b) => b[1] - a[1]);
  if (reasons.length) lines.push("reasons:", table(reasons.map(([k, v]) => [`  ${k}`, v])));
  const strategies = Object.entries(r.strategies);
  if (strategies.length) lines.push("password strategies:", table(strategies.map(([k, v]) => [`  ${k}`, v])));
  if (r.reportFile) lines.push(`report: ${r.reportFile}`, `retry:  ${r.retryFile} (${c.failed ?? 0} rows)`);
  return lines.join("\n");
}

function decisionJson(d: Decision): Record<string, unknown> {
  return {
    location: d.location,
    externalId: d.externalId,
    email: d.email,
    action: d.kind,
    reason: d.reason,
    strategy: d.strategy,
    strategyReason: d.strategyReason,
    warnings: d.warnings.length ? d.warnings.map((w) => w.code) : undefined,
  };
}

export function renderVerify(r: VerifyReport): string {
  const lines = [
    table([
      ["source records", r.sourceRecords],
      ["migrated (ledger)", r.migrated],
      ["not migrated, with a reason", r.notMigrated],
      ["not processed yet", r.unprocessed],
      ["users in target", r.targetUsers],
      ["checked in target", r.checked],
      ["missing in target", r.missingInTarget.length],
      ["field mismatches", r.mismatches.length],
    ]),
  ];
  for (const id of r.missingInTarget.slice(0, 10)) lines.push(`  missing: ${id}`);
  for (const m of r.mismatches.slice(0, 10)) lines.push(`  ${m.externalId} ${m.field}: expected ${JSON.stringify(m.expected)}, got ${JSON.stringify(m.actual)}`);
  lines.push(r.ok ? "verify: OK" : "verify: FAILED");
  return lines.join("\n");
}

export function registerMigrateCommands(program: Command): void {
  withConfig(program.command("plan").description("show what `run` would do, per user, without writing anything"))
    .option("--password-strategy <s>", `force a password strategy: ${STRATEGIES.join("|")}`)
    .option("--limit <n>", "with --json: print at most n per-user decisions", positiveInt("--limit"))
    .action(async (o: CommonOptions & { passwordStrategy?: string; limit?: number }) => {
      const { config, cwd } = await load(o);
      const { runMigration } = await import("../../engine/run.js");
      const decisions: Record<string, unknown>[] = [];
      const report = await runMigration({
        config,
        cwd,
        dryRun: true,
        forcedStrategy: parseStrategy(o.passwordStrategy),
        ...(o.json ? { onDecision: (d: Decision) => void (decisions.length < (o.limit ?? Infinity) && decisions.push(decisionJson(d))) } : {}),
        ...(o.json ? {} : { onProgress: progressPrinter("plan") }),
      });
      endProgress();
      if (o.json) printJson({ ...report, users: decisions });
      else process.stdout.write(renderRunReport(report) + "\n");
    });

  withConfig(program.command("run").description("migrate: stream the source into the target, resumable and idempotent"))
    .option("--concurrency <n>", "target calls in flight", positiveInt("--concurrency"))
    .option("--password-strategy <s>", `force a password strategy: ${STRATEGIES.join("|")}`)
    .action(async (o: CommonOptions & { concurrency?: number; passwordStrategy?: string }) => {
      const { config, cwd } = await load(o);
      const { runMigration } = await import("../../engine/run.js");
      const controller = new AbortController();
      const stop = (): void => controller.abort();
      process.once("SIGINT", stop);
      try {
        const report = await runMigration({
          config,
          cwd,
          signal: controller.signal,
          forcedStrategy: parseStrategy(o.passwordStrategy),
          ...(o.concurrency ? { concurrency: o.concurrency } : {}),
          onProgress: progressPrinter("run"),
        });
        endProgress();
        if (o.json) printJson(report);
        else process.stdout.write(renderRunReport(report) + "\n");
        if ((report.counts.failed ?? 0) > 0) process.exitCode = EXIT.partial;
      } finally {
        process.off("SIGINT", stop);
      }
    });

  withConfig(program.command("verify").description("check the target against the source and the ledger (counts, users, orgs, roles)"))
    .option("--sample <n>", "check every n-th migrated user in the target instead of all", positiveInt("--sample"))
    .action(async (o: CommonOptions & { sample?: number }) => {
      const { config, cwd } = await load(o);
      const { verifyMigration } = await import("../../engine/verify.js");
      const report = await verifyMigration({ config, cwd, ...(o.sample ? { sample: o.sample } : {}), onProgress: progressPrinter("verify") });
      endProgress();
      if (o.json) printJson(report);
      else process.stdout.write(renderVerify(report) + "\n");
      if (!report.ok) process.exitCode = EXIT.partial;
    });

  withConfig(program.command("status").description("summarise the ledger: users and orgs per status, top reasons, recent runs")).action(async (o: CommonOptions) => {
    const { config, cwd } = await load(o);
    const { migrationStatus } = await import("../../engine/status.js");
    const s = await migrationStatus({ config, cwd });
    if (o.json) return printJson(s);
    const lines = [
      `ledger: ${s.ledger} · target ${s.target}`,
      "users:",
      table(Object.entries(s.users).map(([k, v]) => [`  ${k}`, v])),
      "organizations:",
      table(Object.entries(s.orgs).map(([k, v]) => [`  ${k}`, v])),
    ];
    if (s.reasons.length) lines.push("reasons:", table(s.reasons.map((r) => [`  ${r.reason}`, r.count])));
    if (s.runs.length) {
      lines.push("recent runs:", table(s.runs.map((r) => [`  #${r.id}`, r.kind, r.status, r.startedAt, Object.entries(r.counts).map(([k, v]) => `${k}=${v}`).join(" ")])));
    }
    process.stdout.write(lines.join("\n") + "\n");
  });

  withConfig(program.command("rollback").description("delete from the target the users this tool created (never pre-existing ones)"))
    .option("--dry-run", "list what would be deleted")
    .option("--yes", "confirm: actually delete")
    .action(async (o: CommonOptions & { dryRun?: boolean; yes?: boolean }) => {
      if (!o.dryRun && !o.yes) {
        throw new AuthmigrateError("USAGE", "rollback deletes users from the target", { hint: "run with --dry-run first, then --yes to confirm" });
      }
      const { config, cwd } = await load(o);
      const { rollbackMigration } = await import("../../engine/rollback.js");
      const r = await rollbackMigration({ config, cwd, dryRun: !!o.dryRun });
      if (o.json) printJson(r);
      else process.stdout.write(`${r.dryRun ? "would delete" : "deleted"} ${r.dryRun ? r.candidates : r.deleted} of ${r.candidates} users created by authmigrate${r.failed.length ? `; ${r.failed.length} failed` : ""}\n`);
      if (r.failed.length) process.exitCode = EXIT.partial;
    });
}
