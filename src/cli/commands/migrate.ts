import { Option, type Command } from "commander";
import { createWriteStream, readFileSync } from "node:fs";
import type { MappedRecord } from "../../mapping/map-user.js";
import type { MigrationStatus } from "../../engine/status.js";
import type { ScaleRunStatus } from "../../engine/scale/workers.js";
import type { LedgerSummary } from "../../ledger/types.js";
import type { RunReport } from "../../engine/run.js";
import type { VerifyReport } from "../../engine/verify.js";
import { AuthmigrateError } from "../../errors.js";
import type { Decision } from "../../engine/decision.js";
import type { ForcedStrategy } from "../../engine/strategy.js";
import { load, withConfig, type CommonOptions } from "../common.js";
import { EXIT, endProgress, printJson, progressPrinter, table } from "../output.js";
import { renderScale, runScaledCommand, workersFlag } from "./scale.js";

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
  for (const n of r.notices ?? []) lines.push(`note: ${n}`);
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

function readCredentials(file: string): { email: string; password: string }[] {
  return readFileSync(file, "utf8")
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !/^email,/i.test(l))
    .map((l) => {
      const i = l.indexOf(",");
      if (i <= 0) throw new AuthmigrateError("USAGE", `--sign-in: each line must be email,password (${file})`);
      return { email: l.slice(0, i).trim().toLowerCase(), password: l.slice(i + 1) };
    });
}

function renderStatus(s: LedgerSummary & { ledger: string; status: MigrationStatus; scale?: ScaleRunStatus }): string {
  const st = s.status;
  const lines = [
    `ledger: ${s.ledger} · target ${s.target}`,
    `migrated ${st.migrationProgress.migratedUsers} (${st.migrationProgress.migrationPercentage}%)` +
      (st.totalUsers !== null ? ` · ${st.totalUsers} users in target, ${st.migrationProgress.nativeUsers} not from this migration` : ""),
    "users:",
    table(Object.entries(s.users).map(([k, v]) => [`  ${k}`, v])),
    `health: ${st.health.failed} failed (${st.health.failedPercentage}%), ${st.health.pending} in flight/unknown, ${st.health.rolledBack} rolled back, ${st.health.organizations} organizations`,
  ];
  if (s.reasons.length) lines.push("reasons:", table(s.reasons.map((r) => [`  ${r.reason}`, r.count])));
  if (s.scale) lines.push(renderScale(s.scale));
  if (s.runs.length) {
    lines.push("recent runs:", table(s.runs.map((r) => [`  #${r.id}`, r.kind, r.status, r.startedAt, Object.entries(r.counts).map(([k, v]) => `${k}=${v}`).join(" ")])));
  }
  return lines.join("\n");
}

export function renderVerify(r: VerifyReport): string {
  const mark = { pass: "PASS", fail: "FAIL", skip: "skip" } as const;
  const lines = [table(r.checks.map((c) => [mark[c.status], c.title, c.evidence]))];
  for (const m of r.mismatches.slice(0, 10)) lines.push(`  ${m.externalId} ${m.field}: expected ${JSON.stringify(m.expected)}, got ${JSON.stringify(m.actual)}`);
  lines.push(r.ok ? "verify: OK" : "verify: FAILED");
  return lines.join("\n");
}

interface MigrateFlags extends CommonOptions {
  dryRun?: boolean;
  concurrency?: number;
  passwordStrategy?: string;
  reset?: string;
}

function parseReset(v: string | undefined): "none" | "missing" | "all" | undefined {
  if (v === undefined) return undefined;
  if (v !== "none" && v !== "missing" && v !== "all") throw new AuthmigrateError("USAGE", `--reset: expected none, missing or all, got "${v}"`);
  return v;
}

/** `run` and `pilot`: SIGINT/SIGTERM stop gracefully (in-flight requests finish and are recorded), then exit 130/143. */
async function runCommand(o: MigrateFlags, only?: (rec: MappedRecord) => boolean): Promise<void> {
  const { config, cwd } = await load(o);
  const { runMigration } = await import("../../engine/run.js");
  const controller = new AbortController();
  let signalled: NodeJS.Signals | undefined;
  const stop = (sig: NodeJS.Signals): void => {
    signalled ??= sig;
    process.stderr.write(`\n${sig}: finishing requests in flight, then stopping (again to force)\n`);
    if (controller.signal.aborted) process.exit(sig === "SIGINT" ? 130 : 143);
    controller.abort();
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  try {
    const forcedStrategy = parseStrategy(o.passwordStrategy);
    const reset = parseReset(o.reset);
    const report = await runMigration({
      config,
      cwd,
      signal: controller.signal,
      ...(o.dryRun ? { dryRun: true } : {}),
      ...(forcedStrategy ? { forcedStrategy } : {}),
      ...(reset ? { reset } : {}),
      ...(o.concurrency ? { concurrency: o.concurrency } : {}),
      ...(only ? { only } : {}),
      onProgress: progressPrinter(o.dryRun ? "dry run" : "run", o.json),
    });
    endProgress();
    if (o.json) printJson(report);
    else process.stdout.write(renderRunReport(report) + "\n");
    if (signalled) process.exitCode = signalled === "SIGINT" ? 130 : 143;
    else if ((report.counts.failed ?? 0) > 0) process.exitCode = EXIT.partial;
  } finally {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
  }
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
        onProgress: progressPrinter("plan", o.json),
      });
      endProgress();
      if (o.json) printJson({ ...report, users: decisions });
      else process.stdout.write(renderRunReport(report) + "\n");
    });

  withConfig(program.command("run").description("migrate: stream the source into the target, resumable and idempotent"))
    .option("--dry-run", "ask the target's read endpoints and report per user what would happen; write nothing")
    .option("--concurrency <n>", "target calls in flight", positiveInt("--concurrency"))
    .option("--password-strategy <s>", `force a password strategy: ${STRATEGIES.join("|")}`)
    .option("--reset <which>", "reset emails after import: none|missing|all (default: config passwords.reset)")
    .option("--workers <n>", "split the run into chunks worked by n processes here (more join with `authmigrate worker --run <id>`); needs a PostgreSQL ledger", workersFlag)
    .action(async (o: MigrateFlags & { workers?: number }) => (o.workers !== undefined ? runScaledCommand({ ...o, workers: o.workers }) : runCommand(o)));

  withConfig(program.command("pilot").description("migrate only a pilot group (seed 000: test with 5-10 users first)"))
    .option("--emails <list>", "comma-separated emails")
    .option("--file <file>", "file with one email per line")
    .option("--dry-run", "report what would happen without writing")
    .option("--password-strategy <s>", `force a password strategy: ${STRATEGIES.join("|")}`)
    .option("--reset <which>", "reset emails after import: none|missing|all")
    .action(async (o: MigrateFlags & { emails?: string; file?: string }) => {
      const emails = [...(o.emails?.split(",") ?? []), ...(o.file ? readFileSync(o.file, "utf8").split(/\r?\n/) : [])]
        .map((e) => e.trim().toLowerCase())
        .filter(Boolean);
      if (!emails.length) throw new AuthmigrateError("USAGE", "pilot needs --emails a@x.com,b@y.com or --file emails.txt");
      const set = new Set(emails);
      await runCommand(o, (rec) => !!rec.user?.email && set.has(rec.user.email));
    });

  withConfig(program.command("verify").description("check the target against the source and the ledger (counts, users, orgs, roles)"))
    .option("--sample <n>", "check every n-th migrated user in the target instead of all", positiveInt("--sample"))
    .option("--sign-in <file>", "CSV of pilot credentials (email,password) that must sign in at the target")
    .action(async (o: CommonOptions & { sample?: number; signIn?: string }) => {
      const { config, cwd } = await load(o);
      const { verifyMigration } = await import("../../engine/verify.js");
      const signIn = o.signIn ? readCredentials(o.signIn) : undefined;
      const report = await verifyMigration({ config, cwd, ...(o.sample ? { sample: o.sample } : {}), ...(signIn ? { signIn } : {}), onProgress: progressPrinter("verify", o.json) });
      endProgress();
      if (o.json) printJson(report);
      else process.stdout.write(renderVerify(report) + "\n");
      if (!report.ok) process.exitCode = EXIT.partial;
    });

  withConfig(program.command("status").description("migration status (seed 000's shape): progress, per status, health, top reasons, recent runs"))
    .option("--watch [seconds]", "refresh until Ctrl-C (default every 5 s)")
    .option("--ledger-only", "do not ask the target for its user count")
    .action(async (o: CommonOptions & { watch?: string | boolean; ledgerOnly?: boolean }) => {
      const { config, cwd } = await load(o);
      const { migrationStatus } = await import("../../engine/status.js");
      const every = o.watch === undefined || o.watch === false ? 0 : o.watch === true ? 5 : Number(o.watch);
      for (;;) {
        const scale = await (await import("../../engine/scale/workers.js")).scaleStatusFor(config, cwd);
        const s = { ...(await migrationStatus({ config, cwd, ...(o.ledgerOnly ? { ledgerOnly: true } : {}) })), ...(scale ? { scale } : {}) };
        if (o.json) printJson(s);
        else process.stdout.write((every && process.stdout.isTTY ? "\x1b[2J\x1b[H" : "") + renderStatus(s) + "\n");
        if (!every) return;
        await new Promise((r) => setTimeout(r, every * 1000));
      }
    });

  withConfig(program.command("rollback").description("delete (or disable) in the target the users this tool created (never pre-existing ones)"))
    .option("--run <id>", "only users created by this run (see `status`)", positiveInt("--run"))
    .addOption(new Option("--mode <mode>", "delete the users, or disable them (they stay, unable to sign in)").choices(["delete", "disable"]).default("delete"))
    .option("--dry-run", "list what would be deleted/disabled")
    .option("--yes", "confirm: actually delete/disable")
    .action(async (o: CommonOptions & { dryRun?: boolean; yes?: boolean; run?: number; mode: "delete" | "disable" }) => {
      if (!o.dryRun && !o.yes) {
        throw new AuthmigrateError("USAGE", `rollback ${o.mode === "disable" ? "disables" : "deletes"} users in the target`, { hint: "run with --dry-run first, then --yes to confirm" });
      }
      const { config, cwd } = await load(o);
      const { rollbackMigration } = await import("../../engine/rollback.js");
      const r = await rollbackMigration({ config, cwd, dryRun: !!o.dryRun, mode: o.mode, ...(o.run !== undefined ? { runId: o.run } : {}) });
      if (o.json) printJson(r);
      else {
        const scope = r.runId !== undefined ? ` by run ${r.runId}` : "";
        const verb = r.mode === "disable" ? "disable" : "delete";
        process.stdout.write(`${r.dryRun ? `would ${verb}` : `${verb}d`} ${r.dryRun ? r.candidates : r.deleted} of ${r.candidates} users created${scope} by authmigrate${r.failed.length ? `; ${r.failed.length} failed` : ""}\n`);
        if (r.exportFile) process.stdout.write(`exported first to ${r.exportFile}\n`);
      }
      if (r.failed.length) process.exitCode = EXIT.partial;
    });

  withConfig(program.command("export-mapping").description("write the legacyId ↔ targetId mapping as CSV"))
    .option("-o, --out <file>", "write to a file instead of stdout")
    .action(async (o: CommonOptions & { out?: string }) => {
      const { config, cwd } = await load(o);
      const { exportMapping } = await import("../../engine/export-mapping.js");
      const out = o.out ? createWriteStream(o.out, { mode: 0o600 }) : process.stdout;
      for await (const line of exportMapping({ config, cwd })) if (!out.write(line)) await new Promise<void>((r) => out.once("drain", () => r()));
      if (o.out) await new Promise<void>((r) => (out as ReturnType<typeof createWriteStream>).end(r));
    });
}
