/**
 * The SQL Server source's driver wiring, against a fake at the tedious boundary (fake-tds.ts):
 * connection config from the URL, the T-SQL it sends, how cursor parameters are typed, rows →
 * records, and error mapping. SQL Server itself cannot run on this machine.
 */
import Database from "better-sqlite3";
import tedious from "tedious";
import { describe, expect, it } from "vitest";
import { AuthmigrateError } from "../../../src/errors.js";
import { MssqlSource, type MssqlSourceConfig } from "../../../src/sources/mssql/index.js";
import { MssqlSourceConfigSchema } from "../../../src/sources/types.js";
import { fakeConnect, fakeServer, type FakeColumn, type FakeServer } from "./fake-tds.js";

const PASSWORD = "s3cr3t P@ss/word";
const URL_ = `mssql://migrator:${encodeURIComponent(PASSWORD)}@sql.internal:14330/Legacy?encrypt=true&trustServerCertificate=false`;

const COLUMNS: FakeColumn[] = [
  { name: "Id", type: "IntN", dataLength: 4 },
  { name: "Email", type: "NVarChar", dataLength: 512 },
  { name: "Login", type: "VarChar", dataLength: 100 },
  { name: "CreatedDate", type: "DateTime2", scale: 7 },
  { name: "ExternalNo", type: "BigInt" },
];

/** 25 users; CreatedDate has runs of equal milliseconds that differ only in the 100 ns digits. */
function legacy(): Database.Database {
  const db = new Database(":memory:");
  // `[dbo].[Users]` and `[Users]` both resolve: SQLite schema "dbo" is an attached database.
  db.exec("ATTACH ':memory:' AS dbo");
  db.exec("CREATE TABLE dbo.Users (Id INTEGER PRIMARY KEY, Email TEXT, Login TEXT, CreatedDate TEXT NOT NULL, ExternalNo INTEGER)");
  const ins = db.prepare("INSERT INTO dbo.Users VALUES (?, ?, ?, ?, ?)");
  for (let i = 1; i <= 25; i++) {
    const ms = String(Math.floor(i / 3)).padStart(3, "0");
    const ticks = String((i * 7) % 10) + "00" + String(i % 10); // sub-millisecond digits
    ins.run(i, i === 7 ? null : `u${i}@legacy.test`, `login${String(i).padStart(2, "0")}`, `2024-03-01T10:00:00.${ms}${ticks}`, i === 25 ? 9007199254740993n : 1000 + i);
  }
  return db;
}

function source(server: FakeServer, over: Partial<MssqlSourceConfig> = {}): MssqlSource {
  const config = MssqlSourceConfigSchema.parse({ type: "mssql", url: URL_, table: "dbo.Users", orderBy: ["Id"], pageSize: 4, ...over });
  return new MssqlSource(config, { connect: fakeConnect(server) });
}

async function readAll(s: MssqlSource) {
  const out = [];
  for await (const r of s.read()) out.push(r);
  return out;
}

async function error(p: Promise<unknown>): Promise<AuthmigrateError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(AuthmigrateError);
    return e as AuthmigrateError;
  }
  throw new Error("expected an error");
}

describe("mssql source: connection config", () => {
  it("builds tedious's config from the URL (password decoded, UTC dates, encryption as asked)", async () => {
    const server = fakeServer(legacy(), COLUMNS);
    const s = source(server);
    await s.columns();
    const c = server.configs[0]!;
    expect(c.server).toBe("sql.internal");
    expect(c.authentication).toEqual({ type: "default", options: { userName: "migrator", password: PASSWORD } });
    expect(c.options).toMatchObject({ port: 14330, database: "Legacy", encrypt: true, trustServerCertificate: false, useUTC: true });
    await s.close();
  });

  it("named instance, Windows domain login and the object form", () => {
    const server = fakeServer(legacy(), COLUMNS);
    const viaUrl = source(server, { url: "mssql://svc:pw@sql01/Legacy?instanceName=SQLEXPRESS&domain=CORP&encrypt=strict" });
    expect(viaUrl.describe()).toBe("mssql://CORP\\svc@sql01\\SQLEXPRESS:1433/Legacy table dbo.Users");
    const obj = new MssqlSource(
      MssqlSourceConfigSchema.parse({ type: "mssql", connection: { server: "10.0.0.5", database: "Legacy", user: "sa", password: PASSWORD, trustServerCertificate: true }, table: "Users" }),
      { connect: fakeConnect(server) },
    );
    expect(obj.describe()).toBe("mssql://sa@10.0.0.5:1433/Legacy table Users");
  });

  it("describe() and every error never contain the password", async () => {
    const server = fakeServer(legacy(), COLUMNS);
    const s = source(server);
    expect(s.describe()).toBe("mssql://migrator@sql.internal:14330/Legacy table dbo.Users");
    server.failConnect = Object.assign(new ConnectionError(`Failed to connect using ${URL_} password=${PASSWORD}`), { code: "ESOCKET" });
    const e = await error(s.columns());
    expect(e.code).toBe("SOURCE_UNREACHABLE");
    expect(JSON.stringify({ m: e.message, h: e.hint, meta: e.meta })).not.toContain(PASSWORD);
    expect(e.message).not.toContain(encodeURIComponent(PASSWORD));
  });

  it("refuses a config with both or neither of url and connection, and bad URL parameters", () => {
    const server = fakeServer(legacy(), COLUMNS);
    const make = (c: object) => () => new MssqlSource(MssqlSourceConfigSchema.parse({ type: "mssql", table: "Users", ...c }), { connect: fakeConnect(server) });
    expect(make({})).toThrow(/exactly one of "url" or "connection"/);
    expect(make({ url: URL_, connection: { server: "x" } })).toThrow(/exactly one/);
    expect(make({ url: "mssql://u:p@h/db?encrypt=maybe" })).toThrow(/encrypt="maybe" is not true\/false/);
    expect(make({ url: "mssql://u:p@h/db?encrpyt=true" })).toThrow(/unknown url parameter "encrpyt"/);
    expect(make({ url: "postgres://u:p@h/db" })).toThrow(/scheme "postgres:" is not mssql/);
    expect(make({ url: "mssql://u:p@h:1433/db?instanceName=X" })).toThrow(/port or an instanceName, not both/);
    try {
      make({ url: `mssql://u:${PASSWORD}@h:notaport/db` })();
    } catch (e) {
      expect((e as Error).message).not.toContain(PASSWORD);
    }
  });
});

describe("mssql source: reading", () => {
  it("pages with TOP (n) and an expanded keyset predicate, never OFFSET; every row exactly once, in key order", async () => {
    const server = fakeServer(legacy(), COLUMNS);
    const s = source(server, { orderBy: ["CreatedDate", "Id"] });
    const rows = await readAll(s);
    expect(rows.map((r) => r.row.Id)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1).sort((a, b) => {
      const d = (n: number) => `${String(Math.floor(n / 3)).padStart(3, "0")}${(n * 7) % 10}00${n % 10}`;
      return d(a) < d(b) ? -1 : d(a) > d(b) ? 1 : a - b;
    }));
    const pages = server.statements.filter((st) => st.sql.startsWith("SELECT TOP (5) am_src.*"));
    expect(pages.length).toBe(7); // 25 rows, 4 per page (+1 look-ahead)
    for (const st of server.statements) expect(st.sql).not.toMatch(/OFFSET|LIMIT/i);
    expect(pages[1]!.sql).toBe(
      "SELECT TOP (5) am_src.* FROM [dbo].[Users] am_src WHERE am_src.[CreatedDate] >= @p1 AND ((am_src.[CreatedDate] > @p2) OR (am_src.[CreatedDate] = @p3 AND am_src.[Id] > @p4)) ORDER BY am_src.[CreatedDate], am_src.[Id]",
    );
    await s.close();
  });

  it("types each cursor parameter like its key column; datetime2 keeps its 100 ns digits", async () => {
    const server = fakeServer(legacy(), COLUMNS);
    const s = source(server, { orderBy: ["CreatedDate", "Id"] });
    await readAll(s);
    const second = server.statements.find((st) => st.params.length > 0)!;
    expect(second.params.map((p) => p.type)).toEqual(["DateTime2", "DateTime2", "DateTime2", "Int"]);
    expect(second.params[0]!.scale).toBe(7);
    // The cursor is the last row of page 1; its digits below the millisecond must survive (as seconds).
    const last = (server.db.prepare("SELECT CreatedDate FROM dbo.Users ORDER BY CreatedDate, Id LIMIT 1 OFFSET 3").get() as { CreatedDate: string }).CreatedDate;
    expect(Number(last.slice(23, 27))).toBeGreaterThan(0);
    expect(second.params[0]!.nanosecondDelta).toBeCloseTo(Number(last.slice(23, 27)) / 1e7, 12);
    const login = fakeServer(legacy(), COLUMNS);
    await readAll(source(login, { orderBy: ["Login"] }));
    expect(login.statements.find((st) => st.params.length)!.params.map((p) => [p.type, p.value])).toEqual([["VarChar", "login04"]]);
  });

  it("rows → records: BIGINT as a number when exact, else a string; NULL kept; columns listed without reading rows", async () => {
    const server = fakeServer(legacy(), COLUMNS);
    const s = source(server);
    expect(await s.columns()).toEqual(["Id", "Email", "Login", "CreatedDate", "ExternalNo"]);
    expect(server.statements[0]!.sql).toBe("SELECT TOP (0) * FROM [dbo].[Users] am_src");
    expect(await s.count()).toBe(25);
    const rows = await readAll(s);
    expect(rows[0]!.row.ExternalNo).toBe(1001);
    expect(rows[24]!.row.ExternalNo).toBe("9007199254740993");
    expect(rows[6]!.row.Email).toBeNull();
    expect(rows[0]!.row.CreatedDate).toEqual(new Date("2024-03-01T10:00:00.000Z"));
    expect(rows[3]!.location).toBe("dbo.Users Id=4");
  });

  it("a connection dropped between pages is reopened and the read continues where it was", async () => {
    const server = fakeServer(legacy(), COLUMNS);
    server.dropAfter = 4; // columns, null-key check, page 1, page 2 → then the server goes away
    const s = source(server);
    const ids = (await readAll(s)).map((r) => r.row.Id);
    expect(ids).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    expect(server.connections).toBe(2);
  });

  it("query() runs a statement of ours (the audit SQL) over the same connection", async () => {
    const server = fakeServer(legacy(), COLUMNS);
    const s = source(server);
    expect(await s.query("SELECT COUNT(*) AS total_users FROM [Users] WHERE [Email] IS NULL")).toEqual([{ total_users: 1 }]);
  });
});

const { ConnectionError, RequestError } = tedious as unknown as {
  ConnectionError: new (m: string, code?: string) => Error;
  RequestError: new (m: string, code?: string) => Error & { number?: number };
};

describe("mssql source: errors", () => {
  const cases: [string, () => Error, string][] = [
    ["login failed", () => Object.assign(new ConnectionError("Login failed for user 'migrator'.", "ELOGIN"), { number: 18456 }), "SOURCE_AUTH_FAILED"],
    ["database missing", () => new ConnectionError('Cannot open database "Legacy" requested by the login. The login failed.', "ELOGIN"), "SOURCE_DATABASE_NOT_FOUND"],
    ["refused", () => new ConnectionError("Failed to connect to sql.internal:14330 - connect ECONNREFUSED", "ESOCKET"), "SOURCE_UNREACHABLE"],
    ["timeout", () => new ConnectionError("Failed to connect to sql.internal:14330 in 10000ms", "ETIMEOUT"), "SOURCE_UNREACHABLE"],
    ["self-signed", () => new ConnectionError("Failed to connect to sql.internal:14330 - self-signed certificate", "ESOCKET"), "SOURCE_TLS_FAILED"],
  ];
  for (const [what, err, code] of cases) {
    it(`connect: ${what} → ${code}`, async () => {
      const server = fakeServer(legacy(), COLUMNS);
      server.failConnect = err();
      const e = await error(source(server).columns());
      expect(e.code).toBe(code);
      expect(e.message).toContain("sql.internal");
      expect(e.hint).toBeTruthy();
      expect(e.retryable).toBe(code === "SOURCE_UNREACHABLE");
    });
  }

  it("Invalid object name (208) → SOURCE_TABLE_NOT_FOUND naming the table", async () => {
    const server = fakeServer(legacy(), COLUMNS);
    server.failStatement = { match: /TOP \(0\)/, error: Object.assign(new RequestError("Invalid object name 'dbo.Userz'.", "EREQUEST"), { number: 208 }) };
    const e = await error(source(server, { table: "dbo.Userz" }).columns());
    expect(e.code).toBe("SOURCE_TABLE_NOT_FOUND");
    expect(e.message).toContain('"dbo.Userz"');
  });

  it("a statement failing because the connection closed → SOURCE_UNREACHABLE (retryable)", async () => {
    const server = fakeServer(legacy(), COLUMNS);
    server.failStatement = { match: /COUNT/, error: new RequestError("Connection lost - read ECONNRESET", "ESOCKET") };
    const e = await error(source(server).count());
    expect(e.code).toBe("SOURCE_UNREACHABLE");
    expect(e.retryable).toBe(true);
  });

  it("an unknown orderBy column is refused before any page is read", async () => {
    const server = fakeServer(legacy(), COLUMNS);
    const e = await error(readAll(source(server, { orderBy: ["id"] })));
    expect(e.code).toBe("SOURCE_UNKNOWN_COLUMN");
    expect(e.hint).toContain('"Id"');
  });
});
