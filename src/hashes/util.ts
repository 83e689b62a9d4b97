import { createHash, createHmac, pbkdf2 as pbkdf2Cb, timingSafeEqual } from "node:crypto";
import { promisify } from "node:util";
import { AuthmigrateError } from "../errors.js";

const pbkdf2Async = promisify(pbkdf2Cb);

/** Hard ceilings: a hostile hash string must not be able to stall a server. */
export const LIMITS = {
  bcryptCost: 20,
  argon2MemoryKiB: 1024 * 1024, // 1 GiB
  argon2Time: 1_000,
  argon2Parallelism: 64,
  pbkdf2Iterations: 10_000_000,
  scryptN: 2 ** 20,
  scryptR: 64,
  scryptP: 64,
  cryptRounds: 10_000_000,
  /** Passwords longer than this are rejected before hashing (DoS on digest-per-round formats). */
  passwordBytes: 4096,
} as const;

/** Error for a value that claims to be `format` but cannot be parsed. Never echoes the value. */
export function parseError(format: string, what: string): AuthmigrateError {
  return new AuthmigrateError("HASH_PARSE_ERROR", `Malformed ${format} hash: ${what}`, {
    hint: "Check that the stored value is complete and that --format / hashes.assume names the right format.",
    meta: { format },
  });
}

export function limitError(format: string, what: string, value: number, max: number): AuthmigrateError {
  return new AuthmigrateError(
    "HASH_PARAMS_TOO_EXPENSIVE",
    `${format} hash asks for ${what} ${value}, above the safety ceiling ${max}`,
    { hint: "Such parameters are not produced by real systems; the value is corrupt or hostile.", meta: { format, param: what, value, max } },
  );
}

export function checkLimit(format: string, what: string, value: number, max: number): void {
  if (!Number.isFinite(value) || value > max) throw limitError(format, what, value, max);
}

export function paramError(format: string, what: string): AuthmigrateError {
  return new AuthmigrateError("HASH_PARSE_ERROR", `${format} hash needs params: ${what}`, {
    hint: "Pass the missing inputs with --params '{…}' or the source's hash params mapping.",
    meta: { format },
  });
}

export const utf8 = (s: string): Buffer => Buffer.from(s, "utf8");

/** Constant-time equality; false (not an exception) on different lengths. */
export function ctEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) {
    // Still spend comparable time so length differences do not stand out.
    timingSafeEqual(a, a);
    return false;
  }
  return timingSafeEqual(a, b);
}

export function ctEqualStr(a: string, b: string): boolean {
  return ctEqual(utf8(a), utf8(b));
}

/** Strict standard/URL base64 decode (padding optional). Returns undefined for invalid input. */
export function b64decode(s: string, opts: { alphabet?: "std" | "url" | "any"; padding?: "optional" | "required" | "forbidden" } = {}): Buffer | undefined {
  const alphabet = opts.alphabet ?? "std";
  const padding = opts.padding ?? "optional";
  const re =
    alphabet === "std" ? /^[A-Za-z0-9+/]*={0,2}$/ : alphabet === "url" ? /^[A-Za-z0-9_-]*={0,2}$/ : /^[A-Za-z0-9+/_-]*={0,2}$/;
  if (!re.test(s)) return undefined;
  const body = s.replace(/=+$/, "");
  const padLen = s.length - body.length;
  if (body.length % 4 === 1) return undefined;
  if (padding === "required" && s.length % 4 !== 0) return undefined;
  if (padding === "forbidden" && padLen > 0) return undefined;
  if (padLen > 0 && s.length % 4 !== 0) return undefined;
  return Buffer.from(body.replace(/-/g, "+").replace(/_/g, "/"), "base64");
}

/** passlib "adapted base64": standard alphabet with '.' instead of '+', no padding. */
export function ab64decode(s: string): Buffer | undefined {
  if (!/^[A-Za-z0-9./]*$/.test(s)) return undefined;
  return b64decode(s.replace(/\./g, "+"), { padding: "forbidden" });
}
export function ab64encode(b: Uint8Array): string {
  return Buffer.from(b).toString("base64").replace(/=+$/, "").replace(/\+/g, ".");
}
export function b64nopad(b: Uint8Array): string {
  return Buffer.from(b).toString("base64").replace(/=+$/, "");
}

export function hexdecode(s: string): Buffer | undefined {
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(s)) return undefined;
  return Buffer.from(s, "hex");
}

export type DigestName = "md5" | "sha1" | "sha224" | "sha256" | "sha384" | "sha512";
export const DIGEST_LEN: Record<DigestName, number> = { md5: 16, sha1: 20, sha224: 28, sha256: 32, sha384: 48, sha512: 64 };

export function digest(alg: DigestName, ...parts: (Uint8Array | string)[]): Buffer {
  const h = createHash(alg);
  for (const p of parts) h.update(typeof p === "string" ? utf8(p) : p);
  return h.digest();
}

export function hmac(alg: DigestName, key: Uint8Array | string, ...parts: (Uint8Array | string)[]): Buffer {
  const h = createHmac(alg, typeof key === "string" ? utf8(key) : key);
  for (const p of parts) h.update(typeof p === "string" ? utf8(p) : p);
  return h.digest();
}

export async function pbkdf2(
  format: string,
  alg: DigestName,
  password: Uint8Array | string,
  salt: Uint8Array | string,
  iterations: number,
  keyLen: number,
): Promise<Buffer> {
  checkLimit(format, "iterations", iterations, LIMITS.pbkdf2Iterations);
  if (!Number.isInteger(iterations) || iterations < 1) throw parseError(format, "iterations must be a positive integer");
  if (keyLen < 1 || keyLen > 1024) throw parseError(format, "derived key length out of range");
  return pbkdf2Async(typeof password === "string" ? utf8(password) : password, typeof salt === "string" ? utf8(salt) : salt, iterations, keyLen, alg);
}

export function toInt(format: string, what: string, s: string | undefined): number {
  if (s === undefined || !/^\d{1,12}$/.test(s)) throw parseError(format, `${what} is not a number`);
  return Number(s);
}

export function paramString(params: Record<string, unknown>, key: string): string | undefined {
  const v = params[key];
  if (typeof v === "string") return v;
  if (typeof v === "number" && Number.isFinite(v)) return String(v);
  return undefined;
}

export function paramNumber(params: Record<string, unknown>, key: string): number | undefined {
  const v = params[key];
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "string" && /^\d+$/.test(v)) return Number(v);
  return undefined;
}
