import { AuthmigrateError } from "../errors.js";

/** The parts of a database URL that are safe to print. The password is kept only to redact it. */
export interface DbTarget {
  protocol: string;
  host: string;
  port: number;
  database: string;
  user: string;
  /** Never print this; used to scrub driver messages before they reach an error. */
  password: string;
}

export function parseDbUrl(url: string, engine: string, defaultPort: number): DbTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    // Never echo the URL itself: it usually carries the password.
    throw new AuthmigrateError("SOURCE_CONFIG_INVALID", `${engine} source: url is not a valid URL`, {
      hint: `use ${engine === "PostgreSQL" ? "postgres" : "mysql"}://user:password@host:port/database`,
    });
  }
  const host = decodeURIComponent(u.hostname.replace(/^\[|\]$/g, "")) || u.searchParams.get("host") || "localhost";
  const user = decodeURIComponent(u.username);
  return {
    protocol: u.protocol.replace(/:$/, ""),
    host,
    port: u.port ? Number(u.port) : Number(u.searchParams.get("port") ?? defaultPort),
    database: decodeURIComponent(u.pathname.replace(/^\//, "")) || user,
    user,
    password: decodeURIComponent(u.password),
  };
}

/** `postgres://app@db.internal:5432/legacy` — what `describe()` shows. */
export function describeTarget(t: DbTarget): string {
  return `${t.protocol}://${t.user ? `${t.user}@` : ""}${t.host}:${t.port}/${t.database}`;
}

/** Drivers sometimes echo connection strings; strip the password wherever it appears. */
export function redact(text: string, t: DbTarget): string {
  if (!t.password) return text;
  const variants = new Set([t.password, encodeURIComponent(t.password)]);
  let out = text;
  for (const v of variants) out = out.split(v).join("***");
  return out;
}

/** The one-line unreachable error every SQL source raises. */
export function unreachable(engine: string, t: DbTarget, cause: unknown, code = "SOURCE_UNREACHABLE"): AuthmigrateError {
  const reason = causeReason(cause);
  return new AuthmigrateError(
    code,
    redact(`cannot connect to ${engine} at ${t.host}:${t.port} (database "${t.database}"): ${reason}`, t),
    {
      hint: "check that the server is running and that host, port and network access in the url are right",
      meta: { host: t.host, port: t.port, database: t.database },
      retryable: true,
    },
  );
}

/** Short reason (`ECONNREFUSED`, `timeout`) rather than a stack of driver text. */
export function causeReason(cause: unknown): string {
  if (cause && typeof cause === "object") {
    const c = cause as { code?: unknown; message?: unknown };
    // Prefer the code: Node's AggregateError (IPv4+IPv6 attempts to `localhost`) has an empty message.
    if (typeof c.code === "string" && c.code) return c.code;
    if (typeof c.message === "string" && c.message) return c.message.split("\n")[0]!;
  }
  return String(cause);
}
