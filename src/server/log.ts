/**
 * Structured log lines for the hook service (pino, one JSON line per entry). Callers pass only
 * whitelisted fields — identifiers appear as `ref`, a short one-way digest — and, as a second
 * line of defence, pino's `redact` configuration censors any password, hash, token, secret,
 * authorization or cookie field wherever it appears (top level or one/two levels down), so a
 * careless `log({ ...body })` still cannot leak a credential.
 */
import { pino, type DestinationStream, type Logger as PinoLogger } from "pino";

export interface LogEntry {
  event: string;
  route?: string;
  outcome?: string;
  status?: number;
  ref?: string;
  externalId?: string;
  ms?: number;
  code?: string;
  [k: string]: string | number | boolean | undefined;
}

export type Logger = (entry: LogEntry) => void;

const SECRET_KEYS = ["password", "newPassword", "temporaryPassword", "hash", "passwordHash", "token", "accessToken", "refreshToken", "idToken", "secret", "clientSecret", "apiKey", "authorization", "cookie", "set-cookie"];

/** pino redact paths: each secret key at the top level and up to two objects deep. */
export const REDACT_PATHS = SECRET_KEYS.flatMap((k) => {
  const key = /^[A-Za-z_$][\w$]*$/.test(k) ? k : `["${k}"]`;
  const dot = key.startsWith("[") ? key : `.${key}`;
  return [key, `*${dot}`, `*.*${dot}`];
});

export const REDACTED = "[redacted]";

/** A pino logger with the redaction config (stderr unless a destination is given). */
export function pinoLogger(destination?: DestinationStream): PinoLogger {
  return pino(
    {
      base: { service: "authmigrate" },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: REDACTED },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination ?? pino.destination({ dest: 2, sync: true }),
  );
}

/** The service's Logger interface over pino: status ≥ 500 logs at error, 4xx at warn, the rest at info. */
export function createLogger(destination?: DestinationStream): Logger {
  const p = pinoLogger(destination);
  return (entry) => {
    const level = typeof entry.status === "number" && entry.status >= 500 ? "error" : typeof entry.status === "number" && entry.status >= 400 ? "warn" : "info";
    p[level](entry);
  };
}

/** One JSON line per entry on stderr. */
export const stderrLogger: Logger = createLogger();
