import { hashRawSync } from "@node-rs/argon2";
import { defineFormat } from "../format.js";
import { LIMITS, b64decode, b64nopad, checkLimit, ctEqual, parseError, utf8 } from "../util.js";

export type Argon2Type = "argon2d" | "argon2i" | "argon2id";

export interface Argon2Parsed {
  type: Argon2Type;
  /** 0x10 (Argon2 1.0) or 0x13 (1.3). A PHC string without `v=` is 1.0. */
  version: 0x10 | 0x13;
  m: number;
  t: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

// Values of @node-rs/argon2's const enums (ambient const enums cannot be imported under isolatedModules).
const ALG = { argon2d: 0, argon2i: 1, argon2id: 2 } as const;
const VER = { 0x10: 0, 0x13: 1 } as const;

const PHC = /^\$(argon2(?:id|i|d))\$(?:v=(\d+)\$)?((?:[a-z]+=[^,$]*)(?:,[a-z]+=[^,$]*)*)\$([A-Za-z0-9+/]*={0,2})\$([A-Za-z0-9+/]+={0,2})$/;

export function isArgon2Phc(v: string): boolean {
  return PHC.test(v);
}

export function parseArgon2(format: string, value: string, expected?: Argon2Type): Argon2Parsed {
  const mm = PHC.exec(value);
  if (!mm) throw parseError(format, "expected $argon2<type>$v=<n>$m=<kib>,t=<n>,p=<n>$<b64 salt>$<b64 hash>");
  const type = mm[1] as Argon2Type;
  if (expected && type !== expected) throw parseError(format, `expected ${expected}, found another argon2 variant`);
  const version = mm[2] === undefined ? 0x10 : Number(mm[2]);
  if (version !== 0x10 && version !== 0x13) throw parseError(format, "argon2 version must be 16 or 19");
  const kv = new Map<string, string>();
  for (const part of mm[3]!.split(",")) {
    const i = part.indexOf("=");
    kv.set(part.slice(0, i), part.slice(i + 1));
  }
  if (kv.has("data") || kv.has("keyid")) throw parseError(format, "argon2 keyid/data (associated data) parameters are not supported");
  const num = (k: string): number => {
    const s = kv.get(k);
    if (s === undefined || !/^\d{1,10}$/.test(s)) throw parseError(format, `argon2 parameter ${k} missing or not a number`);
    return Number(s);
  };
  const m = num("m");
  const t = num("t");
  const p = num("p");
  checkLimit(format, "argon2 memory (KiB)", m, LIMITS.argon2MemoryKiB);
  checkLimit(format, "argon2 iterations", t, LIMITS.argon2Time);
  checkLimit(format, "argon2 parallelism", p, LIMITS.argon2Parallelism);
  if (t < 1 || p < 1 || m < 8 * p) throw parseError(format, "argon2 parameters out of range (t>=1, p>=1, m>=8p)");
  const salt = b64decode(mm[4]!);
  const hash = b64decode(mm[5]!);
  if (!salt || salt.length < 8) throw parseError(format, "argon2 salt must be base64 of at least 8 bytes");
  if (!hash || hash.length < 4) throw parseError(format, "argon2 hash must be base64 of at least 4 bytes");
  return { type, version: version as 0x10 | 0x13, m, t, p, salt, hash };
}

export function argon2Raw(password: Uint8Array, p: Omit<Argon2Parsed, "hash">, outputLen: number): Buffer {
  return hashRawSync(Buffer.from(password), {
    // The enums are `const enum`s in the d.ts; pass their numeric values.
    algorithm: ALG[p.type] as never,
    version: VER[p.version] as never,
    memoryCost: p.m,
    timeCost: p.t,
    parallelism: p.p,
    outputLen,
    salt: p.salt,
  });
}

export function argon2Verify(password: string, p: Argon2Parsed): boolean {
  return ctEqual(argon2Raw(utf8(password), p, p.hash.length), p.hash);
}

export function encodeArgon2(p: Argon2Parsed, opts: { omitVersion?: boolean } = {}): string {
  const v = opts.omitVersion && p.version === 0x10 ? "" : `v=${p.version}$`;
  return `$${p.type}$${v}m=${p.m},t=${p.t},p=${p.p}$${b64nopad(p.salt)}$${b64nopad(p.hash)}`;
}

function phcFormat(type: Argon2Type, title: string) {
  return defineFormat<Argon2Parsed>({
    id: type,
    family: "argon2",
    title,
    identify: (v) => {
      const m = PHC.exec(v);
      return m && m[1] === type ? 1 : 0;
    },
    parse: (v) => parseArgon2(type, v, type),
    verify: async (pw, p) => argon2Verify(pw, p),
    heavy: true,
  });
}

export const argon2id = phcFormat("argon2id", "Argon2id PHC string ($argon2id$v=19$m=…,t=…,p=…$salt$hash)");
export const argon2i = phcFormat("argon2i", "Argon2i PHC string (with or without v=; no v= means Argon2 1.0)");
export const argon2d = phcFormat("argon2d", "Argon2d PHC string");

/** Django Argon2PasswordHasher: `argon2` + PHC string. */
export const djangoArgon2 = defineFormat<Argon2Parsed>({
  id: "django-argon2",
  family: "argon2",
  title: "Django Argon2PasswordHasher (argon2$ + PHC string)",
  identify: (v) => (v.startsWith("argon2$argon2") && PHC.test(v.slice(6)) ? 1 : 0),
  parse: (v) => {
    if (!v.startsWith("argon2$")) throw parseError("django-argon2", "missing argon2$ prefix");
    return parseArgon2("django-argon2", v.slice(6));
  },
  verify: async (pw, p) => argon2Verify(pw, p),
  heavy: true,
});
