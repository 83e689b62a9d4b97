import { identify } from "../../hashes/index.js";
import { ab64encode } from "../../hashes/util.js";
import type { Issue } from "../../mapping/issues.js";
import type { Credential } from "../../model/user.js";

type Convert = (digest: string) => Credential | undefined;

const asIs =
  (format: string): Convert =>
  (digest) => ({ kind: "hash", format, value: digest, params: {} });

/**
 * Clerk's `password_hasher` names → the hash engine's formats, converting digests whose layout
 * Clerk defines differently (Clerk's "Create user" API docs describe each):
 * - `pbkdf2_sha256`: `pbkdf2_sha256$<iter>$<b64 salt>$<b64 hash>` (salt base64, unlike Django's) → passlib layout;
 * - `pbkdf2_sha1`: Django layout with a hex hash → Django's base64 hash;
 * - `scrypt_firebase`: `<hash>$<salt>$<signer key>$<salt separator>$<rounds>$<mem cost>` → firebase-scrypt + params.
 */
const HASHERS: Record<string, Convert> = {
  bcrypt: asIs("bcrypt"),
  bcrypt_sha256_django: asIs("bcrypt-sha256-django"),
  argon2i: asIs("argon2i"),
  argon2id: asIs("argon2id"),
  pbkdf2_sha256_django: asIs("pbkdf2-sha256-django"),
  phpass: asIs("phpass-wordpress"),
  md5: asIs("md5-raw"),
  sha256: asIs("sha256-raw"),
  pbkdf2_sha256: (d) => {
    const m = /^pbkdf2_sha256\$(\d+)\$([A-Za-z0-9+/]+=*)\$([A-Za-z0-9+/]+=*)$/.exec(d);
    if (!m) return undefined;
    const salt = ab64encode(Buffer.from(m[2]!, "base64"));
    const hash = ab64encode(Buffer.from(m[3]!, "base64"));
    return { kind: "hash", format: "pbkdf2-passlib-sha256", value: `$pbkdf2-sha256$${m[1]}$${salt}$${hash}`, params: {} };
  },
  pbkdf2_sha1: (d) => {
    const m = /^pbkdf2_sha1\$(\d+)\$([^$]+)\$([0-9a-fA-F]+)$/.exec(d);
    if (!m) return undefined;
    return { kind: "hash", format: "pbkdf2-sha1-django", value: `pbkdf2_sha1$${m[1]}$${m[2]}$${Buffer.from(m[3]!, "hex").toString("base64")}`, params: {} };
  },
  scrypt_firebase: (d) => {
    const parts = d.split("$");
    if (parts.length !== 6) return undefined;
    const [hash, salt, signerKey, saltSeparator, rounds, memCost] = parts as [string, string, string, string, string, string];
    return { kind: "hash", format: "firebase-scrypt", value: hash, params: { salt, signer_key: signerKey, salt_separator: saltSeparator, rounds: Number(rounds), mem_cost: Number(memCost) } };
  },
};

/** password_digest + password_hasher → credential; unknown hashers or bad digests warn and yield none (never a fake credential). */
export function clerkCredential(digest: string | undefined, hasher: string | undefined, issues: Issue[]): Credential {
  if (!digest) return { kind: "none" };
  const name = hasher?.trim().toLowerCase();
  const convert = name ? HASHERS[name] : undefined;
  const guessed = !name ? identify(digest)[0]?.format : undefined;
  const cred = convert ? convert(digest) : guessed ? asIs(guessed)(digest) : undefined;
  if (cred) return cred;
  issues.push({
    code: "unknown_hash_format",
    severity: "warning",
    field: "password_digest",
    message: convert
      ? `password_digest is not in the layout Clerk defines for ${name}; the user will need a password reset`
      : `password_hasher ${name ? `"${name}" is not one authmigrate can verify` : "is empty and the digest is not recognised"}; the user will need a password reset`,
  });
  return { kind: "none" };
}
