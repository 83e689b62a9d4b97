import type * as mysql from "mysql2/promise";
import type { z } from "zod";
import { AuthmigrateError } from "../errors.js";
import { describeTarget, parseDbUrl, redact, unreachable, type DbTarget } from "./db-url.js";
import type { Dialect } from "./keyset.js";
import { SqlKeysetSource } from "./sql-source.js";
import type { MysqlSourceConfigSchema } from "./types.js";
import { lazyRequire } from "../util/lazy-require.js";

/** mysql2, loaded on the first connection (util/lazy-require.ts); serve's legacy lookup uses it too. */
export const mysqlDriver = lazyRequire<typeof mysql>("mysql2/promise");

export type MysqlSourceConfig = z.infer<typeof MysqlSourceConfigSchema>;

export const mysqlDialect: Dialect = {
  name: "mysql",
  quoteIdent: (p) => `\`${p.replace(/`/g, "``")}\``,
  placeholder: () => "?",
  // MariaDB/MySQL accept `(a,b) > (?,?)` but older optimizers don't range-scan an index with it.
  rowValues: false,
  textCast: (expr) => `CAST(${expr} AS CHAR)`,
};

/**
 * MySQL / MariaDB table/query reader over one connection.
 *
 * Driver settings (see values.ts): `supportBigNumbers` → BIGINT as number when exact else string;
 * `dateStrings: ["DATE"]` → DATE stays `YYYY-MM-DD`; `timezone: "Z"` plus session `time_zone = '+00:00'`
 * → DATETIME is read as UTC and TIMESTAMP is converted by the server to UTC, so both become correct `Date`s.
 * We deliberately don't use `dateStrings: true`: `Date`s match the PostgreSQL source.
 */
export class MysqlSource extends SqlKeysetSource {
  readonly kind = "mysql";
  protected readonly dialect = mysqlDialect;
  private readonly target: DbTarget;
  private readonly url: string;
  private conn: Promise<mysql.Connection> | undefined;

  constructor(config: MysqlSourceConfig) {
    super(config, "MySQL");
    this.url = config.url;
    this.target = parseDbUrl(config.url, "MySQL", 3306);
  }

  protected describeDatabase(): string {
    return describeTarget(this.target);
  }

  private connect(): Promise<mysql.Connection> {
    this.conn ??= (async () => {
      let conn: mysql.Connection;
      try {
        // `uri` carries host/port/user/password/database and any ?ssl=… options.
        conn = await mysqlDriver().createConnection({
          uri: this.url,
          connectTimeout: 10_000,
          supportBigNumbers: true,
          bigNumberStrings: false,
          dateStrings: ["DATE"],
          timezone: "Z",
        });
      } catch (e) {
        this.conn = undefined;
        throw this.connectError(e);
      }
      // Without a listener a dropped idle connection would crash the process; the next query reports it.
      conn.on("error", () => {});
      await conn.query("SET time_zone = '+00:00'");
      return conn;
    })();
    return this.conn;
  }

  private connectError(e: unknown): AuthmigrateError {
    const code = (e as { code?: string }).code;
    const t = this.target;
    const meta = { host: t.host, port: t.port, database: t.database };
    if (code === "ER_BAD_DB_ERROR") {
      return new AuthmigrateError("SOURCE_DATABASE_NOT_FOUND", `MySQL database "${t.database}" does not exist on ${t.host}:${t.port}`, { meta });
    }
    if (code?.startsWith("ER_ACCESS_DENIED") || code === "ER_DBACCESS_DENIED_ERROR") {
      return new AuthmigrateError(
        "SOURCE_AUTH_FAILED",
        `MySQL at ${t.host}:${t.port} rejected user "${t.user}" for database "${t.database}"`,
        { hint: "check the user and password in the source url", meta },
      );
    }
    return unreachable("MySQL", t, e);
  }

  protected async run(sql: string, params: readonly unknown[]): Promise<Record<string, unknown>[]> {
    const conn = await this.connect();
    const [rows] = await conn.query({ sql, values: [...params] });
    return rows as Record<string, unknown>[];
  }

  protected async fieldNames(sql: string): Promise<string[]> {
    const conn = await this.connect();
    const [, fields] = await conn.query({ sql });
    return (fields ?? []).map((f) => f.name);
  }

  protected isMissingTable(e: unknown): boolean {
    return (e as { code?: string }).code === "ER_NO_SUCH_TABLE";
  }

  /**
   * Dates use the server's text form (a `Date` drops microseconds, so the same row would be re-read);
   * everything else binds as-is — numbers compare numerically and BINARY keys (UUIDs) as bytes.
   */
  protected override cursorValue(raw: unknown, text: unknown): unknown {
    return raw instanceof Date ? text : raw;
  }

  protected override redact(text: string): string {
    return redact(text, this.target);
  }

  async close(): Promise<void> {
    const pending = this.conn;
    this.conn = undefined;
    if (!pending) return;
    const conn = await pending.catch(() => undefined);
    await conn?.end().catch(() => {});
  }
}
