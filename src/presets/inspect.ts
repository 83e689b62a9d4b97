import { existsSync } from "node:fs";
import path from "node:path";
import { AuthmigrateError } from "../errors.js";
import { describeTarget, parseDbUrl, redact, unreachable } from "../sources/db-url.js";
import type { DbShape, PresetDialect } from "./types.js";

/** Where `init --source` points: a SQLite file or a postgres:// / mysql:// URL. */
export interface DbLocation {
  type: PresetDialect;
  /** SQLite file (absolute). */
  path?: string;
  /** Database URL (may carry a password: never print it, use `describe`). */
  url?: string;
  /** Safe to print. */
  describe: string;
}

/** `postgres://…`, `postgresql://…`, `mysql://…`, `mariadb://…`, `sqlite:file.db` or a file path. */
export function parseDbLocation(source: string, cwd = process.cwd()): DbLocation {
  if (/^postgres(ql)?:\/\//i.test(source)) return { type: "postgres", url: source, describe: describeTarget(parseDbUrl(source, "PostgreSQL", 5432)) };
  if (/^(mysql|mariadb):\/\//i.test(source)) {
    const url = source.replace(/^mariadb:/i, "mysql:");
    return { type: "mysql", url, describe: describeTarget(parseDbUrl(url, "MySQL", 3306)) };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(source) && !/^file:/i.test(source)) {
    throw new AuthmigrateError("USAGE", "--source: unsupported URL scheme", {
      hint: "use postgres://user@host:5432/db, mysql://user@host:3306/db, or the path of a SQLite file",
    });
  }
  const file = path.resolve(cwd, source.replace(/^(sqlite|file):(\/\/)?/i, ""));
  return { type: "sqlite", path: file, describe: file };
}

/** Tables (and views) of the database with their columns: what a preset's detect() looks at. */
export async function inspectDatabase(loc: DbLocation): Promise<DbShape> {
  const tables = new Map<string, Set<string>>();
  const add = (t: string, c: string): void => {
    let s = tables.get(t);
    if (!s) tables.set(t, (s = new Set()));
    s.add(c);
  };
  if (loc.type === "sqlite") {
    if (!existsSync(loc.path!)) {
      throw new AuthmigrateError("SOURCE_NOT_FOUND", `SQLite file not found: ${loc.path}`, { hint: "check the --source path" });
    }
    const { default: Database } = await import("better-sqlite3");
    const db = new Database(loc.path!, { readonly: true, fileMustExist: true });
    try {
      const names = db.prepare("SELECT name FROM sqlite_master WHERE type IN ('table','view') AND name NOT LIKE 'sqlite_%'").all() as { name: string }[];
      for (const { name } of names) {
        for (const c of db.prepare(`SELECT name FROM pragma_table_info(?)`).all(name) as { name: string }[]) add(name, c.name);
      }
    } catch (e) {
      throw new AuthmigrateError("SOURCE_UNREADABLE", `${loc.path} is not a readable SQLite database: ${(e as Error).message}`, { hint: "check the --source path", cause: e });
    } finally {
      db.close();
    }
  } else if (loc.type === "postgres") {
    const target = parseDbUrl(loc.url!, "PostgreSQL", 5432);
    const { default: pg } = await import("pg");
    const client = new pg.Client({ connectionString: loc.url!, connectionTimeoutMillis: 10_000 });
    try {
      await client.connect();
    } catch (e) {
      throw unreachable("PostgreSQL", target, e);
    }
    try {
      // Tables on the search_path, as unqualified names in the preset queries would resolve.
      const res = await client.query<{ t: string; c: string }>(
        "SELECT table_name AS t, column_name AS c FROM information_schema.columns WHERE table_schema = ANY (current_schemas(false)) ORDER BY table_name, ordinal_position",
      );
      for (const r of res.rows) add(r.t, r.c);
    } catch (e) {
      throw new AuthmigrateError("SOURCE_QUERY_FAILED", redact(`cannot list tables of ${describeTarget(target)}: ${(e as Error).message}`, target), { cause: e });
    } finally {
      await client.end().catch(() => undefined);
    }
  } else {
    const target = parseDbUrl(loc.url!, "MySQL", 3306);
    const mysql = await import("mysql2/promise");
    let conn: Awaited<ReturnType<typeof mysql.createConnection>>;
    try {
      conn = await mysql.createConnection({ uri: loc.url!, connectTimeout: 10_000 });
    } catch (e) {
      throw unreachable("MySQL", target, e);
    }
    try {
      const [rows] = await conn.query(
        "SELECT TABLE_NAME AS t, COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, ORDINAL_POSITION",
      );
      for (const r of rows as { t: string; c: string }[]) add(r.t, r.c);
    } catch (e) {
      throw new AuthmigrateError("SOURCE_QUERY_FAILED", redact(`cannot list tables of ${describeTarget(target)}: ${(e as Error).message}`, target), { cause: e });
    } finally {
      await conn.end().catch(() => undefined);
    }
  }
  return { dialect: loc.type, tables };
}
