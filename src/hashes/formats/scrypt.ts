import { createCipheriv, scryptSync } from "node:crypto";
import { defineFormat } from "../format.js";
import {
  LIMITS,
  ab64decode,
  b64decode,
  b64nopad,
  checkLimit,
  ctEqual,
  hexdecode,
  limitError,
  paramError,
  paramNumber,
  paramString,
  parseError,
  utf8,
} from "../util.js";

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

export interface ScryptParsed extends ScryptParams {
  salt: Buffer;
  hash: Buffer;
}

const MAX_SCRYPT_BYTES = 1024 * 1024 * 1024; // 1 GiB, same ceiling as argon2

export function checkScrypt(format: string, s: ScryptParams): void {
  checkLimit(format, "scrypt N", s.N, LIMITS.scryptN);
  checkLimit(format, "scrypt r", s.r, LIMITS.scryptR);
  checkLimit(format, "scrypt p", s.p, LIMITS.scryptP);
  if (s.N < 2 || (s.N & (s.N - 1)) !== 0) throw parseError(format, "scrypt N must be a power of two >= 2");
  if (s.r < 1 || s.p < 1) throw parseError(format, "scrypt r and p must be >= 1");
  const mem = 128 * s.N * s.r;
  if (mem > MAX_SCRYPT_BYTES) throw limitError(format, "scrypt memory (bytes)", mem, MAX_SCRYPT_BYTES);
}

/** Node's scrypt with enough maxmem for the parameters (default maxmem is 32 MiB). */
export function scryptRaw(password: Uint8Array, salt: Uint8Array, s: ScryptParams, keyLen: number): Buffer {
  const maxmem = 128 * s.N * s.r + 128 * s.r * s.p + 32 * 1024 * 1024;
  return scryptSync(password, salt, keyLen, { N: s.N, r: s.r, p: s.p, maxmem });
}

function kv(format: string, s: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of s.split(",")) {
    const i = part.indexOf("=");
    if (i <= 0) throw parseError(format, "bad parameter list");
    out.set(part.slice(0, i), part.slice(i + 1));
  }
  return out;
}
function kvNum(format: string, m: Map<string, string>, k: string): number {
  const s = m.get(k);
  if (s === undefined || !/^\d{1,12}$/.test(s)) throw parseError(format, `parameter ${k} missing or not a number`);
  return Number(s);
}

const SCRYPT_PHC = /^\$scrypt\$(ln=\d+,r=\d+,p=\d+)\$([A-Za-z0-9+/.]*={0,2})\$([A-Za-z0-9+/.]+={0,2})$/;

function lnOf(v: string): { ln: number; padded: boolean } | undefined {
  const m = SCRYPT_PHC.exec(v);
  if (!m) return undefined;
  const ln = Number(/ln=(\d+)/.exec(m[1]!)![1]);
  return { ln, padded: v.includes("=$") || v.endsWith("=") };
}

function decodeB64Loose(s: string): Buffer | undefined {
  return s.includes(".") ? ab64decode(s.replace(/=+$/, "")) : b64decode(s);
}

/** PHC / passlib `$scrypt$ln=<log2 N>,r=…,p=…$salt$hash` (std base64 unpadded; passlib's '.' alphabet accepted). */
export const scryptPhc = defineFormat<ScryptParsed>({
  id: "scrypt-phc",
  family: "scrypt",
  title: "scrypt PHC / passlib ($scrypt$ln=<log2 N>,r=,p=$salt$hash)",
  identify: (v) => {
    const x = lnOf(v);
    if (!x || x.ln > 63) return 0;
    return x.padded ? 0.8 : 1;
  },
  parse: (v) => {
    const m = SCRYPT_PHC.exec(v);
    if (!m) throw parseError("scrypt-phc", "expected $scrypt$ln=<n>,r=<n>,p=<n>$<salt>$<hash>");
    const params = kv("scrypt-phc", m[1]!);
    const ln = kvNum("scrypt-phc", params, "ln");
    if (ln > 63) throw parseError("scrypt-phc", "ln above 63 is a literal N (scrypt-kratos), not log2(N)");
    if (ln > 20) throw limitError("scrypt-phc", "scrypt N", 2 ** ln, LIMITS.scryptN);
    const s = { N: 2 ** ln, r: kvNum("scrypt-phc", params, "r"), p: kvNum("scrypt-phc", params, "p") };
    checkScrypt("scrypt-phc", s);
    const salt = decodeB64Loose(m[2]!);
    const hash = decodeB64Loose(m[3]!);
    if (!salt || !hash || hash.length < 8) throw parseError("scrypt-phc", "salt/hash are not valid base64");
    return { ...s, salt, hash };
  },
  verify: async (pw, p) => ctEqual(scryptRaw(utf8(pw), p.salt, p, p.hash.length), p.hash),
  heavy: true,
});

/** Ory Kratos `$scrypt$ln=<N itself>,r=,p=$<padded b64 salt>$<padded b64 hash>`. */
export const scryptKratos = defineFormat<ScryptParsed>({
  id: "scrypt-kratos",
  family: "scrypt",
  title: "Ory Kratos scrypt ($scrypt$ln=<N>, literal N, padded base64)",
  identify: (v) => {
    const x = lnOf(v);
    if (!x) return 0;
    if (x.ln > 63) return 1;
    return x.padded ? 0.3 : 0;
  },
  parse: (v) => {
    const m = SCRYPT_PHC.exec(v);
    if (!m) throw parseError("scrypt-kratos", "expected $scrypt$ln=<N>,r=<n>,p=<n>$<salt>$<hash>");
    const params = kv("scrypt-kratos", m[1]!);
    const s = { N: kvNum("scrypt-kratos", params, "ln"), r: kvNum("scrypt-kratos", params, "r"), p: kvNum("scrypt-kratos", params, "p") };
    checkScrypt("scrypt-kratos", s);
    const salt = b64decode(m[2]!);
    const hash = b64decode(m[3]!);
    if (!salt || !hash || hash.length < 8) throw parseError("scrypt-kratos", "salt/hash are not valid base64");
    return { ...s, salt, hash };
  },
  verify: async (pw, p) => ctEqual(scryptRaw(utf8(pw), p.salt, p, p.hash.length), p.hash),
  heavy: true,
});

/** Django ScryptPasswordHasher: `scrypt$<N>$<salt string>$<r>$<p>$<b64 key>`. */
const DJANGO_SCRYPT = /^scrypt\$(\d+)\$([^$]*)\$(\d+)\$(\d+)\$([A-Za-z0-9+/]+={0,2})$/;
export const djangoScrypt = defineFormat<ScryptParsed>({
  id: "django-scrypt",
  family: "scrypt",
  title: "Django ScryptPasswordHasher (scrypt$N$salt$r$p$b64)",
  identify: (v) => (DJANGO_SCRYPT.test(v) ? 1 : 0),
  parse: (v) => {
    const m = DJANGO_SCRYPT.exec(v);
    if (!m) throw parseError("django-scrypt", "expected scrypt$<N>$<salt>$<r>$<p>$<base64 key>");
    const s = { N: Number(m[1]), r: Number(m[3]), p: Number(m[4]) };
    checkScrypt("django-scrypt", s);
    const hash = b64decode(m[5]!);
    if (!hash || hash.length < 8) throw parseError("django-scrypt", "key is not valid base64");
    return { ...s, salt: utf8(m[2]!), hash };
  },
  verify: async (pw, p) => ctEqual(scryptRaw(utf8(pw), p.salt, p, p.hash.length), p.hash),
  heavy: true,
});

/** Werkzeug `scrypt:N:r:p$salt$hex` (salt used as its UTF-8 string). */
const WERKZEUG_SCRYPT = /^scrypt:(\d+):(\d+):(\d+)\$([^$]*)\$([0-9a-fA-F]+)$/;
export const werkzeugScrypt = defineFormat<ScryptParsed>({
  id: "werkzeug-scrypt",
  family: "scrypt",
  title: "Werkzeug/Flask scrypt (scrypt:N:r:p$salt$hex)",
  identify: (v) => (WERKZEUG_SCRYPT.test(v) ? 1 : 0),
  parse: (v) => {
    const m = WERKZEUG_SCRYPT.exec(v);
    if (!m) throw parseError("werkzeug-scrypt", "expected scrypt:<N>:<r>:<p>$<salt>$<hex>");
    const s = { N: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
    checkScrypt("werkzeug-scrypt", s);
    const hash = hexdecode(m[5]!);
    if (!hash || hash.length < 8) throw parseError("werkzeug-scrypt", "hash is not valid hex");
    return { ...s, salt: utf8(m[4]!), hash };
  },
  verify: async (pw, p) => ctEqual(scryptRaw(utf8(pw), p.salt, p, p.hash.length), p.hash),
  heavy: true,
});

/**
 * better-auth default: `<saltHex>:<keyHex>`; scrypt(NFKC(password), salt = the hex STRING,
 * N=16384, r=16, p=1, dkLen=64).
 */
const BETTER_AUTH = /^([0-9a-f]{32}):([0-9a-f]{128})$/;
export const betterAuthScrypt = defineFormat<ScryptParsed>({
  id: "better-auth-scrypt",
  family: "scrypt",
  title: "better-auth default scrypt (saltHex:keyHex, N=16384 r=16 p=1, NFKC password)",
  identify: (v) => (BETTER_AUTH.test(v) ? 1 : 0),
  parse: (v) => {
    const m = BETTER_AUTH.exec(v);
    if (!m) throw parseError("better-auth-scrypt", "expected <32 hex salt>:<128 hex key>");
    return { N: 16384, r: 16, p: 1, salt: utf8(m[1]!), hash: Buffer.from(m[2]!, "hex") };
  },
  verify: async (pw, p) => ctEqual(scryptRaw(utf8(pw.normalize("NFKC")), p.salt, p, 64), p.hash),
  heavy: true,
});

export function betterAuthEncode(salt: Uint8Array, key: Uint8Array): string {
  return `${Buffer.from(salt).toString("hex")}:${Buffer.from(key).toString("hex")}`;
}

// ---------------------------------------------------------------- Firebase modified scrypt

export interface FirebaseScrypt {
  salt: Buffer;
  saltSeparator: Buffer;
  signerKey: Buffer;
  rounds: number;
  memCost: number;
  p: number;
  hash: Buffer;
}

export function firebaseVerify(password: string, f: FirebaseScrypt): boolean {
  const derived = scryptRaw(utf8(password), Buffer.concat([f.salt, f.saltSeparator]), { N: 2 ** f.memCost, r: f.rounds, p: f.p }, 64);
  const cipher = createCipheriv("aes-256-ctr", derived.subarray(0, 32), Buffer.alloc(16, 0));
  const out = Buffer.concat([cipher.update(f.signerKey), cipher.final()]);
  return ctEqual(out, f.hash);
}

function checkFirebase(format: string, f: FirebaseScrypt): FirebaseScrypt {
  if (!Number.isInteger(f.memCost) || f.memCost < 1 || f.memCost > 20) {
    if (f.memCost > 20) throw limitError(format, "scrypt N", 2 ** f.memCost, LIMITS.scryptN);
    throw parseError(format, "mem_cost must be an integer 1..20");
  }
  checkScrypt(format, { N: 2 ** f.memCost, r: f.rounds, p: f.p });
  if (f.signerKey.length === 0) throw parseError(format, "signer key is empty");
  if (f.hash.length === 0) throw parseError(format, "hash is empty");
  return f;
}

function b64param(format: string, params: Record<string, unknown>, keys: string[], required: boolean): Buffer | undefined {
  for (const k of keys) {
    const s = paramString(params, k);
    if (s !== undefined) {
      const b = b64decode(s);
      if (!b) throw parseError(format, `params.${k} is not valid base64`);
      return b;
    }
  }
  if (required) throw paramError(format, keys[0]!);
  return undefined;
}

/** Firebase Auth export: base64 hash + project hash config (signer key, salt separator, rounds, mem_cost) + per-user salt. */
export const firebaseScrypt = defineFormat<FirebaseScrypt>({
  id: "firebase-scrypt",
  family: "scrypt",
  title: "Firebase modified scrypt (hash + salt; project signer_key, salt_separator, rounds, mem_cost)",
  needs: ["salt", "signer_key", "salt_separator", "rounds", "mem_cost"],
  // A bare base64 string: only a guess (it needs the project's params anyway).
  identify: (v) => (/^[A-Za-z0-9+/]{86}==$/.test(v) ? 0.3 : 0),
  parse: (v, params) => {
    const hash = b64decode(v);
    if (!hash || hash.length < 16) throw parseError("firebase-scrypt", "hash must be standard base64");
    const f: FirebaseScrypt = {
      hash,
      salt: b64param("firebase-scrypt", params, ["salt", "passwordSalt"], true)!,
      saltSeparator: b64param("firebase-scrypt", params, ["salt_separator", "saltSeparator"], false) ?? Buffer.alloc(0),
      signerKey: b64param("firebase-scrypt", params, ["signer_key", "signerKey", "base64_signer_key"], true)!,
      rounds: paramNumber(params, "rounds") ?? NaN,
      memCost: paramNumber(params, "mem_cost") ?? paramNumber(params, "memCost") ?? paramNumber(params, "memoryCost") ?? NaN,
      p: 1,
    };
    if (!Number.isInteger(f.rounds) || f.rounds < 1) throw paramError("firebase-scrypt", "rounds");
    if (!Number.isFinite(f.memCost)) throw paramError("firebase-scrypt", "mem_cost");
    return checkFirebase("firebase-scrypt", f);
  },
  verify: async (pw, f) => firebaseVerify(pw, f),
  heavy: true,
});

/** Kratos: `$firescrypt$ln=<mem_cost>,r=<rounds>,p=<p>$<salt>$<hash>$<salt_separator>$<signer_key>`. */
const FIRESCRYPT = /^\$firescrypt\$(ln=\d+,r=\d+,p=\d+)\$([A-Za-z0-9+/=]*)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]*)\$([A-Za-z0-9+/=]+)$/;
export const firebaseScryptKratos = defineFormat<FirebaseScrypt>({
  id: "firebase-scrypt-kratos",
  family: "scrypt",
  title: "Ory Kratos $firescrypt$ (Firebase scrypt with params inline)",
  identify: (v) => (FIRESCRYPT.test(v) ? 1 : 0),
  parse: (v) => {
    const m = FIRESCRYPT.exec(v);
    if (!m) throw parseError("firebase-scrypt-kratos", "expected $firescrypt$ln=,r=,p=$salt$hash$separator$signer_key");
    const params = kv("firebase-scrypt-kratos", m[1]!);
    const dec = (s: string, what: string): Buffer => {
      const b = b64decode(s);
      if (!b) throw parseError("firebase-scrypt-kratos", `${what} is not valid base64`);
      return b;
    };
    return checkFirebase("firebase-scrypt-kratos", {
      memCost: kvNum("firebase-scrypt-kratos", params, "ln"),
      rounds: kvNum("firebase-scrypt-kratos", params, "r"),
      p: kvNum("firebase-scrypt-kratos", params, "p"),
      salt: dec(m[2]!, "salt"),
      hash: dec(m[3]!, "hash"),
      saltSeparator: dec(m[4]!, "salt separator"),
      signerKey: dec(m[5]!, "signer key"),
    });
  },
  verify: async (pw, f) => firebaseVerify(pw, f),
  heavy: true,
});

/** Supabase: `$fbscrypt$v=1,n=<mem_cost>,r=<rounds>,p=<p>[,ss=<b64 sep>][,sk=<b64 signer>]$<b64 salt>$<b64 hash>`. */
const FBSCRYPT = /^\$fbscrypt\$(v=1(?:,[a-z]+=[A-Za-z0-9+/=]*)+)\$([A-Za-z0-9+/=]*)\$([A-Za-z0-9+/=]+)$/;
export const firebaseScryptSupabase = defineFormat<FirebaseScrypt>({
  id: "firebase-scrypt-supabase",
  family: "scrypt",
  title: "Supabase $fbscrypt$ (Firebase scrypt with params inline)",
  identify: (v) => (FBSCRYPT.test(v) ? 1 : 0),
  parse: (v) => {
    const m = FBSCRYPT.exec(v);
    if (!m) throw parseError("firebase-scrypt-supabase", "expected $fbscrypt$v=1,n=,r=,p=[,ss=][,sk=]$salt$hash");
    const params = kv("firebase-scrypt-supabase", m[1]!);
    const dec = (s: string | undefined, what: string): Buffer => {
      const b = b64decode(s ?? "");
      if (!b) throw parseError("firebase-scrypt-supabase", `${what} is not valid base64`);
      return b;
    };
    return checkFirebase("firebase-scrypt-supabase", {
      memCost: kvNum("firebase-scrypt-supabase", params, "n"),
      rounds: kvNum("firebase-scrypt-supabase", params, "r"),
      p: kvNum("firebase-scrypt-supabase", params, "p"),
      saltSeparator: dec(params.get("ss"), "ss"),
      signerKey: dec(params.get("sk"), "sk"),
      salt: dec(m[2]!, "salt"),
      hash: dec(m[3]!, "hash"),
    });
  },
  verify: async (pw, f) => firebaseVerify(pw, f),
  heavy: true,
});

export function encodeFirescryptKratos(f: FirebaseScrypt): string {
  const b = (x: Buffer) => x.toString("base64");
  return `$firescrypt$ln=${f.memCost},r=${f.rounds},p=${f.p}$${b(f.salt)}$${b(f.hash)}$${b(f.saltSeparator)}$${b(f.signerKey)}`;
}
export function encodeFbscryptSupabase(f: FirebaseScrypt): string {
  const b = (x: Buffer) => x.toString("base64");
  return `$fbscrypt$v=1,n=${f.memCost},r=${f.rounds},p=${f.p},ss=${b(f.saltSeparator)},sk=${b(f.signerKey)}$${b(f.salt)}$${b(f.hash)}`;
}
export function encodeScryptPhc(s: ScryptParsed): string {
  return `$scrypt$ln=${Math.log2(s.N)},r=${s.r},p=${s.p}$${b64nopad(s.salt)}$${b64nopad(s.hash)}`;
}
export function encodeScryptKratos(s: ScryptParsed): string {
  return `$scrypt$ln=${s.N},r=${s.r},p=${s.p}$${s.salt.toString("base64")}$${s.hash.toString("base64")}`;
}
