/**
 * Password-hash engine: identify legacy hash strings, verify passwords against them, and
 * tell (and do) what each target can accept. Hashes and passwords never appear in errors.
 */
import { identify, resolveStored, verifyWith } from "./engine.js";
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
export async function verifyPassword(password: string, stored: StoredHash): Promise<boolean> {
  const { format, value, params } = resolveStored(stored);
  return verifyWith(format, password, value, params);
}

void identify;

/** A fresh hash in the engine's native format (bcrypt, cost 12) — what targets accept most widely. */
export async function nativeHash(password: string, cost = 12): Promise<string> {
  const { hash } = await import("@node-rs/bcrypt");
  return hash(password, cost);
}
