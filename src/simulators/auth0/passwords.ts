/**
 * Passwords of the Auth0 simulator: validation of `password_hash` / `custom_password_hash` as the
 * bulk-import schema documents them (targets.md §5.3), and sign-in verification through
 * authmigrate's hash engine (so an import the engine produced must verify with the engine's
 * independent parsers, not with the converter that wrote it).
 */
import { scrypt as scryptCb, timingSafeEqual } from "node:crypto";
import { promisify } from "node:util";
import { compare as bcryptCompare } from "@node-rs/bcrypt";
import { verifyPassword, type StoredHash } from "../../hashes/index.js";

const scrypt = promisify(scryptCb) as (pw: Buffer, salt: Buffer, keylen: number, opts: { N: number; r: number; p: number; maxmem: number }) => Promise<Buffer>;

export const ALGORITHMS = ["argon2", "bcrypt", "hmac", "ldap", "md4", "md5", "sha1", "sha256", "sha512", "pbkdf2", "scrypt"] as const;
export const ENCODINGS = ["base64", "hex", "utf8"] as const;
export const HMAC_DIGESTS = ["md4", "md5", "ripemd160", "sha1", "sha224", "sha256", "sha384", "sha512", "whirlpool"] as const;
export const PASSWORD_ENCODINGS = ["ascii", "utf8", "utf16le", "ucs2", "latin1", "binary"] as const;

/** `password_hash`: bcrypt `$2a$`/`$2b$` only (the docs' pattern; `$2y$` goes through custom_password_hash). */
export const BCRYPT_PASSWORD_HASH = /^\$2[ab]\$\d{2}\$[./A-Za-z0-9]{53}$/;
const BCRYPT_CUSTOM = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/;
const PBKDF2_PHC = /^\$pbkdf2-(sha1|sha224|sha256|sha384|sha512)\$i=\d+,l=\d+\$[A-Za-z0-9+/]*\$[A-Za-z0-9+/]+$/;
const LDAP_SCHEMES = ["MD5", "SMD5", "SHA", "SSHA", "SHA256", "SSHA256", "SHA384", "SSHA384", "SHA512", "SSHA512"];

export interface FieldError {
  code: string;
  message: string;
  path: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === "object" && !Array.isArray(v);

function decode(value: string, encoding: string): Buffer | undefined {
  if (encoding === "hex") return /^([0-9a-fA-F]{2})*$/.test(value) ? Buffer.from(value, "hex") : undefined;
  if (encoding === "base64") return /^[A-Za-z0-9+/]*={0,2}$/.test(value) ? Buffer.from(value, "base64") : undefined;
  return Buffer.from(value, "utf8");
}

function checkEncoded(o: unknown, path: string, errors: FieldError[], required = true): void {
  if (o === undefined && !required) return;
  if (!isObj(o)) return void errors.push({ code: "INVALID_TYPE", message: `Expected type object but found type ${o === null ? "null" : typeof o}`, path });
  if (typeof o.value !== "string") errors.push({ code: "OBJECT_REQUIRED", message: "Missing required property: value", path: `${path}.value` });
  const enc = o.encoding ?? "utf8";
  if (!ENCODINGS.includes(enc as never)) errors.push({ code: "ENUM_MISMATCH", message: `No enum match for: ${String(enc)}`, path: `${path}.encoding` });
  else if (typeof o.value === "string" && !decode(o.value, enc as string)) errors.push({ code: "FORMAT", message: `value is not valid ${String(enc)}`, path: `${path}.value` });
}

/** Validation errors of one `custom_password_hash` object (empty = valid). */
export function validateCustomHash(c: unknown): FieldError[] {
  const p = "custom_password_hash";
  const errors: FieldError[] = [];
  if (!isObj(c)) return [{ code: "INVALID_TYPE", message: "Expected type object", path: p }];
  if (!ALGORITHMS.includes(c.algorithm as never)) errors.push({ code: "ENUM_MISMATCH", message: `No enum match for: ${String(c.algorithm)}`, path: `${p}.algorithm` });
  checkEncoded(c.hash, `${p}.hash`, errors);
  checkEncoded(c.salt, `${p}.salt`, errors, false);
  if (isObj(c.salt) && c.salt.position !== undefined && !["prefix", "suffix"].includes(c.salt.position as string))
    errors.push({ code: "ENUM_MISMATCH", message: `No enum match for: ${String(c.salt.position)}`, path: `${p}.salt.position` });
  if (c.password !== undefined && (!isObj(c.password) || !PASSWORD_ENCODINGS.includes((c.password.encoding ?? "utf8") as never)))
    errors.push({ code: "ENUM_MISMATCH", message: "password.encoding is not one of the allowed encodings", path: `${p}.password.encoding` });
  if (errors.length) return errors;
  const hash = c.hash as Obj;
  const value = hash.value as string;
  const enc = (hash.encoding ?? "utf8") as string;
  const utf8Only = (alg: string) => enc !== "utf8" && errors.push({ code: "ENUM_MISMATCH", message: `${alg} hashes must use the utf8 encoding`, path: `${p}.hash.encoding` });
  switch (c.algorithm) {
    case "bcrypt":
      utf8Only("bcrypt");
      if (!BCRYPT_CUSTOM.test(value)) errors.push({ code: "PATTERN", message: "hash.value is not a bcrypt hash", path: `${p}.hash.value` });
      break;
    case "argon2":
      utf8Only("argon2");
      if (!/^\$argon2(id|i|d)\$/.test(value)) errors.push({ code: "PATTERN", message: "hash.value is not an argon2 PHC string", path: `${p}.hash.value` });
      break;
    case "pbkdf2":
      utf8Only("pbkdf2");
      if (!PBKDF2_PHC.test(value)) errors.push({ code: "PATTERN", message: "hash.value is not a $pbkdf2-<digest>$i=…,l=…$salt$hash PHC string", path: `${p}.hash.value` });
      break;
    case "ldap": {
      utf8Only("ldap");
      const m = /^\{([A-Z0-9]+)\}/.exec(value);
      if (!m || !LDAP_SCHEMES.includes(m[1]!)) errors.push({ code: "PATTERN", message: "hash.value is not an RFC 2307 {SCHEME} hash ({CRYPT} is not supported)", path: `${p}.hash.value` });
      break;
    }
    case "hmac":
      if (!HMAC_DIGESTS.includes(hash.digest as never)) errors.push({ code: "ENUM_MISMATCH", message: `No enum match for: ${String(hash.digest)}`, path: `${p}.hash.digest` });
      checkEncoded(hash.key, `${p}.hash.key`, errors);
      break;
    case "scrypt":
      if (!isObj(c.salt)) errors.push({ code: "OBJECT_REQUIRED", message: "Missing required property: salt", path: `${p}.salt` });
      if (typeof c.keylen !== "number") errors.push({ code: "OBJECT_REQUIRED", message: "Missing required property: keylen", path: `${p}.keylen` });
      break;
    default:
      if (enc === "utf8") errors.push({ code: "ENUM_MISMATCH", message: `${String(c.algorithm)} hashes must be hex or base64`, path: `${p}.hash.encoding` });
  }
  return errors;
}

/** The engine's view of a custom hash, or undefined when the simulator cannot verify it (then sign-in fails). */
export function storedOf(c: Obj): { stored: StoredHash; utf16?: boolean } | { scrypt: { salt: Buffer; hash: Buffer; N: number; r: number; p: number; prefix: boolean } } | undefined {
  const hash = c.hash as Obj;
  const value = hash.value as string;
  const enc = (hash.encoding ?? "utf8") as string;
  const pwEnc = ((c.password as Obj | undefined)?.encoding ?? "utf8") as string;
  const salt = isObj(c.salt) ? decode(c.salt.value as string, (c.salt.encoding ?? "utf8") as string) : undefined;
  const position = isObj(c.salt) ? ((c.salt.position ?? "prefix") as string) : "prefix";
  switch (c.algorithm) {
    case "bcrypt":
      return { stored: { format: "bcrypt", value } };
    case "argon2":
    case "pbkdf2":
    case "ldap":
      return { stored: { format: "auto", value } };
    case "md4":
      return pwEnc === "utf16le" || pwEnc === "ucs2" ? { stored: { format: "nthash", value: decode(value, enc)!.toString("hex") } } : undefined;
    case "md5":
    case "sha1":
    case "sha256":
    case "sha512": {
      if (!["utf8", "ascii"].includes(pwEnc)) return undefined;
      const hex = decode(value, enc)!.toString("hex");
      if (!salt?.length) return { stored: { format: `${c.algorithm}-raw`, value: hex } };
      const order = position === "suffix" ? "password-salt" : "salt-password";
      return { stored: { format: `${c.algorithm}-salted-${order}`, value: hex, params: { salt: salt.toString("base64"), salt_encoding: "base64" } } };
    }
    case "hmac": {
      const key = hash.key as Obj;
      if (salt?.length || !["md5", "sha1", "sha256", "sha512"].includes(hash.digest as string)) return undefined;
      const k = decode(key.value as string, (key.encoding ?? "utf8") as string)!;
      return { stored: { format: `hmac-${hash.digest as string}`, value: decode(value, enc)!.toString("hex"), params: { key: k.toString("base64"), key_encoding: "base64" } } };
    }
    case "scrypt":
      return {
        scrypt: {
          salt: salt ?? Buffer.alloc(0),
          hash: decode(value, enc)!,
          N: typeof c.cost === "number" ? c.cost : 16384,
          r: typeof c.blockSize === "number" ? c.blockSize : 8,
          p: typeof c.parallelization === "number" ? c.parallelization : 1,
          prefix: position !== "suffix",
        },
      };
    default:
      return undefined;
  }
}

/** Does `password` match the stored import value? */
export async function checkPassword(stored: { bcrypt?: string; custom?: Obj }, password: string): Promise<boolean> {
  try {
    if (stored.bcrypt) return await bcryptCompare(password, stored.bcrypt);
    if (!stored.custom) return false;
    const s = storedOf(stored.custom);
    if (!s) return false;
    if ("scrypt" in s) {
      const { salt, hash, N, r, p } = s.scrypt;
      const out = await scrypt(Buffer.from(password, "utf8"), salt, hash.length, { N, r, p, maxmem: 256 * 1024 * 1024 });
      return out.length === hash.length && timingSafeEqual(out, hash);
    }
    return await verifyPassword(password, s.stored, { pool: false });
  } catch {
    return false;
  }
}
