import { AuthmigrateError } from "../errors.js";

/** `host:port/database` of a postgres URL — never the user's password. */
export function describePgUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname || "localhost"}:${u.port || "5432"}/${u.pathname.replace(/^\//, "") || "postgres"}`;
  } catch {
    return "(unparseable postgres URL)";
  }
}

/** Turn a connection failure into one line that names host/port/database and what to check. */
export function pgConnectError(code: string, what: string, url: string, cause: unknown): AuthmigrateError {
  const reason = cause instanceof Error ? ((cause as NodeJS.ErrnoException).code ?? cause.message) : String(cause);
  // The driver's message can echo the connection string; keep only the code/first line and scrub the password.
  let safe = String(reason).split("\n")[0]!;
  try {
    const pw = new URL(url).password;
    if (pw) safe = safe.split(decodeURIComponent(pw)).join("***").split(pw).join("***");
  } catch {
    /* unparseable URL: nothing to scrub */
  }
  return new AuthmigrateError(code, `cannot connect to ${what} postgres at ${describePgUrl(url)}: ${safe}`, {
    hint: "check the server is running and the host, port, database and credentials in the URL",
    cause,
  });
}
