import Database from "better-sqlite3";
import path from "node:path";
import { AuthmigrateError } from "../errors.js";
import { quoteQualified, type Dialect } from "../sources/keyset.js";
import { mysqlDialect } from "../sources/mysql.js";
import { pgDialect } from "../sources/postgres.js";
import { sqliteDialect } from "../sources/sqlite.js";
import type { SourceConfig } from "../sources/types.js";

/** A parameterized statement runner on the legacy database (its own read-write connection). */
export interface LegacySql {
  dialect: Dialect;
  /** Run statements in one transaction; returns rows changed per statement. */
  transaction(statements: { sql: string; params: unknown[] }[]): Promise<number[]>;
  close(): Promise<void>;
}

export function qualified(d: Dialect, table: string): string {
  return quoteQualified(d, table);
}

/** Open a write connection on the configured SQL source (sqlite, postgres, mysql). Values always go as parameters. */
export async function openLegacySql(source: SourceConfig, cwd: string): Promise<LegacySql> {
  if (source.type === "sqlite") {
    const db = new Database(path.resolve(cwd, source.path), { fileMustExist: true });
    db.pragma("busy_timeout = 5000");
    return {
      dialect: sqliteDialect,
      async transaction(statements) {
        return db.transaction(() => statements.map((s) => db.prepare(s.sql).run(...(s.params as unknown[])).changes))();
      },
      async close() {
        db.close();
      },
    };
  }
  if (source.type === "postgres") {
    const pg = (await import("pg")).default;
    const client = new pg.Client({ connectionString: source.url });
    await client.connect();
    return {
      dialect: pgDialect,
      async transaction(statements) {
        try {
          await client.query("BEGIN");
          const out: number[] = [];
          for (const s of statements) out.push((await client.query(s.sql, s.params)).rowCount ?? 0);
          await client.query("COMMIT");
          return out;
        } catch (e) {
          await client.query("ROLLBACK").catch(() => undefined);
          throw e;
        }
      },
      close: () => client.end(),
    };
  }
  if (source.type === "mysql") {
    const mysql = await import("mysql2/promise");
    const conn = await mysql.createConnection(source.url);
    return {
      dialect: mysqlDialect,
      async transaction(statements) {
        try {
          await conn.beginTransaction();
          const out: number[] = [];
          for (const s of statements) {
            const [r] = await conn.execute(s.sql, s.params as never[]);
            out.push((r as { affectedRows?: number }).affectedRows ?? 0);
          }
          await conn.commit();
          return out;
        } catch (e) {
          await conn.rollback().catch(() => undefined);
          throw e;
        }
      },
      close: () => conn.end(),
    };
  }
  throw new AuthmigrateError("CONFIG_INVALID", `reconcile --direction target-to-legacy: needs a SQL source (sqlite, postgres, mysql), not ${source.type}`, {
    hint: "fix in the other direction (legacy-to-target), or export the report with --json and apply it yourself",
  });
}
