/**
 * `audit --sql --execute`: seed 000's audit SQL run over the source's own connection. PostgreSQL for
 * real (numbers compared with the row-by-row audit); SQL Server through the fake tedious
 * connection (what is sent, in which dialect, and how results come back).
 */
import Database from "better-sqlite3";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuditSqlResult } from "../../src/audit/run-sql.js";
import type { AuditReport } from "../../src/audit/compute.js";
import { runAuditCommand, type AuditCommandDeps } from "../../src/cli/commands/audit.js";
import { parseConfig } from "../../src/config/load.js";
import { AuthmigrateError } from "../../src/errors.js";
import { MssqlSource } from "../../src/sources/mssql/index.js";
import { freshPgDatabase } from "../helpers.js";
import { fakeConnect, fakeServer } from "../sources/mssql/fake-tds.js";
import { AS_OF, CONFIG_INPUT, ROWS } from "./fixtures.js";

const deps = (config: unknown, more: AuditCommandDeps = {}): AuditCommandDeps & { output: string[] } => {
  const output: string[] = [];
  return { output, stdout: (s) => output.push(s), stderr: () => {}, progress: false, loadConfig: async () => ({ config: parseConfig(config), file: "x.json", cwd: "/" }), ...more };
};

describe("audit --sql --execute on PostgreSQL", () => {
  let db: Awaited<ReturnType<typeof freshPgDatabase>>;
  beforeAll(async () => {
    db = await freshPgDatabase("am_audit_exec");
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    await c.query(`CREATE TABLE "Users" ("Id" int PRIMARY KEY, "Email" text, "FirstName" text, "LastName" text, "IsActive" int, "RoleId" int, "TenantId" text, "LastLoginDate" timestamp, "PasswordHash" text)`);
    for (const r of ROWS) {
      await c.query(`INSERT INTO "Users" VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)`, [r.Id, r.Email, r.FirstName, r.LastName, r.IsActive, r.RoleId, r.TenantId, r.LastLoginDate, r.PasswordHash]);
    }
    await c.end();
  });
  afterAll(async () => db?.drop());

  it("runs every statement over the source connection; its counts equal the row-by-row audit's", async () => {
    const config = { ...CONFIG_INPUT, source: { type: "postgres", url: db.url, table: "Users" } };
    const asOf = AS_OF.toISOString();
    const sql = (await runAuditCommand({ sql: true, execute: true, json: true, asOf }, deps(config))) as AuditSqlResult;
    const report = (await runAuditCommand({ json: true, asOf }, deps(config))) as AuditReport;
    expect(sql.dialect).toBe("postgres");
    expect(sql.statements.map((s) => s.id)).toEqual(["totals", "roles", "duplicates", "duplicate_summary", "missing_email", "invalid_email", "activity", "orgs", "passwords"]);
    const rows = (id: string) => sql.statements.find((s) => s.id === id)!.rows;
    expect(rows("totals")[0]).toEqual({ total_users: report.totals.records, active_users: report.totals.active, inactive_users: report.totals.inactive });
    expect(Number(rows("missing_email")[0]!.missing_email)).toBe(report.emails.missing.count);
    expect(Number(rows("duplicate_summary")[0]!.duplicate_groups)).toBe(report.duplicates.groups);
  });

  it("prints a table per statement without --json", async () => {
    const d = deps({ ...CONFIG_INPUT, source: { type: "postgres", url: db.url, table: "Users" } });
    await runAuditCommand({ sql: true, execute: true }, d);
    const text = d.output.join("");
    expect(text).toContain(`audit SQL (postgres) run on postgres://postgres@127.0.0.1:5432/`);
    expect(text).toMatch(/-- Count users: total, active, inactive\ntotal_users\s+active_users\s+inactive_users\n-+/);
  });

  it("--execute is refused without --sql, and for a source it cannot run on", async () => {
    await expect(runAuditCommand({ execute: true }, deps({ ...CONFIG_INPUT, source: { type: "postgres", url: db.url, table: "Users" } }))).rejects.toThrow(/--execute only applies with --sql/);
    const e = await runAuditCommand({ sql: true, execute: true }, deps({ ...CONFIG_INPUT, source: { type: "sqlite", path: "x.db", table: "Users" } })).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(AuthmigrateError);
    expect((e as AuthmigrateError).code).toBe("AUDIT_SQL_NOT_RUNNABLE");
  });
});

describe("audit --sql on a SQL Server source", () => {
  const PASSWORD = "Pa55:word@x";
  const config = { ...CONFIG_INPUT, source: { type: "mssql", url: `mssql://audit:${encodeURIComponent(PASSWORD)}@sql.internal:1433/Legacy`, table: "dbo.Users" } };

  it("--sql prints T-SQL by default for an mssql source", async () => {
    const d = deps(config);
    await runAuditCommand({ sql: true, asOf: "2024-06-30" }, d);
    const text = d.output.join("");
    expect(text).toContain("-- authmigrate audit (mssql) for table dbo.Users");
    expect(text).toContain("FROM [dbo].[Users]");
    expect(text).toContain("DATEADD(day, -30, CAST('2024-06-30 00:00:00.000' AS datetime2))");
  });

  it("--execute sends each T-SQL statement over the tedious connection and returns the server's rows", async () => {
    const server = fakeServer(new Database(":memory:"), []);
    server.answer = (sql) => (sql.includes("AS total_users") ? [{ total_users: 41, active_users: 40, inactive_users: 1 }] : []);
    const d = deps(config, {
      openSqlSource: (c) => new MssqlSource(c.source as never, { connect: fakeConnect(server) }),
    });
    const r = (await runAuditCommand({ sql: true, execute: true, json: true, asOf: "2024-06-30" }, d)) as AuditSqlResult;
    expect(r.dialect).toBe("mssql");
    expect(server.statements).toHaveLength(9);
    for (const s of server.statements) {
      expect(s.sql).toContain("[dbo].[Users]");
      expect(s.sql).not.toMatch(/\bLIMIT\b|"Email"/);
      expect(s.params).toEqual([]);
    }
    expect(r.statements[0]!.rows).toEqual([{ total_users: 41, active_users: 40, inactive_users: 1 }]);
    expect(JSON.parse(d.output.join("")).source).toBe("mssql://audit@sql.internal:1433/Legacy table dbo.Users");
    expect(d.output.join("")).not.toContain("Pa55");
    expect(server.configs).toHaveLength(1); // one connection for all statements
  });

  it("a failing statement is named", async () => {
    const server = fakeServer(new Database(":memory:"), []);
    server.answer = (sql) => (sql.includes("AS total_users") ? [{ total_users: 1 }] : undefined); // the rest hit SQLite and fail
    const d = deps(config, { openSqlSource: (c) => new MssqlSource(c.source as never, { connect: fakeConnect(server) }) });
    const e = (await runAuditCommand({ sql: true, execute: true }, d).catch((x: unknown) => x)) as AuthmigrateError;
    expect(e.code).toBe("AUDIT_SQL_FAILED");
    expect(e.message).toContain('audit statement "roles" failed');
  });
});
