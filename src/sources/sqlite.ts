import { existsSync } from "node:fs";
import { resolve } from "node:path";
import Database from "better-sqlite3";
import { AuthmigrateError } from "../errors.js";
import type { Dialect } from "./keyset.js";
import { SqlKeysetSource } from "./sql-source.js";
import type { SqliteSourceConfigSchema } from "./types.js";
import type { z } from "zod";

export type SqliteSourceConfig = z.infer<typeof SqliteSourceConfigSchema>;

export const sqliteDialect: Dialect = {
  name: "sqlite",
  quoteIdent: (p) => `"${p.replace(/"/g, '""')}"`,
  placeholder: () => "?",
  // Row values since SQLite 3.15 (2016); better-sqlite3 bundles a current SQLite.
  rowValues: true,
  // No textCast: SQLite values round-trip exactly (integers as bigint via safeIntegers).
};

/**
 * Reads a SQLite file, opened read-only so a migration can never modify the legacy database.
 * Each page is a separate statement: unlike one long `iterate()`, this doesn't hold a read
 * transaction for the whole migration (which would block WAL checkpoints of a live app).
 */
export class SqliteSource extends SqlKeysetSource {
  readonly kind = "sqlite";
  protected readonly dialect = sqliteDialect;
  readonly path: string;
  private db: Database.Database | undefined;
  /** A scan uses at most a handful of distinct statements (first page, next page, count…). */
  private readonly statements = new Map<string, Database.Statement>();

  constructor(config: SqliteSourceConfig, opts: { cwd: string }) {
    super(config, "SQLite");
    this.path = resolve(opts.cwd, config.path);
  }

  protected describeDatabase(): string {
    return `sqlite ${this.path}`;
  }

  private open(): Database.Database {
    if (this.db) return this.db;
    if (!existsSync(this.path)) {
      throw new AuthmigrateError("SOURCE_NOT_FOUND", `SQLite database not found: ${this.path}`, {
        hint: "relative paths resolve against the config file's directory",
        meta: { path: this.path },
      });
    }
    try {
      this.db = new Database(this.path, { readonly: true, fileMustExist: true });
    } catch (e) {
      throw new AuthmigrateError("SOURCE_UNREACHABLE", `cannot open SQLite database ${this.path}: ${(e as Error).message}`, {
        cause: e,
      });
    }
    return this.db;
  }

  protected run(sql: string, params: readonly unknown[]): Promise<Record<string, unknown>[]> {
    return Promise.resolve().then(() => {
      // safeIntegers: 64-bit ids come back exact as bigint; values.ts turns them into number|string.
      const stmt = this.prepare(sql).safeIntegers(true);
      return stmt.all(...params) as Record<string, unknown>[];
    });
  }

  protected fieldNames(sql: string): Promise<string[]> {
    return Promise.resolve().then(() => this.prepare(sql).columns().map((c) => c.name));
  }

  private prepare(sql: string): Database.Statement {
    const cached = this.statements.get(sql);
    if (cached) return cached;
    const db = this.open();
    try {
      const stmt = db.prepare(sql);
      this.statements.set(sql, stmt);
      return stmt;
    } catch (e) {
      if ((e as { code?: string }).code === "SQLITE_NOTADB") {
        throw new AuthmigrateError("SOURCE_PARSE_ERROR", `${this.path} is not a SQLite database`, { cause: e });
      }
      throw e;
    }
  }

  protected isMissingTable(e: unknown): boolean {
    return e instanceof Error && /no such table/i.test(e.message);
  }

  close(): Promise<void> {
    this.statements.clear();
    this.db?.close();
    this.db = undefined;
    return Promise.resolve();
  }
}
