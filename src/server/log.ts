/**
 * Structured log lines for the hook service. Callers pass only whitelisted fields: no password,
 * hash, token, secret or identifier (identifiers appear as `ref`, a short one-way digest).
 */
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

/** One JSON line per entry on stderr. */
export const stderrLogger: Logger = (entry) => {
  process.stderr.write(JSON.stringify({ ts: new Date().toISOString(), ...entry }) + "\n");
};
