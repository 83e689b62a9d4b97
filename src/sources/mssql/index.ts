import type { z } from "zod";
import { AuthmigrateError } from "../../errors.js";
import { causeReason, describeTarget, redact, unreachable } from "../db-url.js";
import { SqlKeysetSource } from "../sql-source.js";
import type { MssqlSourceConfigSchema } from "../types.js";
import { mssqlTarget, parseMssqlUrl, type MssqlTarget } from "./config.js";
import { mssqlDialect } from "./dialect.js";
import { exec, open, tediousConnection, type ConnectionFactory, type TdsConnection } from "./driver.js";
import { cursorParam, type ColumnInfo } from "./params.js";

export type MssqlSourceConfig = z.infer<typeof MssqlSourceConfigSchema>;
export { mssqlDialect } from "./dialect.js";
export { mssqlTarget, parseMssqlUrl } from "./config.js";
export type { ConnectionFactory, TdsConnection } from "./driver.js";

/** SQL Server error numbers we translate (sys.messages). */
const ERR = { invalidObject: 208, loginFailed: 18456, cannotOpenDb: 4060 } as const;

/**
 * SQL Server table/query reader (tedious, one connection). Pages with `SELECT TOP (n) … WHERE
 * <expanded keyset predicate> ORDER BY key`; each cursor parameter is typed like its key column.
 * A connection that drops between pages is reopened for the next page: the keyset cursor makes
 * that exact (no row read twice or skipped).
 */
export class MssqlSource extends SqlKeysetSource {
  readonly kind = "mssql";
  protected readonly dialect = mssqlDialect;
  private readonly target: MssqlTarget;
  private readonly factory: ConnectionFactory;
  private conn: Promise<TdsConnection> | undefined;
  /** tedious runs one request at a time per connection: statements queue here. */
  private queue: Promise<unknown> = Promise.resolve();
  /** Latest metadata of each orderBy column, to type its cursor parameter. */
  private readonly keyColumns = new Map<string, ColumnInfo>();

  constructor(config: MssqlSourceConfig, deps: { connect?: ConnectionFactory } = {}) {
    super(config, "SQL Server");
    const hasUrl = config.url !== undefined;
    if (hasUrl === (config.connection !== undefined)) {
      throw new AuthmigrateError("SOURCE_CONFIG_INVALID", 'SQL Server source: set exactly one of "url" or "connection"', {
        hint: 'e.g. url: "mssql://user:${MSSQL_PASSWORD}@db.internal:1433/Legacy?encrypt=true"',
      });
    }
    this.target = mssqlTarget(hasUrl ? parseMssqlUrl(config.url!) : config.connection!);
    this.factory = deps.connect ?? tediousConnection;
  }

  protected describeDatabase(): string {
    return describeTarget(this.target);
  }

  private connect(): Promise<TdsConnection> {
    this.conn ??= open(this.factory, this.target.config, () => {
      this.conn = undefined;
    }).catch((e: unknown) => {
      this.conn = undefined;
      throw this.connectError(e);
    });
    return this.conn;
  }

  private connectError(e: unknown): AuthmigrateError {
    const t = this.target;
    const meta = { host: t.host, port: t.port, database: t.database };
    const msg = e instanceof Error ? e.message : String(e);
    const code = (e as { code?: string }).code;
    const num = (e as { number?: number }).number;
    if (num === ERR.cannotOpenDb || /cannot open database/i.test(msg)) {
      return new AuthmigrateError(
        "SOURCE_DATABASE_NOT_FOUND",
        `SQL Server database "${t.database}" on ${t.host}:${t.port} does not exist or user "${t.user}" may not open it`,
        { hint: "check the database name in the url (path) and the login's access to it", meta },
      );
    }
    if (code === "ELOGIN" || num === ERR.loginFailed) {
      return new AuthmigrateError("SOURCE_AUTH_FAILED", `SQL Server at ${t.host}:${t.port} rejected login "${t.user}"`, {
        hint: "check the user and password (SQL authentication must be enabled on the server, or set a domain for Windows logins)",
        meta,
      });
    }
    if (/self[- ]signed|certificate (has expired|verify failed|chain)|unable to (get|verify)[^.]*certificate|CERT_/i.test(msg)) {
      return new AuthmigrateError("SOURCE_TLS_FAILED", redact(`SQL Server at ${t.host}:${t.port}: TLS certificate not trusted (${causeReason(e)})`, t), {
        hint: "install the server's CA, or for a known self-signed test server add ?trustServerCertificate=true to the url",
        meta,
        retryable: false,
      });
    }
    return unreachable("SQL Server", t, e);
  }

  /** Statements run one after another on the single connection. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => {});
    return next;
  }

  private async exec(sql: string, params: readonly unknown[]) {
    return this.serial(async () => {
      const conn = await this.connect();
      try {
        return await exec(conn, sql, params);
      } catch (e) {
        // A connection lost mid-request (ECLOSE, ESOCKET, EINVALIDSTATE) is a reachability problem, not bad SQL.
        const code = (e as { code?: string }).code;
        if (code === "ECLOSE" || code === "ESOCKET" || code === "EINVALIDSTATE" || code === "ETIMEOUT") {
          this.conn = undefined;
          throw unreachable("SQL Server", this.target, e);
        }
        throw e;
      }
    });
  }

  protected async run(sql: string, params: readonly unknown[]): Promise<Record<string, unknown>[]> {
    const { columns, rows } = await this.exec(sql, params);
    for (const c of columns) if (this.orderBy.includes(c.colName)) this.keyColumns.set(c.colName, c);
    return rows;
  }

  protected async fieldNames(sql: string): Promise<string[]> {
    const { columns } = await this.exec(sql, []);
    return columns.map((c) => c.colName);
  }

  protected isMissingTable(e: unknown): boolean {
    return (e as { number?: number }).number === ERR.invalidObject;
  }

  /** The key value typed like its column (params.ts), datetime2 precision included. */
  protected override cursorValue(raw: unknown, _text: unknown, key: number): unknown {
    return cursorParam(raw, this.keyColumns.get(this.orderBy[key]!));
  }

  protected override redact(text: string): string {
    return redact(text, this.target);
  }

  async close(): Promise<void> {
    const pending = this.conn;
    this.conn = undefined;
    if (!pending) return;
    const conn = await pending.catch(() => undefined);
    conn?.close();
  }
}
