import { z } from "zod";
import type { Issue } from "../mapping/issues.js";
import type { MigrationUserInput } from "../model/user.js";
import { Auth0ExportSourceConfigSchema } from "./auth0/config.js";
import { ClerkSourceConfigSchema } from "./clerk/config.js";
import { CognitoSourceConfigSchema } from "./cognito/config.js";
import { SupabaseSourceConfigSchema } from "./supabase/config.js";
import { FirebaseSourceConfigSchema } from "./firebase/config.js";
import { KeycloakSourceConfigSchema } from "./keycloak/config.js";
import { LdapSourceConfigSchema } from "./ldap/config.js";

/** One legacy record plus where it came from, so every error can name it (`users.csv:17`, `Users Id=42`). */
export interface SourceRecord {
  row: Record<string, unknown>;
  location: string;
  /**
   * Set when the source could not parse this record (e.g. `users.csv:17: expected 5 columns, found 6`);
   * `row` is then `{}`. The stream keeps going so the engine can report the row as failed and continue.
   */
  error?: string;
  /**
   * A canonical user the source built itself (provider exports: Firebase, Keycloak, …). When set,
   * the mapping layer validates it instead of applying `mapping.fields`; `row` stays the raw record
   * for `mapping.metadata` and `mapping.transform`.
   */
  user?: MigrationUserInput;
  /** Warnings the source noticed while building `user` (e.g. an unknown hash format); they land in the report. */
  issues?: Issue[];
}

/**
 * A streaming reader over legacy records. Implementations hold constant memory:
 * SQL sources page by keyset (never OFFSET), file sources stream.
 */
export interface Source {
  readonly kind: string;
  /** Human description safe to print: never includes a password. */
  describe(): string;
  /** Column / field names available for mapping (first record for schemaless files). */
  columns(): Promise<string[]>;
  /** Total number of records if cheaply known (used for progress ETA). */
  count(): Promise<number | undefined>;
  read(opts?: { signal?: AbortSignal }): AsyncIterable<SourceRecord>;
  close(): Promise<void>;
  /** True when records carry a ready `user` (the source supplies its own mapping; `mapping.fields` is not used). */
  readonly mapsUsers?: boolean;
}

const keyset = {
  /** Table to read (alternative to `query`). */
  table: z.string().optional(),
  /** A SELECT whose result is read instead of `table`; it is wrapped, so keep ORDER BY out of it. */
  query: z.string().optional(),
  /**
   * Ordered, unique, non-NULL key read by keyset pagination, e.g. ["CreatedDate", "Id"]. Checked while
   * reading (`SOURCE_NULL_KEY`, `SOURCE_KEY_NOT_UNIQUE`) because a violation would silently skip rows.
   */
  orderBy: z.array(z.string().min(1)).min(1).default(["Id"]),
  /** Rows fetched per page. */
  pageSize: z.number().int().positive().default(1000),
};

export const SqliteSourceConfigSchema = z.object({ type: z.literal("sqlite"), path: z.string().min(1), ...keyset });
export const PostgresSourceConfigSchema = z.object({ type: z.literal("postgres"), url: z.string().min(1), ...keyset });
export const MysqlSourceConfigSchema = z.object({ type: z.literal("mysql"), url: z.string().min(1), ...keyset });
/** SQL Server: `url` (`mssql://user:pass@host:1433/db?encrypt=true`) or the `connection` object, not both. */
export const MssqlSourceConfigSchema = z.object({
  type: z.literal("mssql"),
  url: z.string().min(1).optional(),
  connection: z
    .object({
      server: z.string().min(1),
      port: z.number().int().positive().optional(),
      /** Named instance (found through the SQL Browser service); instead of `port`. */
      instanceName: z.string().min(1).optional(),
      database: z.string().min(1).optional(),
      user: z.string().optional(),
      /** Use ${ENV}: never write the password into the config file. */
      password: z.string().optional(),
      /** Windows (NTLM) domain for a domain login. */
      domain: z.string().min(1).optional(),
      encrypt: z.union([z.boolean(), z.literal("strict")]).optional(),
      trustServerCertificate: z.boolean().optional(),
      connectTimeoutMs: z.number().int().positive().optional(),
      requestTimeoutMs: z.number().int().positive().optional(),
    })
    .strict()
    .optional(),
  ...keyset,
});
export const CsvSourceConfigSchema = z.object({
  type: z.literal("csv"),
  path: z.string().min(1),
  delimiter: z.string().default(","),
});
export const JsonSourceConfigSchema = z.object({
  type: z.literal("json"),
  path: z.string().min(1),
  /** Key of the array when the file is an object (`{"users":[...]}`); omit for a top-level array. */
  key: z.string().optional(),
});
export const NdjsonSourceConfigSchema = z.object({ type: z.literal("ndjson"), path: z.string().min(1) });

/** Sources that build canonical users themselves: a config for them needs no `mapping` (see config/source-mapping.ts). */
export { Auth0ExportSourceConfigSchema };

export const BUILT_IN_MAPPING_SOURCES: ReadonlySet<string> = new Set(["auth0-export", "firebase", "keycloak", "ldap", "cognito", "clerk", "supabase"]);

export const SourceConfigSchema = z.discriminatedUnion("type", [
  SqliteSourceConfigSchema,
  PostgresSourceConfigSchema,
  MysqlSourceConfigSchema,
  MssqlSourceConfigSchema,
  CsvSourceConfigSchema,
  JsonSourceConfigSchema,
  NdjsonSourceConfigSchema,
  Auth0ExportSourceConfigSchema,
  FirebaseSourceConfigSchema,
  KeycloakSourceConfigSchema,
  CognitoSourceConfigSchema,
  ClerkSourceConfigSchema,
  SupabaseSourceConfigSchema,
  LdapSourceConfigSchema,
]);

export type SourceConfig = z.infer<typeof SourceConfigSchema>;
export type SourceConfigInput = z.input<typeof SourceConfigSchema>;
