import { hash as bcryptHash } from "@node-rs/bcrypt";
import { resolveStored, verifyPassword, type StoredHash } from "../../hashes/index.js";

/**
 * Password storage of the WorkOS simulator. The wire strings of each `password_hash_type`
 * (targets.md §3.3) are parsed here, strictly and independently of authmigrate's converters, into
 * a hash-engine StoredHash; verification then uses the engine's vector-tested verifiers. A wrong
 * encoding on the target side therefore fails here (422) as it would at WorkOS.
 */

export const PASSWORD_HASH_TYPES = ["bcrypt", "scrypt", "firebase-scrypt", "ssha", "pbkdf2", "argon2"] as const;
export type PasswordHashType = (typeof PASSWORD_HASH_TYPES)[number];

/** How a user's password is kept: the engine-readable hash plus where it came from. */
export interface StoredPassword {
  /** `password` = set in plain text through the API (hashed here); else the imported type. */
  source: PasswordHashType | "password";
  hash: StoredHash;
  /** For firebase-scrypt: which of the two documented layouts was sent (targets.md §3.3 CONFLICT). */
  variant?: "key-value" | "skill-doc";
}

export function isPasswordHashType(t: unknown): t is PasswordHashType {
  return typeof t === "string" && (PASSWORD_HASH_TYPES as readonly string[]).includes(t);
}

const B64 = "[A-Za-z0-9+/]+={0,2}";
const B64ANY = "[A-Za-z0-9+/.\\-_]+={0,2}";
const BCRYPT = /^\$2[aby]\$(0[4-9]|[12]\d|3[01])\$[./A-Za-z0-9]{53}$/;
const SCRYPT = new RegExp(`^\\$scrypt\\$ln=\\d{1,2},r=\\d{1,3},p=\\d{1,3}\\$${B64ANY}\\$${B64ANY}$`);
const SSHA = new RegExp(`^\\{SSHA\\}${B64}$`);
const PBKDF2 = new RegExp(`^\\$pbkdf2-(sha1|sha256|sha512)\\$i=\\d+,l=\\d+\\$${B64ANY}\\$${B64ANY}$`);
const ARGON2 = new RegExp(`^\\$argon2(id|i)\\$v=19\\$m=\\d+,t=\\d+,p=\\d+\\$${B64ANY}\\$${B64ANY}$`);
const FB_KEYS = new Set(["hash", "salt", "sk", "ss", "r", "m", "rounds", "mem_cost"]);

/**
 * `$firebase-scrypt$…` in either documented layout:
 *  - key-value (workos-migrations): `$firebase-scrypt$hash=…$salt=…$sk=…$ss=…$r=…$m=…`;
 *  - skill doc: `$firebase-scrypt$sk=…$ss=…$rounds=…$mem_cost=…$salt=…$<hash>`.
 */
function parseFirebase(value: string): StoredPassword | undefined {
  if (!value.startsWith("$firebase-scrypt$")) return undefined;
  const parts = value.slice("$firebase-scrypt$".length).split("$");
  const kv: Record<string, string> = {};
  let bare: string | undefined;
  for (const [i, part] of parts.entries()) {
    const eq = part.indexOf("=");
    const key = eq > 0 ? part.slice(0, eq) : "";
    if (FB_KEYS.has(key)) kv[key] = part.slice(eq + 1);
    else if (i === parts.length - 1 && bare === undefined) bare = part;
    else return undefined;
  }
  const hash = kv.hash ?? bare;
  const rounds = kv.r ?? kv.rounds;
  const mem = kv.m ?? kv.mem_cost;
  if (!hash || !kv.salt || !kv.sk || kv.ss === undefined || !rounds || !mem) return undefined;
  if (!/^\d+$/.test(rounds) || !/^\d+$/.test(mem)) return undefined;
  const b64 = new RegExp(`^${B64}$`);
  if (![hash, kv.salt, kv.sk].every((s) => b64.test(s)) || (kv.ss !== "" && !b64.test(kv.ss))) return undefined;
  return {
    source: "firebase-scrypt",
    variant: kv.hash !== undefined ? "key-value" : "skill-doc",
    hash: { format: "firebase-scrypt", value: hash, params: { salt: kv.salt, signer_key: kv.sk, salt_separator: kv.ss, rounds: Number(rounds), mem_cost: Number(mem) } },
  };
}

function shape(type: PasswordHashType, value: string): StoredPassword | undefined {
  switch (type) {
    case "bcrypt":
      return BCRYPT.test(value) ? { source: type, hash: { format: "bcrypt", value } } : undefined;
    case "scrypt":
      return SCRYPT.test(value) ? { source: type, hash: { format: "scrypt-phc", value } } : undefined;
    case "ssha":
      return SSHA.test(value) ? { source: type, hash: { format: "ldap-ssha", value } } : undefined;
    case "pbkdf2":
      return PBKDF2.test(value) ? { source: type, hash: { format: "pbkdf2-phc", value } } : undefined;
    case "argon2": {
      const m = ARGON2.exec(value);
      return m ? { source: type, hash: { format: `argon2${m[1]}`, value } } : undefined;
    }
    case "firebase-scrypt":
      return parseFirebase(value);
  }
}

/** Parses an imported hash; undefined when the string does not match its declared type. */
export function parseImportedHash(type: PasswordHashType, value: string): StoredPassword | undefined {
  if (typeof value !== "string" || value.length > 4096) return undefined;
  const stored = shape(type, value);
  if (!stored) return undefined;
  try {
    // The engine's parser checks lengths, decodings and parameter bounds (e.g. scrypt N ≥ 2).
    const r = resolveStored(stored.hash);
    r.format.parse(r.value, r.params);
    return stored;
  } catch {
    return undefined;
  }
}

/** A password set in plain text (create/update with `password`): bcrypt cost 4 — a simulator, not a vault. */
export async function hashPlain(password: string): Promise<StoredPassword> {
  return { source: "password", hash: { format: "bcrypt", value: await bcryptHash(password, 4) } };
}

export async function checkPassword(stored: StoredPassword, password: string): Promise<boolean> {
  try {
    return await verifyPassword(password, stored.hash, { pool: false });
  } catch {
    return false;
  }
}
