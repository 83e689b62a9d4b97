import { createHash } from "node:crypto";
import type { MigrationUser } from "../model/user.js";

function stable(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(stable);
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) out[k] = stable((value as Record<string, unknown>)[k]);
    return out;
  }
  return typeof value === "bigint" ? String(value) : value;
}

/**
 * Digest of everything we would send for a user. Stored in the ledger (never the record itself),
 * so a re-run knows whether the legacy record changed since it was written.
 */
export function userDigest(user: MigrationUser): string {
  return createHash("sha256").update(JSON.stringify(stable(user))).digest("base64url").slice(0, 32);
}
