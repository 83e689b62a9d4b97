/**
 * The generated SQL, run on real PostgreSQL and MariaDB, must give the numbers `auditUsers`
 * computes from the same rows.
 */
import mysql from "mysql2/promise";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditUsers, type AuditReport } from "../../src/audit/compute.js";
import { auditSqlStatements, type AuditStatement, type SqlDialect } from "../../src/audit/sql.js";
import type { Config } from "../../src/config/schema.js";
import { AS_OF, ROWS, makeConfig, mapRows, type LegacyRow } from "./fixtures.js";

type Row = Record<string, unknown>;
type Run = (sql: string) => Promise<Row[]>;

/** What both sides are compared on. */
interface Numbers {
  totals: { total: number; active: number; inactive: number };
  roles: string[];
  duplicates: string[];
  duplicateSummary: { groups: number; extra: number };
  missing: number;
  invalid: number;
  activity: Record<string, number>;
  orgs: string[];
  passwords: Record<string, number>;
}

const n = (v: unknown): number => Number(v ?? 0);

async function fromSql(run: Run, statements: AuditStatement[]): Promise<Numbers> {
  const by = async (id: AuditStatement["id"]) => run(statements.find((s) => s.id === id)!.sql);
  const [t] = await by("totals");
  const [ds] = await by("duplicate_summary");
  const [m] = await by("missing_email");
  const [inv] = await by("invalid_email");
  return {
    totals: { total: n(t!.total_users), active: n(t!.active_users), inactive: n(t!.inactive_users) },
    roles: (await by("roles")).map((r) => `${r.role}|${r.raw_role}|${n(r.users)}|${n(r.active_users)}`).sort(),
    duplicates: (await by("duplicates")).map((r) => `${r.email}|${n(r.records)}`),
    duplicateSummary: { groups: n(ds!.duplicate_groups), extra: n(ds!.extra_records) },
    missing: n(m!.missing_email),
    invalid: n(inv!.invalid_email),
    activity: Object.fromEntries((await by("activity")).map((r) => [String(r.activity_bucket), n(r.users)])),
    orgs: (await by("orgs")).map((r) => `${r.org}|${n(r.users)}|${n(r.active_users)}`).sort(),
    passwords: Object.fromEntries((await by("passwords")).map((r) => [String(r.password_format), n(r.users)])),
  };
}

/** The SQL's rough password classes, from the exact formats. */
function roughFormat(format: string): string {
  if (format === "none") return "none";
  if (format === "unrecognised") return "other";
  if (format === "bcrypt") return "bcrypt";
  if (format === "pbkdf2-keycloak-json") return "keycloak-json";
  return "other";
}

function fromReport(r: AuditReport): Numbers {
  const passwords: Record<string, number> = {};
  for (const p of r.passwords) passwords[roughFormat(p.format)] = (passwords[roughFormat(p.format)] ?? 0) + p.users;
  return {
    totals: { total: r.totals.records, active: r.totals.active, inactive: r.totals.inactive },
    roles: r.roles.map((x) => `${x.role}|${x.raw}|${x.users}|${x.active}`).sort(),
    duplicates: r.duplicates.list.map((g) => `${g.email}|${g.externalIds.length}`),
    duplicateSummary: { groups: r.duplicates.groups, extra: r.duplicates.extraRecords },
    missing: r.emails.missing.count,
    invalid: r.emails.invalid.count,
    // the SQL GROUP BY has no row for an empty bucket
    activity: Object.fromEntries(Object.entries(r.activity).filter(([k, v]) => k !== "neverLoggedIn" && v > 0)),
    orgs: r.orgs.map((o) => `${o.org}|${o.users}|${o.active}`).sort(),
    passwords,
  };
}

async function compute(rows: readonly LegacyRow[] | readonly Row[], asOf: Date, config: Config = makeConfig()): Promise<Numbers> {
  return fromReport(await auditUsers(await mapRows(rows as unknown as Row[], config), { asOf }));
}

const DB = `am_audit_${process.pid}_${Date.now().toString(36)}`;
const COLUMNS = ["Id", "Email", "FirstName", "LastName", "IsActive", "RoleId", "TenantId", "LastLoginDate", "PasswordHash"] as const;

function parityCases(dialect: SqlDialect, run: () => Run, quote: (s: string) => string) {
  const config = makeConfig();

  it("matches auditUsers with a fixed as-of date", async () => {
    const sql = auditSqlStatements(config, dialect, { asOf: AS_OF }).statements;
    const got = await fromSql(run(), sql);
    const want = await compute(ROWS, AS_OF);
    expect(want.duplicateSummary).toEqual({ groups: 2, extra: 3 }); // the fixture's case/whitespace duplicates
    expect(got).toEqual(want);
  });

  it("matches auditUsers against the server clock (now())", async () => {
    const sql = auditSqlStatements(config, dialect).statements;
    const got = await fromSql(run(), sql);
    expect(got).toEqual(await compute(ROWS, new Date()));
  });

  it("wraps source.query as a subquery", async () => {
    const q = `SELECT * FROM ${quote("Users")} WHERE ${quote("Id")} <= 8`;
    const cfg = makeConfig({ source: { type: dialect === "mysql" ? "mysql" : "postgres", url: "x://", query: q } });
    const sql = auditSqlStatements(cfg, dialect, { asOf: AS_OF }).statements;
    expect(sql[0]!.sql).toContain(`(\n${q}\n) AS src`);
    expect(await fromSql(run(), sql)).toEqual(await compute(ROWS.filter((r) => r.Id! <= 8), AS_OF, cfg));
  });

  it("uses an explicit table and handles configs without role/org/password/active columns", async () => {
    const cfg = makeConfig({ mapping: { fields: { externalId: "Id", email: "Email", lastLoginAt: "LastLoginDate" } } });
    const sql = auditSqlStatements(cfg, dialect, { asOf: AS_OF, table: "Users" }).statements;
    expect(await fromSql(run(), sql)).toEqual(await compute(ROWS, AS_OF, cfg));
  });

  it("agrees on an empty table", async () => {
    const cfg = makeConfig({ mapping: { ...config.mapping, roles: { map: {}, default: "it's member" } } });
    for (const c of [config, cfg]) {
      const got = await fromSql(run(), auditSqlStatements(c, dialect, { table: "Empty" }).statements);
      expect(got).toEqual(await compute([], AS_OF, c));
      expect(got.totals).toEqual({ total: 0, active: 0, inactive: 0 });
    }
  });
}

describe("audit SQL parity: PostgreSQL", () => {
  let admin: pg.Client;
  let client: pg.Client;

  beforeAll(async () => {
    admin = new pg.Client({ host: "127.0.0.1", port: 5432, user: "postgres", database: "postgres" });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${DB}`);
    client = new pg.Client({ host: "127.0.0.1", port: 5432, user: "postgres", database: DB });
    await client.connect();
    await client.query(`CREATE TABLE "Users" ("Id" integer PRIMARY KEY, "Email" varchar(320), "FirstName" text, "LastName" text,
      "IsActive" integer, "RoleId" integer, "TenantId" varchar(50), "LastLoginDate" timestamp, "PasswordHash" text)`);
    for (const r of ROWS) {
      await client.query(`INSERT INTO "Users" VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)`, COLUMNS.map((c) => r[c]));
    }
    await client.query(`CREATE TABLE "Empty" (LIKE "Users")`);
    // The same rows with a real boolean flag, as Postgres schemas usually have it.
    await client.query(`CREATE TABLE "UsersBool" AS SELECT "Id", "Email", "RoleId", "TenantId", "LastLoginDate", "PasswordHash", "IsActive"::boolean AS "Active" FROM "Users"`);
  });

  afterAll(async () => {
    await client?.end();
    await admin?.query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
    await admin?.end();
  });

  parityCases("postgres", () => async (sql) => (await client.query(sql)).rows as Row[], (s) => `"${s}"`);

  it("reads a boolean active column", async () => {
    const base = makeConfig();
    const cfg = makeConfig({ source: { type: "postgres", url: "x://", table: "UsersBool" }, mapping: { ...base.mapping, fields: { ...base.mapping.fields, active: "Active" } } });
    const sql = auditSqlStatements(cfg, "postgres", { asOf: AS_OF }).statements;
    const rows = ROWS.map((r) => ({ ...r, Active: r.IsActive === null ? null : r.IsActive === 1 }));
    const got = await fromSql(async (s) => (await client.query(s)).rows as Row[], sql);
    expect(got).toEqual(await compute(rows, AS_OF, cfg));
    expect(got.totals).toEqual({ total: 15, active: 13, inactive: 2 });
  });
});

describe("audit SQL parity: MariaDB", () => {
  let conn: mysql.Connection;

  beforeAll(async () => {
    conn = await mysql.createConnection({ host: "127.0.0.1", port: 3306, user: "root" });
    await conn.query(`CREATE DATABASE \`${DB}\` CHARACTER SET utf8mb4`);
    await conn.query(`USE \`${DB}\``);
    await conn.query(`CREATE TABLE \`Users\` (\`Id\` INT PRIMARY KEY, \`Email\` VARCHAR(320), \`FirstName\` TEXT, \`LastName\` TEXT,
      \`IsActive\` TINYINT(1), \`RoleId\` INT, \`TenantId\` VARCHAR(50), \`LastLoginDate\` DATETIME, \`PasswordHash\` TEXT)`);
    for (const r of ROWS) {
      await conn.query(`INSERT INTO \`Users\` VALUES (?,?,?,?,?,?,?,?,?)`, COLUMNS.map((c) => r[c]));
    }
    await conn.query("CREATE TABLE `Empty` LIKE `Users`");
  });

  afterAll(async () => {
    await conn?.query(`DROP DATABASE IF EXISTS \`${DB}\``);
    await conn?.end();
  });

  parityCases("mysql", () => async (sql) => (await conn.query(sql))[0] as Row[], (s) => `\`${s}\``);
});
