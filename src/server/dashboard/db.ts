/**
 * A read connection to the ledger database for the dashboard's aggregate queries (the Ledger
 * interface serves the engine: per-user reads and writes, not GROUP BYs). SQL is written once
 * with `?` placeholders and portable functions (substr, lower, COUNT, CASE); PostgreSQL gets
 * them renumbered as `$n`.
 */
import Database from "better-sqlite3";
import path from "node:path";
import pg from "pg";

export interface ReadDb {
  readonly kind: "sqlite" | "postgres";
  all<R>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  /** Whether a table exists (reconcile's summary table may not). */
  hasTable(name: string): Promise<boolean>;
  /** Tables whose name starts with `prefix`. */
  tablesLike(prefix: string): Promise<string[]>;
  close(): Promise<void>;
}

const renumber = (sql: string): string => {
  let i = 0;
  return sql.replace(/\?/g, () => `$${++i}`);
};

export function openReadDb(url: string, cwd: string): ReadDb {
  if (/^postgres(ql)?:\/\//.test(url)) {
    const pool = new pg.Pool({ connectionString: url, max: 2 });
    pool.on("error", () => undefined);
    const all = async <R>(sql: string, params: readonly unknown[] = []): Promise<R[]> => (await pool.query(renumber(sql), [...params])).rows as R[];
    return {
      kind: "postgres",
      all,
      async hasTable(name) {
        return (await all<{ n: string }>("SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ?", [name]))[0]!.n !== "0";
      },
      async tablesLike(prefix) {
        return (await all<{ t: string }>("SELECT table_name AS t FROM information_schema.tables WHERE table_schema = current_schema() AND table_name LIKE ? ORDER BY 1", [`${prefix}%`])).map((r) => r.t);
      },
      close: () => pool.end(),
    };
  }
  const file = url.startsWith("sqlite:") ? url.slice("sqlite:".length) : url;
  // Its own handle (WAL: reads never block the run or the lazy hooks writing).
  const db = new Database(file === ":memory:" ? file : path.resolve(cwd, file), { fileMustExist: file !== ":memory:" });
  db.pragma("busy_timeout = 5000");
  const all = async <R>(sql: string, params: readonly unknown[] = []): Promise<R[]> => db.prepare(sql).all(...params) as R[];
  return {
    kind: "sqlite",
    all,
    async hasTable(name) {
      return (await all("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [name])).length > 0;
    },
    async tablesLike(prefix) {
      return (await all<{ t: string }>("SELECT name AS t FROM sqlite_master WHERE type = 'table' AND name LIKE ? ORDER BY 1", [`${prefix}%`])).map((r) => r.t);
    },
    async close() {
      if (db.open) db.close();
    },
  };
}
