/**
 * Look up ONE legacy user by identifier in the configured SQL source, on a connection of its own
 * (the bulk run's keyset reader is for scans). Values are always bound parameters; identifiers
 * (table / column names from the config) are quoted by the source's dialect.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import type { Config } from "../config/schema.js";
import { AuthmigrateError } from "../errors.js";
import { relationSql, type Dialect } from "../sources/keyset.js";
import { mysqlDialect, mysqlDriver } from "../sources/mysql.js";
import { pgDialect } from "../sources/postgres.js";
import { sqliteDialect } from "../sources/sqlite.js";
import { causeReason } from "../sources/db-url.js";
import { jsonSafe } from "../sources/values.js";
import { LegacyUnavailableError } from "./errors.js";

type Row = Record<string, unknown>;

export interface LegacyLookup {
  /** Rows whose `column` equals `value` (case-insensitive and trimmed for `ci`), in the source's key order, at most `limit`. */
  find(column: string, value: string, opts?: { ci?: boolean; limit?: number }): Promise<Row[]>;
  close(): Promise<void>;
}

interface Runner {
  dialect: Dialect;
  all(sql: string, params: unknown[]): Promise<Row[]>;
  close(): Promise<void>;
}

/** `SELECT … WHERE <col> = ?` over the source's table or query, ordered by its key. Exported for tests. */
export function lookupSql(d: Dialect, rel: { table?: string | undefined; query?: string | undefined }, orderBy: readonly string[], column: string, ci: boolean, limit: number): string {
  if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`invalid limit ${limit}`);
  const col = `am_src.${d.quoteIdent(column)}`;
  const lhs = ci ? `LOWER(TRIM(${col}))` : col;
  const rhs = ci ? `LOWER(TRIM(${d.placeholder(1)}))` : d.placeholder(1);
  const order = orderBy.map((k) => `am_src.${d.quoteIdent(k)}`).join(", ");
  return `SELECT am_src.* FROM ${relationSql(d, rel)} WHERE ${lhs} = ${rhs} ORDER BY ${order} LIMIT ${limit}`;
}

function sqliteRunner(path: string): Runner {
  let db: Database.Database | undefined;
  // A hook runs the same few statements (one per column / case mode) on every request: prepare once.
  const statements = new Map<string, Database.Statement>();
  const open = (): Database.Database => {
    if (db) return db;
    if (!existsSync(path)) throw new LegacyUnavailableError("legacy SQLite database not found");
    try {
      db = new Database(path, { readonly: true, fileMustExist: true });
    } catch (e) {
      throw new LegacyUnavailableError(`cannot open legacy SQLite database: ${causeReason(e)}`, { cause: e });
    }
    return db;
  };
  return {
    dialect: sqliteDialect,
    all: async (sql, params) => {
      const conn = open();
      let st = statements.get(sql);
      if (!st) statements.set(sql, (st = conn.prepare(sql).safeIntegers(true)));
      return st.all(...params) as Row[];
    },
    close: async () => {
      statements.clear();
      db?.close();
      db = undefined;
    },
  };
}

function pgRunner(url: string): Runner {
  const pool = new pg.Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 3000, idleTimeoutMillis: 30_000 });
  pool.on("error", () => {});
  return {
    dialect: pgDialect,
    all: async (sql, params) => (await pool.query({ text: sql, values: params })).rows as Row[],
    close: () => pool.end().catch(() => {}),
  };
}

function mysqlRunner(url: string): Runner {
  const pool = mysqlDriver().createPool({ uri: url, connectionLimit: 4, connectTimeout: 3000, supportBigNumbers: true, bigNumberStrings: false, dateStrings: ["DATE"], timezone: "Z" });
  return {
    dialect: mysqlDialect,
    all: async (sql, params) => (await pool.query({ sql, values: params }))[0] as Row[],
    close: () => pool.end().catch(() => {}),
  };
}

/** Driver errors that mean "the database is not answering" (vs a bad query, which is our config error). */
function isOutage(e: unknown): boolean {
  const code = (e as { code?: unknown })?.code;
  if (typeof code === "string" && /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EHOSTUNREACH|EPIPE|PROTOCOL_CONNECTION_LOST|57P0[1-3]|08\d\d\d|SQLITE_BUSY|SQLITE_CANTOPEN)$/.test(code)) return true;
  return e instanceof Error && /timeout|terminated|Connection terminated|connect/i.test(e.message);
}

export function openLegacyLookup(config: Config, cwd: string): LegacyLookup {
  const src = config.source;
  let runner: Runner;
  if (src.type === "sqlite") runner = sqliteRunner(resolve(cwd, src.path));
  else if (src.type === "postgres") runner = pgRunner(src.url);
  else if (src.type === "mysql") runner = mysqlRunner(src.url);
  else {
    throw new AuthmigrateError("SERVE_SOURCE_UNSUPPORTED", `serve with legacy.type "db" needs a SQL source (sqlite, postgres, mysql), not "${src.type}"`, {
      hint: 'use a SQL source, or serve.legacy: { type: "oidc", … } to check passwords against the legacy IdP',
    });
  }
  const rel = { table: src.table, query: src.query };
  return {
    async find(column, value, opts = {}) {
      const sql = lookupSql(runner.dialect, rel, src.orderBy, column, opts.ci ?? false, opts.limit ?? 10);
      try {
        const rows = await runner.all(sql, [value]);
        return rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, jsonSafe(v)])));
      } catch (e) {
        if (e instanceof AuthmigrateError) throw e;
        if (isOutage(e)) throw new LegacyUnavailableError(`legacy database unavailable: ${causeReason(e)}`, { cause: e });
        // A config problem (no such table/column) must not be reported as "wrong password" either.
        throw new LegacyUnavailableError(`legacy lookup failed: ${causeReason(e)}`, { cause: e });
      }
    },
    close: () => runner.close(),
  };
}
