import { hash } from "node:crypto";
import type { MigrationUser } from "../model/user.js";

/**
 * Digest of everything we would send for a user. Stored in the ledger (never the record itself),
 * so a re-run knows whether the legacy record changed since it was written.
 * Key order is deterministic because users are built field by field by the mapper (or by zod,
 * in schema order, after a transform), so plain JSON.stringify is stable for the same input.
 * SHA-1 is enough here: this detects change, it protects nothing.
 */
export function userDigest(user: MigrationUser): string {
  return digestOfJson(JSON.stringify(user));
}

/**
 * The digest of a user already serialized with `JSON.stringify(user)`: the run serializes each
 * user once and shares that string with targets that store JSON (the file target).
 * One-shot `crypto.hash` avoids a Hash object per user.
 */
export function digestOfJson(json: string): string {
  return hash("sha1", json, "base64url");
}
