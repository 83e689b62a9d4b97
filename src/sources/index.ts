import { Auth0ExportSource } from "./auth0/index.js";
import { CsvSource } from "./csv.js";
import { ClerkSource } from "./clerk/index.js";
import { CognitoSource } from "./cognito/index.js";
import { SupabaseSource } from "./supabase/index.js";
import { FirebaseSource } from "./firebase/index.js";
import { KeycloakSource } from "./keycloak/index.js";
import { LdapSource } from "./ldap/index.js";
import { JsonSource } from "./json.js";
import { MysqlSource } from "./mysql.js";
import { MssqlSource } from "./mssql/index.js";
import { NdjsonSource } from "./ndjson.js";
import { PostgresSource } from "./postgres.js";
import { SqliteSource } from "./sqlite.js";
import type { Source, SourceConfig } from "./types.js";

export * from "./types.js";
export { CsvSource, type CsvSourceConfig } from "./csv.js";
export { JsonSource, type JsonSourceConfig } from "./json.js";
export { NdjsonSource, type NdjsonSourceConfig } from "./ndjson.js";
export { Auth0ExportSource, type Auth0ExportSourceConfig } from "./auth0/index.js";
export { FirebaseSource, type FirebaseSourceConfig } from "./firebase/index.js";
export { KeycloakSource, type KeycloakSourceConfig } from "./keycloak/index.js";
export { CognitoSource, type CognitoSourceConfig } from "./cognito/index.js";
export { ClerkSource, type ClerkSourceConfig } from "./clerk/index.js";
export { SupabaseSource, type SupabaseSourceConfig } from "./supabase/index.js";
export { LdapSource, type LdapSourceConfig } from "./ldap/index.js";
export { SqliteSource, type SqliteSourceConfig } from "./sqlite.js";
export { PostgresSource, type PostgresSourceConfig } from "./postgres.js";
export { MysqlSource, type MysqlSourceConfig } from "./mysql.js";
export { MssqlSource, type MssqlSourceConfig } from "./mssql/index.js";
export { SqlKeysetSource, type SqlSourceOptions } from "./sql-source.js";
export type { Dialect } from "./keyset.js";

export interface SourceContext {
  /** Directory relative file paths resolve against (normally the config file's directory). */
  cwd: string;
}

type Factory<T extends SourceConfig["type"]> = (config: Extract<SourceConfig, { type: T }>, ctx: SourceContext) => Source;

/** `type` → factory. Adding a source = one entry here plus its config schema in types.ts. */
export const sourceRegistry: { readonly [T in SourceConfig["type"]]: Factory<T> } = {
  sqlite: (c, ctx) => new SqliteSource(c, ctx),
  postgres: (c) => new PostgresSource(c),
  mysql: (c) => new MysqlSource(c),
  mssql: (c) => new MssqlSource(c),
  csv: (c, ctx) => new CsvSource(c, ctx),
  json: (c, ctx) => new JsonSource(c, ctx),
  ndjson: (c, ctx) => new NdjsonSource(c, ctx),
  "auth0-export": (c, ctx) => new Auth0ExportSource(c, ctx),
  firebase: (c, ctx) => new FirebaseSource(c, ctx),
  keycloak: (c, ctx) => new KeycloakSource(c, ctx),
  cognito: (c, ctx) => new CognitoSource(c, ctx),
  clerk: (c, ctx) => new ClerkSource(c, ctx),
  supabase: (c) => new SupabaseSource(c),
  ldap: (c, ctx) => new LdapSource(c, ctx),
};

/**
 * Builds the source for a parsed config. Cheap and offline: connections and files are opened on
 * first use, so IO errors (`SOURCE_UNREACHABLE`, `SOURCE_NOT_FOUND`, …) come from the async methods.
 * Config-shape errors (`SOURCE_CONFIG_INVALID`) are thrown here.
 */
export function createSource(config: SourceConfig, opts: SourceContext): Source {
  const factory = sourceRegistry[config.type] as Factory<SourceConfig["type"]>;
  return factory(config as never, opts);
}
