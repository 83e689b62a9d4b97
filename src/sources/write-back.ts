import Database from "better-sqlite3";
import path from "node:path";
import { z } from "zod";
import { AuthmigrateError } from "../errors.js";
import { quoteQualified, type Dialect } from "./keyset.js";
import { mysqlDialect } from "./mysql.js";
import { pgDialect } from "./postgres.js";
import { sqliteDialect } from "./sqlite.js";
import type { SourceConfig } from "./types.js";

export const WriteBackSchema = z
  .object({
    /** Legacy table to update, e.g. "Users". */
    table: z.string().min(1),
    /** Its column holding the legacy id (what `mapping.fields.externalId` reads), e.g. "Id". */
    keyColumn: z.string().min(1),
    /** Column receiving the target's user id, e.g. "workos_user_id" (seed 002). */
    column: z.string().min(1),
  })
  .strict();
export type WriteBackConfig = z.infer<typeof WriteBackSchema>;

export interface WriteBack {
  /** Store target ids for these legacy ids, in one transaction. */
  write(pairs: readonly { externalId: string; targetId: string }[]): Promise<void>;
  close(): Promise<void>;
}

function updateSql(d: Dialect, wb: WriteBackConfig): string {
  return `UPDATE ${quoteQualified(d, wb.table)} SET ${d.quoteIdent(wb.column)} = ${d.placeholder(1)} WHERE ${d.quoteIdent(wb.keyColumn)} = ${d.placeholder(2)}`;
}

/**
 * Seed 002's `workos_user_id` pattern: write each migrated user's target id back into the legacy
 * table, batch by batch, so the app can switch reads over gradually. Needs a SQL source with write
 * access (its own connection; the reading connection stays read-only).
 */
export async function openWriteBack(source: SourceConfig, wb: WriteBackConfig, cwd: string): Promise<WriteBack> {
  if (source.type === "sqlite") {
    const db = new Database(path.resolve(cwd, source.path), { fileMustExist: true });
    db.pragma("busy_timeout = 5000");
    const stmt = db.prepare(updateSql(sqliteDialect, wb));
    return {
      async write(pairs) {
        db.transaction(() => {
          for (const p of pairs) stmt.run(p.targetId, p.externalId);
        })();
      },
      async close() {
        db.close();
      },
    };
  }
  if (source.type === "postgres") {
    const pg = (await import("pg")).default;
    const pool = new pg.Pool({ connectionString: source.url, max: 1 });
    pool.on("error", () => undefined);
    const sql = updateSql(pgDialect, wb);
    return {
      async write(pairs) {
        const c = await pool.connect();
        try {
          await c.query("BEGIN");
          for (const p of pairs) await c.query(sql, [p.targetId, p.externalId]);
          await c.query("COMMIT");
        } catch (e) {
          await c.query("ROLLBACK").catch(() => undefined);
          throw writeBackError(wb, e);
        } finally {
          c.release();
        }
      },
      close: () => pool.end(),
    };
  }
  if (source.type === "mysql") {
    const mysql = await import("mysql2/promise");
    const conn = await mysql.createConnection(source.url);
    const sql = updateSql(mysqlDialect, wb);
    return {
      async write(pairs) {
        try {
          await conn.beginTransaction();
          for (const p of pairs) await conn.execute(sql, [p.targetId, p.externalId]);
          await conn.commit();
        } catch (e) {
          await conn.rollback().catch(() => undefined);
          throw writeBackError(wb, e);
        }
      },
      close: () => conn.end(),
    };
  }
  throw new AuthmigrateError("CONFIG_INVALID", `run.writeBack: needs a SQL source (sqlite, postgres, mysql), not ${source.type}`, {
    hint: "remove run.writeBack, or export the mapping with `authmigrate export-mapping` and load it yourself",
  });
}

function writeBackError(wb: WriteBackConfig, e: unknown): AuthmigrateError {
  return new AuthmigrateError("WRITE_BACK_FAILED", `write-back to ${wb.table}.${wb.column} failed: ${(e as Error).message?.split("\n")[0]}`, {
    hint: "check the column exists and the source user may UPDATE it",
    retryable: true,
    cause: e,
  });
}
