import { createHash } from "node:crypto";
import { AuthmigrateError } from "../../errors.js";
import { defineFormat } from "../format.js";
import { LIMITS, checkLimit, ctEqualStr, limitError, parseError, utf8 } from "../util.js";
import { CRYPT_ITOA64, desCrypt } from "./des.js";

const ITOA = CRYPT_ITOA64;

function to64(v: number, n: number): string {
  let s = "";
  while (n-- > 0) {
    s += ITOA[v & 0x3f];
    v >>>= 6;
  }
  return s;
}

// ---------------------------------------------------------------- MD5-crypt ($1$, $apr1$)

export function md5Crypt(pw: Buffer, salt: string, magic: "$1$" | "$apr1$"): string {
  const s = utf8(salt);
  const alt = createHash("md5").update(pw).update(s).update(pw).digest();
  const ctx = createHash("md5").update(pw).update(magic).update(s);
  for (let i = pw.length; i > 0; i -= 16) ctx.update(alt.subarray(0, Math.min(16, i)));
  for (let i = pw.length; i > 0; i >>= 1) ctx.update(i & 1 ? Buffer.alloc(1) : pw.subarray(0, 1));
  let fin = ctx.digest();
  for (let i = 0; i < 1000; i++) {
    const c = createHash("md5");
    c.update(i & 1 ? pw : fin);
    if (i % 3) c.update(s);
    if (i % 7) c.update(pw);
    c.update(i & 1 ? fin : pw);
    fin = c.digest();
  }
  const f = fin;
  let out = "";
  for (const [a, b, c] of [[0, 6, 12], [1, 7, 13], [2, 8, 14], [3, 9, 15], [4, 10, 5]] as const) out += to64((f[a]! << 16) | (f[b]! << 8) | f[c]!, 4);
  out += to64(f[11]!, 2);
  return `${magic}${salt}$${out}`;
}

// ---------------------------------------------------------------- SHA-crypt ($5$, $6$)

const SHA256_ORDER = [[0, 10, 20], [21, 1, 11], [12, 22, 2], [3, 13, 23], [24, 4, 14], [15, 25, 5], [6, 16, 26], [27, 7, 17], [18, 28, 8], [9, 19, 29]];
const SHA512_ORDER = [
  [0, 21, 42], [22, 43, 1], [44, 2, 23], [3, 24, 45], [25, 46, 4], [47, 5, 26], [6, 27, 48], [28, 49, 7], [50, 8, 29], [9, 30, 51], [31, 52, 10],
  [53, 11, 32], [12, 33, 54], [34, 55, 13], [56, 14, 35], [15, 36, 57], [37, 58, 16], [59, 17, 38], [18, 39, 60], [40, 61, 19], [62, 20, 41],
];

function repeatTo(src: Buffer, len: number): Buffer {
  const out = Buffer.alloc(len);
  for (let i = 0; i < len; i += src.length) src.copy(out, i, 0, Math.min(src.length, len - i));
  return out;
}

export function shaCrypt(alg: "sha256" | "sha512", pw: Buffer, saltStr: string, rounds: number, explicitRounds: boolean): string {
  const hlen = alg === "sha256" ? 32 : 64;
  const salt = utf8(saltStr.slice(0, 16));
  const H = () => createHash(alg);
  const B = H().update(pw).update(salt).update(pw).digest();
  const a = H().update(pw).update(salt);
  a.update(repeatTo(B, pw.length));
  for (let i = pw.length; i > 0; i >>= 1) a.update(i & 1 ? B : pw);
  const A = a.digest();
  const dp = H();
  for (let i = 0; i < pw.length; i++) dp.update(pw);
  const P = repeatTo(dp.digest(), pw.length);
  const ds = H();
  for (let i = 0; i < 16 + A[0]!; i++) ds.update(salt);
  const Sx = repeatTo(ds.digest(), salt.length);
  let C = A;
  for (let i = 0; i < rounds; i++) {
    const h = H();
    h.update(i & 1 ? P : C);
    if (i % 3) h.update(Sx);
    if (i % 7) h.update(P);
    h.update(i & 1 ? C : P);
    C = h.digest();
  }
  let out = "";
  for (const [x, y, z] of alg === "sha256" ? SHA256_ORDER : SHA512_ORDER) out += to64((C[x!]! << 16) | (C[y!]! << 8) | C[z!]!, 4);
  out += alg === "sha256" ? to64((C[31]! << 8) | C[30]!, 3) : to64(C[63]!, 2);
  void hlen;
  const magic = alg === "sha256" ? "$5$" : "$6$";
  return `${magic}${explicitRounds ? `rounds=${rounds}$` : ""}${saltStr.slice(0, 16)}$${out}`;
}

// ---------------------------------------------------------------- generic crypt(3) string

export type CryptScheme = "md5-crypt" | "apr1-md5-crypt" | "sha256-crypt" | "sha512-crypt" | "des-crypt" | "yescrypt" | "bcrypt";

export interface CryptParsed {
  scheme: CryptScheme;
  /** The full crypt(3) string, normalised to the standard prefix ($1$, $5$, …). */
  crypt: string;
  salt: string;
  rounds: number;
  explicitRounds: boolean;
}

const RE_MD5 = /^\$1\$([^$]{0,8})\$([./0-9A-Za-z]{22})$/;
const RE_APR1 = /^\$apr1\$([^$]{0,8})\$([./0-9A-Za-z]{22})$/;
const RE_SHA = /^\$([56])\$(?:rounds=(\d+)\$)?([^$]{0,16})\$([./0-9A-Za-z]+)$/;
const RE_DES = /^[./0-9A-Za-z]{13}$/;
const RE_YESCRYPT = /^\$y\$[./0-9A-Za-z]+\$[./0-9A-Za-z]*\$[./0-9A-Za-z]{43}$/;
/** Kratos names crypt schemes instead of using the numeric magic. */
const KRATOS_PREFIX: Record<string, string> = { "$md5-crypt$": "$1$", "$sha256-crypt$": "$5$", "$sha512-crypt$": "$6$" };

export function cryptSchemeOf(v: string): CryptScheme | undefined {
  if (RE_MD5.test(v)) return "md5-crypt";
  if (RE_APR1.test(v)) return "apr1-md5-crypt";
  const m = RE_SHA.exec(v);
  if (m) return m[4]!.length === (m[1] === "5" ? 43 : 86) ? (m[1] === "5" ? "sha256-crypt" : "sha512-crypt") : undefined;
  if (RE_YESCRYPT.test(v)) return "yescrypt";
  if (/^\$2[abxy]\$\d\d\$[./A-Za-z0-9]{53}$/.test(v)) return "bcrypt";
  if (RE_DES.test(v)) return "des-crypt";
  return undefined;
}

export function parseCrypt(format: string, v: string, only?: CryptScheme): CryptParsed {
  for (const [k, std] of Object.entries(KRATOS_PREFIX)) if (v.startsWith(k)) v = std + v.slice(k.length);
  const scheme = cryptSchemeOf(v);
  if (!scheme || (only && scheme !== only)) throw parseError(format, `not a valid ${only ?? "crypt(3)"} string`);
  if (scheme === "md5-crypt" || scheme === "apr1-md5-crypt") {
    const m = (scheme === "md5-crypt" ? RE_MD5 : RE_APR1).exec(v)!;
    return { scheme, crypt: v, salt: m[1]!, rounds: 1000, explicitRounds: false };
  }
  if (scheme === "sha256-crypt" || scheme === "sha512-crypt") {
    const m = RE_SHA.exec(v)!;
    let rounds = 5000;
    if (m[2] !== undefined) {
      rounds = Number(m[2]);
      checkLimit(format, "crypt rounds", rounds, LIMITS.cryptRounds);
      rounds = Math.max(1000, rounds);
    }
    return { scheme, crypt: v, salt: m[3]!, rounds, explicitRounds: m[2] !== undefined };
  }
  if (scheme === "bcrypt") {
    const cost = Number(v.slice(4, 6));
    checkLimit(format, "bcrypt cost", cost, LIMITS.bcryptCost);
    return { scheme, crypt: v, salt: v.slice(7, 29), rounds: cost, explicitRounds: true };
  }
  return { scheme, crypt: v, salt: scheme === "des-crypt" ? v.slice(0, 2) : "", rounds: 25, explicitRounds: false };
}

export function yescryptUnverifiable(format: string): AuthmigrateError {
  return new AuthmigrateError("HASH_UNVERIFIABLE", `${format}: yescrypt is recognised but cannot be verified (no maintained JavaScript/npm implementation)`, {
    hint: "Migrate these users lazily (verify against the legacy system on first login) or send a password reset.",
    meta: { format },
  });
}

export async function verifyCrypt(format: string, password: string, p: CryptParsed): Promise<boolean> {
  const pw = utf8(password);
  let computed: string;
  switch (p.scheme) {
    case "md5-crypt":
      computed = md5Crypt(pw, p.salt, "$1$");
      break;
    case "apr1-md5-crypt":
      computed = md5Crypt(pw, p.salt, "$apr1$");
      break;
    case "sha256-crypt":
    case "sha512-crypt": {
      computed = shaCrypt(p.scheme === "sha256-crypt" ? "sha256" : "sha512", pw, p.salt, p.rounds, p.explicitRounds);
      // glibc keeps the requested rounds in the string even when clamped: compare checksums only.
      const tail = (s: string) => s.slice(s.lastIndexOf("$") + 1);
      return ctEqualStr(tail(computed), tail(p.crypt));
    }
    case "des-crypt":
      computed = desCrypt(pw, p.salt);
      break;
    case "bcrypt": {
      const { bcryptVerifyBytes, parseBcrypt } = await import("./bcrypt.js");
      return bcryptVerifyBytes(format, pw, parseBcrypt(format, p.crypt));
    }
    case "yescrypt":
      throw yescryptUnverifiable(format);
  }
  return ctEqualStr(computed, p.crypt);
}

const KRATOS_PREFIX_ENTRIES = Object.entries(KRATOS_PREFIX);

function cryptFormat(id: CryptScheme, title: string, opts: { confidence?: number } = {}) {
  return defineFormat<CryptParsed>({
    id,
    family: "crypt",
    title,
    identify: (v) => {
      let s = v;
      for (const [k, std] of KRATOS_PREFIX_ENTRIES) if (s.startsWith(k)) s = std + s.slice(k.length);
      return cryptSchemeOf(s) === id ? (opts.confidence ?? 1) : 0;
    },
    parse: (v) => parseCrypt(id, v, id),
    verify: (pw, p) => verifyCrypt(id, pw, p),
    heavy: (p) => p.scheme !== "des-crypt",
    ...(id === "yescrypt" ? { verifiable: false } : {}),
  });
}

export const md5CryptFormat = cryptFormat("md5-crypt", "MD5-crypt $1$ (glibc, FreeBSD, Cisco)");
export const apr1Format = cryptFormat("apr1-md5-crypt", "Apache htpasswd $apr1$ (MD5-crypt variant)");
export const sha256CryptFormat = cryptFormat("sha256-crypt", "SHA-256-crypt $5$ (with optional rounds=)");
export const sha512CryptFormat = cryptFormat("sha512-crypt", "SHA-512-crypt $6$ (with optional rounds=)");
// 13 chars of ./0-9A-Za-z could also be other things: high but not certain.
export const desCryptFormat = cryptFormat("des-crypt", "Traditional DES crypt(3) (13 chars; first 8 bytes of the password)", { confidence: 0.6 });
export const yescryptFormat = cryptFormat("yescrypt", "yescrypt $y$ (Debian 11+/Fedora /etc/shadow) — identified, not verifiable");

/** Django CryptPasswordHasher: `crypt$$` + crypt(3) string (traditional DES in practice). */
export const djangoCrypt = defineFormat<CryptParsed>({
  id: "django-crypt",
  family: "crypt",
  title: "Django CryptPasswordHasher (crypt$$ + crypt(3))",
  identify: (v) => (v.startsWith("crypt$") && cryptSchemeOf(v.slice(v.indexOf("$", 6) + 1)) ? 1 : 0),
  parse: (v) => {
    const m = /^crypt\$[^$]*\$(.+)$/.exec(v);
    if (!m) throw parseError("django-crypt", "expected crypt$<salt>$<crypt string>");
    return parseCrypt("django-crypt", m[1]!);
  },
  verify: (pw, p) => verifyCrypt("django-crypt", pw, p),
});

/** LDAP `{CRYPT}` + any crypt(3) string. */
export const ldapCrypt = defineFormat<CryptParsed>({
  id: "ldap-crypt",
  family: "ldap",
  title: "LDAP {CRYPT} + crypt(3) string (DES, $1$, $5$, $6$, $2b$, $y$)",
  identify: (v) => (/^\{crypt\}/i.test(v) && cryptSchemeOf(v.slice(7)) ? 1 : 0),
  parse: (v) => {
    if (!/^\{crypt\}/i.test(v)) throw parseError("ldap-crypt", "missing {CRYPT} prefix");
    return parseCrypt("ldap-crypt", v.slice(7));
  },
  verify: (pw, p) => verifyCrypt("ldap-crypt", pw, p),
  heavy: true,
});

export function encodeKratosCrypt(p: CryptParsed): string | undefined {
  if (p.scheme === "md5-crypt") return "$md5-crypt$" + p.crypt.slice(3);
  if (p.scheme === "sha256-crypt") return "$sha256-crypt$" + p.crypt.slice(3);
  if (p.scheme === "sha512-crypt") return "$sha512-crypt$" + p.crypt.slice(3);
  return undefined;
}

// ---------------------------------------------------------------- phpass ($P$/$H$) and Drupal 7 ($S$)

export interface PhpassParsed {
  alg: "md5" | "sha512";
  log2: number;
  setting: string; // first 12 chars
  hash: string; // full string as stored (without Drupal 'U' prefix)
  md5Pre: boolean; // Drupal 'U$S$': password is hex(MD5(password)) first
}

const PHPASS_MAX_LOG2 = 24; // phpass allows 30; 2^24 MD5 rounds is already ~10 s

function phpassEncode(input: Buffer, count: number): string {
  let out = "";
  let i = 0;
  do {
    let value = input[i++]!;
    out += ITOA[value & 0x3f];
    if (i < count) value |= input[i]! << 8;
    out += ITOA[(value >> 6) & 0x3f];
    if (i++ >= count) break;
    if (i < count) value |= input[i]! << 16;
    out += ITOA[(value >> 12) & 0x3f];
    if (i++ >= count) break;
    out += ITOA[(value >> 18) & 0x3f];
  } while (i < count);
  return out;
}

export function phpassCompute(p: PhpassParsed, password: string): string {
  const pw = utf8(p.md5Pre ? createHash("md5").update(utf8(password)).digest("hex") : password);
  const salt = utf8(p.setting.slice(4, 12));
  let h = createHash(p.alg).update(salt).update(pw).digest();
  for (let n = 2 ** p.log2; n > 0; n--) h = createHash(p.alg).update(h).update(pw).digest();
  const full = p.setting + phpassEncode(h, h.length);
  return p.alg === "sha512" ? full.slice(0, 55) : full;
}

function parsePhpass(format: string, v: string, prefixes: string[], alg: "md5" | "sha512", md5Pre = false): PhpassParsed {
  const len = alg === "md5" ? 34 : 55;
  if (!prefixes.some((p) => v.startsWith(p)) || v.length !== len || !/^\$[PHS]\$[./0-9A-Za-z]+$/.test(v)) {
    throw parseError(format, `expected ${prefixes.join(" or ")} followed by ${len - 3} characters`);
  }
  const log2 = ITOA.indexOf(v[3]!);
  if (log2 < 7) throw parseError(format, "iteration count character out of range");
  if (log2 > PHPASS_MAX_LOG2) throw limitError(format, "log2 iterations", log2, PHPASS_MAX_LOG2);
  return { alg, log2, setting: v.slice(0, 12), hash: v, md5Pre };
}

function phpassFormat(id: string, title: string, prefixes: string[], alg: "md5" | "sha512", confidence: (v: string) => number) {
  return defineFormat<PhpassParsed>({
    id,
    family: "crypt",
    title,
    identify: (v) => {
      // Cheap prefix test first: parse errors are exceptions, too costly for every non-phpass value.
      if (!prefixes.some((p) => v.startsWith(p))) return 0;
      try {
        parsePhpass(id, v, prefixes, alg);
        return confidence(v);
      } catch {
        return 0;
      }
    },
    parse: (v) => parsePhpass(id, v, prefixes, alg),
    verify: async (pw, p) => ctEqualStr(phpassCompute(p, pw), p.hash),
    heavy: true,
  });
}

// $P$ is WordPress/phpass portable; $H$ is phpBB3. Both are the same algorithm: each also lists the other.
export const phpassWordpress = phpassFormat("phpass-wordpress", "phpass portable $P$ (WordPress < 6.8, Joomla 3, Drupal imports)", ["$P$", "$H$"], "md5", (v) => (v.startsWith("$P$") ? 1 : 0.5));
export const phpassPhpbb = phpassFormat("phpass-phpbb", "phpass $H$ (phpBB3)", ["$H$", "$P$"], "md5", (v) => (v.startsWith("$H$") ? 1 : 0.5));
export const drupal7 = phpassFormat("drupal7-sha512", "Drupal 7 $S$ (phpass-style SHA-512)", ["$S$"], "sha512", () => 1);

export const drupal7Upgraded = defineFormat<PhpassParsed>({
  id: "drupal7-sha512-md5-upgraded",
  family: "crypt",
  title: "Drupal 7 U$S$ (Drupal 6 MD5 re-hashed: $S$ over hex MD5(password))",
  identify: (v) => (v.startsWith("U$S$") && v.length === 56 ? 1 : 0),
  parse: (v) => {
    if (!v.startsWith("U")) throw parseError("drupal7-sha512-md5-upgraded", "missing U prefix");
    return parsePhpass("drupal7-sha512-md5-upgraded", v.slice(1), ["$S$"], "sha512", true);
  },
  verify: async (pw, p) => ctEqualStr(phpassCompute(p, pw), p.hash),
  heavy: true,
});
