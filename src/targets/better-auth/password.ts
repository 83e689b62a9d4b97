import { AuthmigrateError } from "../../errors.js";
import { identify, isPackedHash, packHash, resolveStored } from "../../hashes/index.js";
import type { HashCredential } from "../../model/user.js";

/**
 * How legacy hashes live in better-auth's single `account.password` column, shared by the
 * target (writing) and the plugin (verifying). No function here logs or returns a secret in an error.
 */

/** better-auth's default scrypt hash: `<16-byte salt as hex>:<64-byte key as hex>` (lower-case, as it compares). */
const BETTER_AUTH_SCRYPT = /^[0-9a-f]{32}:[0-9a-f]{128}$/;
/** Hash-engine id of that format (a user coming from another better-auth keeps it as-is). */
const BETTER_AUTH_FORMAT = "better-auth-scrypt";

export function isBetterAuthHash(value: string): boolean {
  return BETTER_AUTH_SCRYPT.test(value);
}

/** The one format `value` can only be, or undefined when no format or several are certain. */
export function certainFormat(value: string): string | undefined {
  const [top, next] = identify(value);
  if (!top || top.confidence < 1 || (next && next.confidence >= 1)) return undefined;
  return top.format;
}

/** The hash engine can name the format with certainty: an authmigrate envelope or e.g. `$2b$…`. */
export function engineKnows(hash: string): boolean {
  return isPackedHash(hash) || certainFormat(hash) !== undefined;
}

/**
 * The string stored in `account.password` for a legacy credential: the hash itself when it is
 * self-describing (identify() names exactly this format and there are no params, e.g. `$2b$…`)
 * or already better-auth's own, else a `$authmigrate$` envelope carrying format + params (also for
 * legacy values that merely look like better-auth's, which its verify would misread). Throws AuthmigrateError
 * (HASH_UNSUPPORTED_FORMAT / HASH_AMBIGUOUS_FORMAT / HASH_UNVERIFIABLE) when it could never verify at sign-in.
 */
export function toPasswordColumn(credential: HashCredential): string {
  const { format, value, params } = resolveStored(credential);
  if (format.verifiable === false) {
    throw new AuthmigrateError("HASH_UNVERIFIABLE", `${format.id} hashes cannot be verified at sign-in`, {
      hint: "Use the reset or temporary password strategy for these users.",
      meta: { format: format.id },
    });
  }
  if (Object.keys(params).length === 0) {
    const native = isBetterAuthHash(value);
    if (format.id === BETTER_AUTH_FORMAT ? native : !native && certainFormat(value) === format.id) return value;
  }
  return packHash({ format: format.id, value, params });
}
