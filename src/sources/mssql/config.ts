import type { ConnectionConfiguration } from "tedious";
import { AuthmigrateError } from "../../errors.js";
import type { DbTarget } from "../db-url.js";

/** The object form of the connection (`source.connection`), for when a URL is awkward (instance names, domains). */
export interface MssqlConnectionInput {
  server: string;
  port?: number | undefined;
  instanceName?: string | undefined;
  database?: string | undefined;
  user?: string | undefined;
  password?: string | undefined;
  /** Windows (NTLM) domain: with it, user/password are a domain account. */
  domain?: string | undefined;
  encrypt?: boolean | "strict" | undefined;
  trustServerCertificate?: boolean | undefined;
  connectTimeoutMs?: number | undefined;
  requestTimeoutMs?: number | undefined;
}

export interface MssqlTarget extends DbTarget {
  config: ConnectionConfiguration;
}

const TRUE = new Set(["true", "1", "yes"]);
const FALSE = new Set(["false", "0", "no"]);

function flag(name: string, v: string | null): boolean | "strict" | undefined {
  if (v === null) return undefined;
  const s = v.toLowerCase();
  if (name === "encrypt" && s === "strict") return "strict";
  if (TRUE.has(s)) return true;
  if (FALSE.has(s)) return false;
  throw new AuthmigrateError("SOURCE_CONFIG_INVALID", `SQL Server source: url parameter ${name}="${v}" is not true/false`, {
    hint: `use ?${name}=true or ?${name}=false${name === "encrypt" ? " (or strict)" : ""}`,
  });
}

function num(name: string, v: string | null): number | undefined {
  if (v === null) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) {
    throw new AuthmigrateError("SOURCE_CONFIG_INVALID", `SQL Server source: url parameter ${name}="${v}" is not a positive integer`);
  }
  return n;
}

const KNOWN_PARAMS = new Set(["encrypt", "trustServerCertificate", "instanceName", "domain", "connectTimeout", "requestTimeout"]);

/** `mssql://user:pass@host:1433/db?encrypt=true&trustServerCertificate=false&instanceName=…&domain=…` → connection input. */
export function parseMssqlUrl(url: string): MssqlConnectionInput {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    // Never echo the URL: it usually carries the password.
    throw new AuthmigrateError("SOURCE_CONFIG_INVALID", "SQL Server source: url is not a valid URL", {
      hint: "use mssql://user:password@host:1433/database?encrypt=true (percent-encode special characters in the password)",
    });
  }
  if (u.protocol !== "mssql:" && u.protocol !== "sqlserver:") {
    throw new AuthmigrateError("SOURCE_CONFIG_INVALID", `SQL Server source: url scheme "${u.protocol}" is not mssql:`, {
      hint: "use mssql://user:password@host:1433/database",
    });
  }
  for (const k of u.searchParams.keys()) {
    if (!KNOWN_PARAMS.has(k)) {
      throw new AuthmigrateError("SOURCE_CONFIG_INVALID", `SQL Server source: unknown url parameter "${k}"`, {
        hint: `known parameters: ${[...KNOWN_PARAMS].join(", ")}`,
      });
    }
  }
  const q = u.searchParams;
  return {
    server: decodeURIComponent(u.hostname.replace(/^\[|\]$/g, "")) || "localhost",
    port: u.port ? Number(u.port) : undefined,
    instanceName: q.get("instanceName") ?? undefined,
    database: decodeURIComponent(u.pathname.replace(/^\//, "")) || undefined,
    user: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    domain: q.get("domain") ?? undefined,
    encrypt: flag("encrypt", q.get("encrypt")),
    trustServerCertificate: flag("trustServerCertificate", q.get("trustServerCertificate")) as boolean | undefined,
    connectTimeoutMs: num("connectTimeout", q.get("connectTimeout")),
    requestTimeoutMs: num("requestTimeout", q.get("requestTimeout")),
  };
}

/**
 * tedious's ConnectionConfiguration from the URL or object form. Defaults chosen for a long read:
 * encryption on (tedious's default; Azure SQL requires it), UTC dates (`useUTC`), 10 s to connect and
 * 2 min per page query (tedious's 15 s default is short for a first page over a large unindexed query).
 */
export function mssqlTarget(input: MssqlConnectionInput): MssqlTarget {
  if (input.port !== undefined && input.instanceName !== undefined) {
    throw new AuthmigrateError("SOURCE_CONFIG_INVALID", "SQL Server source: set either a port or an instanceName, not both", {
      hint: "a named instance is found through the SQL Browser service (UDP 1434); a port connects directly",
    });
  }
  const user = input.user ?? "";
  const password = input.password ?? "";
  const config: ConnectionConfiguration = {
    server: input.server,
    authentication: input.domain
      ? { type: "ntlm", options: { userName: user, password, domain: input.domain } }
      : { type: "default", options: { userName: user, password } },
    options: {
      ...(input.instanceName !== undefined ? { instanceName: input.instanceName } : { port: input.port ?? 1433 }),
      ...(input.database !== undefined ? { database: input.database } : {}),
      encrypt: input.encrypt ?? true,
      trustServerCertificate: input.trustServerCertificate ?? false,
      connectTimeout: input.connectTimeoutMs ?? 10_000,
      requestTimeout: input.requestTimeoutMs ?? 120_000,
      useUTC: true,
      // Rows are collected by our own row listener; column names can repeat in a query, so arrays.
      rowCollectionOnRequestCompletion: false,
      useColumnNames: false,
      appName: "authmigrate",
    },
  };
  return {
    protocol: "mssql",
    host: input.instanceName !== undefined ? `${input.server}\\${input.instanceName}` : input.server,
    port: input.port ?? 1433,
    database: input.database ?? "(default database)",
    user: input.domain ? `${input.domain}\\${user}` : user,
    password,
    config,
  };
}
