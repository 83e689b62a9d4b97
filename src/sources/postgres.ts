import pg from "pg";
import type { z } from "zod";
import { AuthmigrateError } from "../errors.js";
import { describeTarget, parseDbUrl, redact, unreachable, type DbTarget } from "./db-url.js";
import type { Dialect } from "./keyset.js";
import { SqlKeysetSource } from "./sql-source.js";
import type { PostgresSourceConfigSchema } from "./types.js";
import { safeInteger } from "./values.js";

export type PostgresSourceConfig = z.infer<typeof PostgresSourceConfigSchema>;

export const pgDialect: Dialect = {
  name: "postgres",
  quoteIdent: (p) => `"${p.replace(/"/g, '""')}"`,
  placeholder: (n) => `$${n}`,
  // PostgreSQL compares row values lexicographically and uses a matching btree index for them.
  rowValues: true,
  // Every PostgreSQL type round-trips through text, so the cursor is always the text form: exact for
  // microsecond timestamps, numerics and int8 alike (the parameter is typed from the column).
  textCast: (expr) => `(${expr})::text`,
};

const OID = { int8: 20, date: 1082, timestamp: 1114, timestamptz: 1184 } as const;

/** See values.ts for the conventions these parsers implement. */
function getTypeParser(oid: number, format?: "text" | "binary"): (v: string) => unknown {
  if (format === undefined || format === "text") {
    if (oid === OID.int8) return (v) => safeInteger(v);
    if (oid === OID.date) return (v) => v;
    if (oid === OID.timestamp) {
      const tz = pg.types.getTypeParser(OID.timestamptz, "text") as (v: string) => unknown;
      // A naive timestamp gets an explicit UTC offset; `infinity`/`BC` values pass through as before.
      return (v) => tz(/\d$/.test(v) ? `${v}+00` : v);
    }
  }
  return pg.types.getTypeParser(oid, format ?? "text") as (v: string) => unknown;
}

/** PostgreSQL table/query reader over one dedicated connection (a scan is sequential; no pool needed). */
export class PostgresSource extends SqlKeysetSource {
  readonly kind = "postgres";
  protected readonly dialect = pgDialect;
  private readonly target: DbTarget;
  private readonly url: string;
  private client: Promise<pg.Client> | undefined;

  constructor(config: PostgresSourceConfig) {
    super(config, "PostgreSQL");
    this.url = config.url;
    this.target = parseDbUrl(config.url, "PostgreSQL", 5432);
  }

  protected describeDatabase(): string {
    return describeTarget(this.target);
  }

  private connect(): Promise<pg.Client> {
    this.client ??= (async () => {
      const client = new pg.Client({
        connectionString: this.url,
        connectionTimeoutMillis: 10_000,
        types: { getTypeParser } as pg.CustomTypesConfig,
      });
      // An idle connection drop is emitted as an event; without a listener it would crash the process.
      // The next query then fails and is reported through the normal path.
      client.on("error", () => {});
      try {
        await client.connect();
      } catch (e) {
        this.client = undefined;
        throw this.connectError(e);
      }
      return client;
    })();
    return this.client;
  }

  private connectError(e: unknown): AuthmigrateError {
    const code = (e as { code?: string }).code;
    const t = this.target;
    if (code === "3D000") {
      return new AuthmigrateError("SOURCE_DATABASE_NOT_FOUND", `PostgreSQL database "${t.database}" does not exist on ${t.host}:${t.port}`, {
        meta: { host: t.host, port: t.port, database: t.database },
      });
    }
    if (code === "28P01" || code === "28000") {
      return new AuthmigrateError(
        "SOURCE_AUTH_FAILED",
        `PostgreSQL at ${t.host}:${t.port} rejected user "${t.user}" for database "${t.database}"`,
        { hint: "check the user and password in the source url", meta: { host: t.host, port: t.port, database: t.database } },
      );
    }
    return unreachable("PostgreSQL", t, e);
  }

  protected async run(sql: string, params: readonly unknown[]): Promise<Record<string, unknown>[]> {
    const client = await this.connect();
    const res = await client.query({ text: sql, values: [...params] });
    return res.rows as Record<string, unknown>[];
  }

  protected async fieldNames(sql: string): Promise<string[]> {
    const client = await this.connect();
    const res = await client.query({ text: sql });
    return res.fields.map((f) => f.name);
  }

  protected isMissingTable(e: unknown): boolean {
    return (e as { code?: string }).code === "42P01";
  }

  /** Text form for every key (see dialect): exact where the JS value (Date) is lossy. */
  protected override cursorValue(_raw: unknown, text: unknown): unknown {
    return text;
  }

  protected override redact(text: string): string {
    return redact(text, this.target);
  }

  async close(): Promise<void> {
    const pending = this.client;
    this.client = undefined;
    if (!pending) return;
    const client = await pending.catch(() => undefined);
    await client?.end().catch(() => {});
  }
}
