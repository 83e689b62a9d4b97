import { createHash } from "node:crypto";
import path from "node:path";
import { PostgresLedger } from "./postgres-ledger.js";
import { SqliteLedger, type SqliteLedgerOptions } from "./sqlite-ledger.js";
import type { Ledger } from "./types.js";

export * from "./types.js";
export { SqliteLedger } from "./sqlite-ledger.js";
export { PostgresLedger } from "./postgres-ledger.js";

/**
 * Ledger rows are scoped by target key so one ledger can hold several targets (staging, prod).
 * The key is the target type plus a digest of its config: pointing the same config at another
 * database starts a fresh history instead of "remembering" users that aren't there.
 */
export function targetKey(target: { type: string } & Record<string, unknown>): string {
  const digest = createHash("sha256").update(JSON.stringify(target, Object.keys(target).sort())).digest("hex").slice(0, 12);
  return `${target.type}:${digest}`;
}

export function openLedger(url: string, target: string, cwd: string, opts: SqliteLedgerOptions = {}): Ledger {
  if (/^postgres(ql)?:\/\//.test(url)) return new PostgresLedger(url, target);
  const file = url.startsWith("sqlite:") ? url.slice("sqlite:".length) : url;
  return new SqliteLedger(file === ":memory:" ? file : path.resolve(cwd, file), target, opts);
}
