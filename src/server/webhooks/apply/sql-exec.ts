/**
 * One small write connection to the legacy database (the source's URL/path), for parameterized
 * statements only. Dialects (quoting, placeholders) come from src/sources, as write-back.ts does.
 */
import Database from "better-sqlite3";
import path from "node:path";
import { AuthmigrateError } from "../../../errors.js";
import { parseDbUrl, redact, type DbTarget } from "../../../sources/db-url.js";
import type { Dialect } from "../../../sources/keyset.js";
import { mysqlDialect } from "../../../sources/mysql.js";
import { pgDialect } from "../../../sources/postgres.js";
import { sqliteDialect } from "../../../sources/sqlite.js";
import type { SourceConfig } from "../../../sources/types.js";

export type Row = Record<string, unknown>;
export type Param = string | number | null;

export interface SqlExec {
  readonly dialect: Dialect;
  /** Rows for SELECT / RETURNING; `affected` for writes; `insertId` where the driver reports one. */
  run(sql: string, params: readonly Param[]): Promise<{ rows: Row[]; affected: number; insertId?: string }>;
  /** Runs `fn` in one transaction on one connection (inside an open one: just runs it). */
  tx<T>(fn: (x: SqlExec) => Promise<T>): Promise<T>;
  /** Savepoints inside `tx`: one per event, so one bad event never undoes the others of its batch. */
  savepoint(action: "set" | "release" | "rollback"): Promise<void>;
  close(): Promise<void>;
}

export async function openSqlExec(source: SourceConfig, cwd: string): Promise<SqlExec> {
  if (source.type === "sqlite") return sqliteExec(path.resolve(cwd, source.path));
  if (source.type === "postgres") return pgExec(source.url);
  if (source.type === "mysql") return mysqlExec(source.url);
  throw new AuthmigrateError("CONFIG_INVALID", `serve.webhooks.apply.legacy needs a SQL source (sqlite, postgres, mysql), not ${source.type}`, {
    hint: "remove apply.legacy (changes then only go to the ledger), or point source at the legacy database",
  });
}

function sqliteExec(file: string): SqlExec {
  let db: Database.Database;
  try {
    db = new Database(file, { fileMustExist: true });
  } catch (e) {
    throw new AuthmigrateError("LEGACY_UNAVAILABLE", `cannot open the legacy SQLite database ${file}: ${(e as Error).message}`, { hint: "check source.path", cause: e });
  }
  db.pragma("busy_timeout = 5000");
  // The applier issues a handful of distinct statements over and over: prepare each once.
  const cache = new Map<string, Database.Statement>();
  const self: SqlExec = {
    dialect: sqliteDialect,
    async run(sql, params) {
      let stmt = cache.get(sql);
      if (!stmt) {
        stmt = db.prepare(sql);
        if (cache.size < 200) cache.set(sql, stmt);
      }
      if (stmt.reader) return { rows: stmt.all(...params) as Row[], affected: 0 };
      const info = stmt.run(...params);
      return { rows: [], affected: info.changes, insertId: String(info.lastInsertRowid) };
    },
    async savepoint(action) {
      db.exec(SAVEPOINT_SQL[action]);
    },
    async tx(fn) {
      if (db.inTransaction) return fn(self);
      // better-sqlite3's transaction() is synchronous and fn awaits: BEGIN/COMMIT by hand. IMMEDIATE takes the write lock up front.
      db.exec("BEGIN IMMEDIATE");
      try {
        const out = await fn(self);
        db.exec("COMMIT");
        return out;
      } catch (e) {
        if (db.inTransaction) db.exec("ROLLBACK");
        throw e;
      }
    },
    async close() {
      if (db.open) db.close();
    },
  };
  return self;
}

async function pgExec(url: string): Promise<SqlExec> {
  const pg = (await import("pg")).default;
  const t = parseDbUrl(url, "PostgreSQL", 5432);
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  pool.on("error", () => undefined);
  const on = (client: { query: (s: string, p: unknown[]) => Promise<{ rows: Row[]; rowCount: number | null }> }): SqlExec["run"] => async (sql, params) => {
    try {
      const r = await client.query(sql, [...params]);
      return { rows: r.rows, affected: r.rowCount ?? 0 };
    } catch (e) {
      throw legacyError(e, t);
    }
  };
  return {
    dialect: pgDialect,
    run: on(pool),
    savepoint: async () => {
      throw new Error("savepoint outside a transaction");
    },
    async tx(fn) {
      const c = await pool.connect().catch((e: unknown) => {
        throw legacyError(e, t);
      });
      const x: SqlExec = { dialect: pgDialect, run: on(c), tx: (f) => f(x), savepoint: async (a) => void (await c.query(SAVEPOINT_SQL[a])), close: async () => undefined };
      try {
        await c.query("BEGIN");
        const out = await fn(x);
        await c.query("COMMIT");
        return out;
      } catch (e) {
        await c.query("ROLLBACK").catch(() => undefined);
        throw e;
      } finally {
        c.release();
      }
    },
    close: () => pool.end(),
  };
}

async function mysqlExec(url: string): Promise<SqlExec> {
  const mysql = await import("mysql2/promise");
  const t = parseDbUrl(url, "MySQL", 3306);
  const pool = mysql.createPool({ uri: url, connectionLimit: 2, timezone: "Z" });
  type Conn = Pick<typeof pool, "execute">;
  const on = (conn: Conn): SqlExec["run"] => async (sql, params) => {
    try {
      const [res] = await conn.execute(sql, [...params]);
      if (Array.isArray(res)) return { rows: res as Row[], affected: 0 };
      const h = res as { affectedRows: number; insertId: number };
      return { rows: [], affected: h.affectedRows, insertId: String(h.insertId) };
    } catch (e) {
      throw legacyError(e, t);
    }
  };
  return {
    dialect: mysqlDialect,
    run: on(pool),
    savepoint: async () => {
      throw new Error("savepoint outside a transaction");
    },
    async tx(fn) {
      const c = await pool.getConnection().catch((e: unknown) => {
        throw legacyError(e, t);
      });
      // SAVEPOINT is not allowed in MySQL's prepared-statement protocol: plain query().
      const x: SqlExec = { dialect: mysqlDialect, run: on(c), tx: (f) => f(x), savepoint: async (a) => void (await c.query(SAVEPOINT_SQL[a])), close: async () => undefined };
      try {
        await c.beginTransaction();
        const out = await fn(x);
        await c.commit();
        return out;
      } catch (e) {
        await c.rollback().catch(() => undefined);
        throw e;
      } finally {
        c.release();
      }
    },
    close: () => pool.end(),
  };
}

const SAVEPOINT_SQL = { set: "SAVEPOINT am_event", release: "RELEASE SAVEPOINT am_event", rollback: "ROLLBACK TO SAVEPOINT am_event" } as const;

function legacyError(e: unknown, t: DbTarget): AuthmigrateError {
  const msg = redact(((e as Error).message ?? String(e)).split("\n")[0]!, t);
  return new AuthmigrateError("LEGACY_WRITE_FAILED", `legacy database ${t.host}:${t.port}/${t.database}: ${msg}`, { retryable: true, cause: e });
}
