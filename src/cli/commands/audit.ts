import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { auditUsers, type AuditReport } from "../../audit/compute.js";
import { renderHtml } from "../../audit/render-html.js";
import { renderTable } from "../../audit/render-table.js";
import { auditSql, isSqlDialect, SQL_DIALECTS, type SqlDialect } from "../../audit/sql.js";
import type { AuditSqlResult, QueryableSource } from "../../audit/run-sql.js";
import { table } from "../output.js";
import type { Config } from "../../config/schema.js";
import { loadConfig, type LoadedConfig } from "../../config/load.js";
import { ProgressTracker } from "../../engine/progress.js";
import { progressReporter } from "../progress.js";
import { AuthmigrateError } from "../../errors.js";
import type { MappedRecord } from "../../mapping/map-user.js";

export interface AuditCliOptions {
  config?: string;
  asOf?: string;
  json?: boolean;
  html?: string;
  sql?: boolean;
  dialect?: string;
  table?: string;
  limitGroups?: number;
  /** With --sql: run the statements over the source connection and print their results. */
  execute?: boolean;
}

/** An opened, mapped user stream (the engine's by default; tests inject their own). */
export interface OpenedUsers {
  describe: string;
  total?: number;
  records: AsyncIterable<MappedRecord>;
  close(): Promise<void>;
}

export interface AuditCommandDeps {
  stdout?: (s: string) => void;
  stderr?: (s: string) => void;
  /** false = no progress; true = plain lines (or NDJSON with --json) on `stderr`; default: a bar on a TTY, else plain lines. */
  progress?: boolean;
  loadConfig?: (file: string | undefined) => Promise<LoadedConfig>;
  openUsers?: (config: Config, cwd: string) => Promise<OpenedUsers>;
  now?: () => Date;
  /** Opens the source `--sql --execute` runs statements on (tests inject a fake driver). */
  openSqlSource?: (config: Config, cwd: string) => QueryableSource;
}

async function defaultOpenUsers(config: Config, cwd: string): Promise<OpenedUsers> {
  // Loaded lazily so `audit --sql` works without touching (or loading drivers for) the source.
  const { openUserSource, readMappedUsers } = await import("../../engine/read.js");
  const source = await openUserSource(config, cwd);
  let total: number | undefined;
  try {
    total = await source.count();
  } catch {
    total = undefined;
  }
  return {
    describe: source.describe(),
    ...(total !== undefined ? { total } : {}),
    records: readMappedUsers(config, source),
    close: () => source.close(),
  };
}

/** `--as-of 2024-06-30` (midnight UTC) or any ISO timestamp. */
export function parseAsOf(v: string | undefined, now: () => Date = () => new Date()): Date {
  if (v === undefined) return now();
  const s = v.trim();
  const d = new Date(/^\d{4}-\d{2}-\d{2}$/.test(s) ? `${s}T00:00:00Z` : s);
  if (s === "" || Number.isNaN(d.getTime())) {
    throw new AuthmigrateError("USAGE", `--as-of: not a date: "${v}"`, { hint: "use an ISO date or timestamp, e.g. 2024-06-30 or 2024-06-30T12:00:00Z" });
  }
  return d;
}

function parseLimit(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new AuthmigrateError("USAGE", `--limit-groups: expected a non-negative integer, got "${v}"`);
  return n;
}

function sqlDialectFor(config: Config, explicit: string | undefined, table: string | undefined): SqlDialect {
  const type = config.source.type;
  if (table === undefined && type !== "postgres" && type !== "mysql" && type !== "mssql" && type !== "sqlite") {
    throw new AuthmigrateError("AUDIT_SQL_NOT_SQL", `--sql needs a SQL source; this config reads a ${type} file`, {
      hint: `pass --table <name> and --dialect ${SQL_DIALECTS.join("|")} for the legacy table the file was exported from`,
    });
  }
  if (explicit !== undefined) {
    if (!isSqlDialect(explicit)) {
      throw new AuthmigrateError("USAGE", `--dialect: unknown dialect "${explicit}"`, { hint: `one of: ${SQL_DIALECTS.join(", ")}` });
    }
    return explicit;
  }
  if (config.source.type === "postgres") return "postgres";
  if (config.source.type === "mysql") return "mysql";
  if (config.source.type === "mssql") return "mssql";
  throw new AuthmigrateError("USAGE", `--sql: cannot tell the SQL dialect of a ${config.source.type} source`, {
    hint: `pass --dialect ${SQL_DIALECTS.join("|")} (the legacy database's)`,
  });
}

/** Run the audit command; exported for tests and library callers. Never exits the process. */
export async function runAuditCommand(o: AuditCliOptions, deps: AuditCommandDeps = {}): Promise<AuditReport | AuditSqlResult | string> {
  const out = deps.stdout ?? ((s: string) => void process.stdout.write(s));
  const err = deps.stderr ?? ((s: string) => void process.stderr.write(s));
  const now = deps.now ?? (() => new Date());
  if (o.execute && !o.sql) throw new AuthmigrateError("USAGE", "--execute only applies with --sql", { hint: "use `audit --sql --execute`" });
  if (o.execute && (o.html || o.dialect !== undefined || o.table !== undefined)) {
    throw new AuthmigrateError("USAGE", "--sql --execute runs the source's own table/query in its own dialect; it cannot be combined with --html, --dialect or --table");
  }
  if (o.sql && !o.execute && (o.json || o.html)) {
    throw new AuthmigrateError("USAGE", "--sql prints SQL only; it cannot be combined with --json or --html", { hint: "run `audit --sql` and `audit --json` separately" });
  }
  if (!o.sql && (o.dialect !== undefined || o.table !== undefined)) {
    throw new AuthmigrateError("USAGE", `${o.dialect !== undefined ? "--dialect" : "--table"} only applies with --sql`, { hint: "add --sql" });
  }
  const asOf = o.asOf !== undefined ? parseAsOf(o.asOf, now) : undefined;
  const { config, cwd } = await (deps.loadConfig ?? loadConfig)(o.config);

  if (o.sql && o.execute) {
    const { runAuditSql } = await import("../../audit/run-sql.js");
    const result = await runAuditSql(config, cwd, asOf ? { asOf } : {}, deps.openSqlSource);
    out(o.json ? JSON.stringify(result, null, 2) + "\n" : renderSqlResult(result));
    return result;
  }
  if (o.sql) {
    const dialect = sqlDialectFor(config, o.dialect, o.table);
    const sql = auditSql(config, dialect, { ...(o.table !== undefined ? { table: o.table } : {}), ...(asOf ? { asOf } : {}) });
    out(sql.endsWith("\n") ? sql : sql + "\n");
    return sql;
  }

  const opened = await (deps.openUsers ?? defaultOpenUsers)(config, cwd);
  // A bar on a TTY, plain lines otherwise, NDJSON events with --json (src/cli/progress.ts); `progress: false` = none.
  const mode = o.json ? "json" : deps.progress === undefined && !deps.stderr && process.stderr.isTTY ? "bar" : "plain";
  const progress = deps.progress === false ? undefined : progressReporter("audit", { mode, write: err });
  const tracker = new ProgressTracker(opened.total, {}, undefined);
  let timer: NodeJS.Timeout | undefined;
  if (progress) {
    timer = setInterval(() => progress(tracker.snapshot()), 1000);
    timer.unref();
  }
  let report: AuditReport;
  try {
    report = await auditUsers(opened.records, {
      asOf: asOf ?? now(),
      source: opened.describe,
      now,
      onRecord: () => tracker.processed++,
    });
  } finally {
    if (timer) clearInterval(timer);
    if (progress) {
      progress(tracker.snapshot());
      progress.stop();
    }
    await opened.close();
  }

  if (o.html) {
    const file = path.resolve(o.html);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, renderHtml(report, o.limitGroups !== undefined ? { limitGroups: o.limitGroups } : {}));
    // With --json, stdout is for JSON only.
    (o.json ? err : out)(`audit report written to ${file}\n`);
  }
  if (o.json) out(JSON.stringify(report, null, 2) + "\n");
  else if (!o.html) out(renderTable(report, o.limitGroups !== undefined ? { limitGroups: o.limitGroups } : {}));
  return report;
}

export function registerAuditCommand(program: Command, deps: AuditCommandDeps = {}): void {
  program
    .command("audit")
    .description("pre-migration audit of the legacy users: counts, roles, duplicate and missing emails, last-login buckets, password formats, orgs")
    .option("-c, --config <file>", "config file (default: authmigrate.config.{ts,js,json,yaml} in the current directory)")
    .option("--as-of <date>", "date the last-login buckets are relative to (default: now), e.g. 2024-06-30")
    .option("--json", "print the full report as JSON on stdout")
    .option("--html <file>", "write a self-contained HTML report to <file>")
    .option("--sql", "print the equivalent SQL to run against the legacy database instead of reading it")
    .option("--dialect <dialect>", `with --sql: ${SQL_DIALECTS.join("|")} (default: from source.type)`)
    .option("--table <name>", "with --sql: legacy table to query (default: source.table / source.query)")
    .option("--execute", "with --sql: run the statements over the source's connection (postgres, mysql, mssql) and print the results (--json for JSON)")
    .option("--limit-groups <n>", "duplicate-email groups to list in the table/HTML (default 10; JSON has all)", parseLimit)
    .action(async (o: AuditCliOptions) => {
      await runAuditCommand(o, deps);
    });
}

/** Each audit statement's comment and result rows as a small table. */
function renderSqlResult(r: AuditSqlResult): string {
  const parts = [`audit SQL (${r.dialect}) run on ${r.source}`];
  for (const s of r.statements) {
    const cols = [...new Set(s.rows.flatMap((row) => Object.keys(row)))];
    const cell = (v: unknown): string | number => (typeof v === "number" ? v : v === null || v === undefined ? "" : v instanceof Date ? v.toISOString() : String(v));
    const body = s.rows.length ? table(s.rows.map((row) => cols.map((c) => cell(row[c]))), cols) : "(no rows)";
    parts.push(`\n-- ${s.comment[0] ?? s.id}\n${body}`);
  }
  return parts.join("\n") + "\n";
}
