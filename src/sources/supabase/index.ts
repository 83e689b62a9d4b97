import { AuthmigrateError } from "../../errors.js";
import { describeTarget, parseDbUrl } from "../db-url.js";
import { PostgresSource } from "../postgres.js";
import { ProviderSource, type Built } from "../provider/base.js";
import type { SourceRecord } from "../types.js";
import type { SupabaseSourceConfig } from "./config.js";
import { supabaseUser } from "./map.js";
import { schemaSql, usersQuery, type AuthSchema } from "./query.js";

export { SupabaseSourceConfigSchema, type SupabaseSourceConfig } from "./config.js";

/**
 * Supabase Auth, read from its PostgreSQL database: `auth.users` paged by keyset on `id` (the
 * postgres source's reader), each user with its `auth.identities` and verified TOTP
 * `auth.mfa_factors` aggregated by the same query, so memory stays at one page.
 */
export class SupabaseSource extends ProviderSource {
  readonly kind = "supabase";
  private inner: PostgresSource | undefined;
  private readonly now = new Date();

  constructor(private readonly config: SupabaseSourceConfig) {
    super(config.raw);
  }

  /** host:port/db, never the password. */
  private where(): string {
    return describeTarget(parseDbUrl(this.config.url, "PostgreSQL", 5432));
  }

  describe(): string {
    return `supabase ${this.where()} schema ${this.config.schema}`;
  }

  /** Looks at which auth columns this GoTrue version has, then opens the paged reader. */
  private async reader(): Promise<PostgresSource> {
    if (this.inner) return this.inner;
    const probe = new PostgresSource({ type: "postgres", url: this.config.url, query: "SELECT 1 AS one", orderBy: ["one"], pageSize: 1 });
    let rows: Record<string, unknown>[];
    try {
      rows = await probe.query(schemaSql(this.config.schema));
    } finally {
      await probe.close();
    }
    const s: AuthSchema = { users: new Set(), identities: new Set(), hasMfa: false };
    for (const r of rows) {
      if (r.table_name === "users") s.users.add(String(r.column_name));
      else if (r.table_name === "identities") s.identities.add(String(r.column_name));
      else s.hasMfa = true;
    }
    if (!s.users.has("id") || !s.identities.has("user_id")) {
      throw new AuthmigrateError("SOURCE_NOT_FOUND", `no Supabase auth tables (${this.config.schema}.users, ${this.config.schema}.identities) in ${this.where()}`, {
        hint: "connect to the project's database (not the API URL); set schema if the auth tables were restored elsewhere",
      });
    }
    this.inner = new PostgresSource({ type: "postgres", url: this.config.url, query: usersQuery(this.config.schema, s), orderBy: ["id"], pageSize: this.config.pageSize });
    return this.inner;
  }

  override async count(): Promise<number | undefined> {
    return (await this.reader()).count();
  }

  protected async *rawRecords(opts: { signal?: AbortSignal }): AsyncGenerator<SourceRecord> {
    const reader = await this.reader();
    for await (const rec of reader.read(opts)) yield { ...rec, location: `${this.config.schema}.users id=${String(rec.row.id)}` };
  }

  protected build(row: Record<string, unknown>): Built {
    return supabaseUser(row, this.now);
  }

  override async close(): Promise<void> {
    await this.inner?.close();
    this.inner = undefined;
  }
}
