/**
 * SQL Server cannot run here, so the T-SQL keyset statements the mssql dialect generates are
 * translated token by token — `[ident]` → the engine's quoting, `@pN` → its placeholder,
 * `SELECT TOP (n) …` → `… LIMIT n`, nothing else — and run on real PostgreSQL and MariaDB, whose
 * comparison semantics for these predicates match SQL Server's (ints, case-sensitive binary text).
 * A full keyset scan over a composite key full of ties must return exactly the rows of one
 * `ORDER BY`, in that order.
 */
import mysql from "mysql2/promise";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { columnsSql, nullKeySql, pageSql } from "../../../src/sources/keyset.js";
import { mssqlDialect } from "../../../src/sources/mssql/dialect.js";
import { freshPgDatabase } from "../../helpers.js";

const ORDER = ["Tenant", "Score", "Id"];
const ROWS = Array.from({ length: 97 }, (_, i) => ({ Id: 1000 - i * 7, Tenant: ["acme", "Acme", "beta", "zeta]"][i % 4]!, Score: (i * 13) % 5 }));

type Run = (sql: string, params: unknown[]) => Promise<Record<string, unknown>[]>;

/** `[a]]b]` → quote("a]b"), `@pN` → placeholder(N), TOP → LIMIT. Checks placeholders occur as @p1, @p2, … in order. */
function translate(tsql: string, quote: (s: string) => string, placeholder: (n: number) => string): string {
  let expected = 1;
  let sql = tsql.replace(/\[((?:[^\]]|\]\])*)\]|@p(\d+)/g, (_, ident: string | undefined, n: string | undefined) => {
    if (ident !== undefined) return quote(ident.replace(/]]/g, "]"));
    if (Number(n) !== expected++) throw new Error(`placeholder @p${n} out of order in ${tsql}`);
    return placeholder(Number(n));
  });
  const top = /^SELECT TOP \((\d+)\) /.exec(sql);
  if (top) sql = `SELECT ${sql.slice(top[0].length)} LIMIT ${top[1]}`;
  return sql;
}

async function keysetScan(run: Run, table: string, pageSize: number): Promise<number[]> {
  const ids: number[] = [];
  let cursor: unknown[] | undefined;
  for (let page = 0; page < 1000; page++) {
    const { sql, params } = pageSql(mssqlDialect, { table }, ORDER, pageSize, cursor);
    expect(sql).toMatch(/^SELECT TOP \(\d+\) /);
    const rows = await run(sql, params);
    for (const r of rows) ids.push(Number(r.Id));
    if (rows.length < pageSize) return ids;
    const last = rows[rows.length - 1]!;
    cursor = ORDER.map((k) => last[k]);
  }
  throw new Error("scan did not end");
}

describe("mssql keyset SQL, run on PostgreSQL", () => {
  let db: Awaited<ReturnType<typeof freshPgDatabase>>;
  let client: pg.Client;
  const run: Run = async (tsql, params) =>
    (await client.query(translate(tsql, (s) => `"${s.replace(/"/g, '""')}"`, (n) => `$${n}`), params)).rows;

  beforeAll(async () => {
    db = await freshPgDatabase("am_mssql_dialect");
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await client.query(`CREATE TABLE "Users" ("Id" int PRIMARY KEY, "Tenant" text COLLATE "C" NOT NULL, "Score" int NOT NULL)`);
    for (const r of ROWS) await client.query(`INSERT INTO "Users" VALUES ($1, $2, $3)`, [r.Id, r.Tenant, r.Score]);
  });
  afterAll(async () => {
    await client?.end();
    await db?.drop();
  });

  for (const pageSize of [1, 4, 10, 200]) {
    it(`page size ${pageSize}: every row once, in ORDER BY order`, async () => {
      const expected = (await client.query(`SELECT "Id" FROM "Users" ORDER BY "Tenant", "Score", "Id"`)).rows.map((r) => Number(r.Id));
      expect(await keysetScan(run, "Users", pageSize)).toEqual(expected);
      expect(expected).toHaveLength(ROWS.length);
    });
  }

  it("the column-list and NULL-key statements run too", async () => {
    expect(await run(columnsSql(mssqlDialect, { table: "Users" }), [])).toEqual([]);
    expect(await run(nullKeySql(mssqlDialect, { table: "Users" }, ORDER), [])).toEqual([]);
  });
});

describe("mssql keyset SQL, run on MariaDB", () => {
  const name = `am_mssql_dialect_${process.pid}`;
  let conn: mysql.Connection;
  const run: Run = async (tsql, params) => {
    const [rows] = await conn.query(translate(tsql, (s) => `\`${s.replace(/`/g, "``")}\``, () => "?"), params);
    return rows as Record<string, unknown>[];
  };

  beforeAll(async () => {
    const admin = await mysql.createConnection({ host: "127.0.0.1", port: 3306, user: "root" });
    await admin.query(`DROP DATABASE IF EXISTS ${name}`);
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    conn = await mysql.createConnection({ host: "127.0.0.1", port: 3306, user: "root", database: name });
    await conn.query("CREATE TABLE Users (Id int PRIMARY KEY, Tenant varchar(20) COLLATE utf8mb4_bin NOT NULL, Score int NOT NULL)");
    await conn.query("INSERT INTO Users VALUES ?", [ROWS.map((r) => [r.Id, r.Tenant, r.Score])]);
  });
  afterAll(async () => {
    await conn?.query(`DROP DATABASE IF EXISTS ${name}`);
    await conn?.end();
  });

  for (const pageSize of [1, 4, 10, 200]) {
    it(`page size ${pageSize}: every row once, in ORDER BY order`, async () => {
      const [rows] = await conn.query("SELECT Id FROM Users ORDER BY Tenant, Score, Id");
      const expected = (rows as { Id: number }[]).map((r) => r.Id);
      expect(await keysetScan(run, "Users", pageSize)).toEqual(expected);
    });
  }
});

describe("mssql dialect text", () => {
  it("brackets identifiers (doubling ]), names parameters @p1…, and limits with TOP", () => {
    const { sql, params } = pageSql(mssqlDialect, { table: "dbo.we]ird" }, ["a", "b"], 3, ["x", 1]);
    expect(sql).toBe(
      "SELECT TOP (3) am_src.* FROM [dbo].[we]]ird] am_src WHERE am_src.[a] >= @p1 AND ((am_src.[a] > @p2) OR (am_src.[a] = @p3 AND am_src.[b] > @p4)) ORDER BY am_src.[a], am_src.[b]",
    );
    expect(params).toEqual(["x", "x", "x", 1]);
    expect(pageSql(mssqlDialect, { query: "SELECT * FROM Users WHERE Deleted = 0;" }, ["Id"], 2, undefined).sql).toBe(
      "SELECT TOP (2) am_src.* FROM (SELECT * FROM Users WHERE Deleted = 0) am_src ORDER BY am_src.[Id]",
    );
  });
});
