import type { StoredHash } from "./types.js";

/**
 * Many targets (better-auth, our own ledger, exports) have a single password column.
 * Formats whose verification needs more than the hash string (Keycloak credentialData,
 * a separate salt column, Firebase project keys) are packed into one self-describing string:
 *
 *   $authmigrate$<format>$<base64url(JSON {value, params})>
 *
 * Formats that are already self-describing strings (bcrypt, PHC…) are stored as-is when they
 * have no params, so a target that understands them natively keeps working.
 */
const PREFIX = "$authmigrate$";

export function packHash(stored: StoredHash): string {
  const params = stored.params ?? {};
  const payload = Buffer.from(JSON.stringify({ value: stored.value, params }), "utf8").toString("base64url");
  return `${PREFIX}${stored.format}$${payload}`;
}

export function isPackedHash(value: string): boolean {
  return value.startsWith(PREFIX);
}

/** Returns undefined when `value` is not an envelope (the caller then identifies it as a plain hash). */
export function unpackHash(value: string): StoredHash | undefined {
  if (!value.startsWith(PREFIX)) return undefined;
  const rest = value.slice(PREFIX.length);
  const sep = rest.indexOf("$");
  if (sep <= 0) return undefined;
  const format = rest.slice(0, sep);
  try {
    const decoded = JSON.parse(Buffer.from(rest.slice(sep + 1), "base64url").toString("utf8")) as {
      value?: unknown;
      params?: unknown;
    };
    if (typeof decoded.value !== "string") return undefined;
    const params = decoded.params && typeof decoded.params === "object" ? (decoded.params as Record<string, unknown>) : {};
    return { format, value: decoded.value, params };
  } catch {
    return undefined;
  }
}
