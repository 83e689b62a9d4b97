/**
 * Password-hash engine: identify legacy hash strings, verify passwords against them, and
 * tell (and do) what each target can accept. Hashes and passwords never appear in errors.
 */
import { type VerifyOptions, isHeavy, resolveStored, verifyWith } from "./engine.js";
import { getPool, poolAvailable } from "./pool.js";
import type { StoredHash } from "./types.js";
import { FORMATS } from "./registry.js";

export { identify, resolveStored, verifyInline } from "./engine.js";
export type { VerifyOptions } from "./engine.js";
export { packHash, unpackHash, isPackedHash } from "./envelope.js";
export type { HashCandidate, StoredHash } from "./types.js";
export type { HashFormat } from "./format.js";
export { getFormat, FORMATS } from "./registry.js";
export { LIMITS } from "./util.js";

/** Every format id the engine supports (identify and parse; see `isVerifiable` for verify). */
export const hashFormats: readonly string[] = FORMATS.map((f) => f.id);

/**
 * Verifies `password` against a stored hash. Unknown format → HASH_UNSUPPORTED_FORMAT,
 * malformed value/params → HASH_PARSE_ERROR, hostile parameters → HASH_PARAMS_TOO_EXPENSIVE.
 */
export async function verifyPassword(password: string, stored: StoredHash, opts: VerifyOptions = {}): Promise<boolean> {
  const { format, value, params } = resolveStored(stored);
  const usePool = (opts.pool ?? process.env.AUTHMIGRATE_HASH_POOL !== "0") && poolAvailable();
  if (!usePool || !isHeavy(format, value, params)) return verifyWith(format, password, value, params);
  // Parse here first so malformed values fail fast with a typed error, without a worker round-trip.
  format.parse(value, params);
  if (format.verifiable === false) return verifyWith(format, password, value, params);
  return getPool().verify(format.id, value, params, password);
}

export { VerifyPool, getPool, closePool } from "./pool.js";

/** Formats that can be identified but not verified here (e.g. yescrypt). */
export function isVerifiable(formatId: string): boolean {
  return FORMATS.find((f) => f.id === formatId)?.verifiable !== false;
}

/** A fresh hash in the engine's native format (bcrypt, cost 12) — what targets accept most widely. */
export async function nativeHash(password: string, cost = 12): Promise<string> {
  const { hash } = await import("@node-rs/bcrypt");
  return hash(password, cost);
}

export { TARGET_IDS, capability, capabilityMatrix, chooseStrategy, convert } from "./capability.js";
export type { ConvertedPassword, HashStrategy, HashTargetId, PlanStrategy } from "./capability.js";
export { scanFormats } from "./scan.js";
export type { ScanCounts } from "./scan.js";
