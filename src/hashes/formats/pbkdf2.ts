import { defineFormat } from "../format.js";
import {
  DIGEST_LEN,
  type DigestName,
  ab64decode,
  ab64encode,
  b64decode,
  b64nopad,
  ctEqual,
  digest,
  hexdecode,
  hmac,
  paramNumber,
  paramError,
  parseError,
  pbkdf2,
  utf8,
} from "../util.js";

/** Every PBKDF2 format parses into this, so any of them can be re-encoded into any other. */
export interface Pbkdf2Parsed {
  digest: DigestName;
  iterations: number;
  salt: Buffer;
  dk: Buffer;
}

export async function pbkdf2Check(format: string, password: string, p: Pbkdf2Parsed): Promise<boolean> {
  return ctEqual(await pbkdf2(format, p.digest, password, p.salt, p.iterations, p.dk.length), p.dk);
}

function iterations(format: string, s: string | undefined): number {
  if (s === undefined || !/^\d{1,9}$/.test(s)) throw parseError(format, "iterations is not a number");
  const n = Number(s);
  if (n < 1) throw parseError(format, "iterations must be >= 1");
  return n;
}

function pbkdf2Format(
  id: string,
  title: string,
  re: RegExp,
  build: (m: RegExpExecArray, params: Record<string, unknown>) => Pbkdf2Parsed,
  opts: { confidence?: number; needs?: string[] } = {},
) {
  return defineFormat<Pbkdf2Parsed>({
    id,
    family: "pbkdf2",
    title,
    ...(opts.needs ? { needs: opts.needs } : {}),
    identify: (v) => (re.test(v) ? (opts.confidence ?? 1) : 0),
    parse: (v, params) => {
      const m = re.exec(v);
      if (!m) throw parseError(id, `value does not match the ${id} layout`);
      const p = build(m, params);
      if (p.dk.length < 8) throw parseError(id, "derived key too short");
      return p;
    },
    verify: (pw, p) => pbkdf2Check(id, pw, p),
    heavy: true,
  });
}

const must = (id: string, b: Buffer | undefined, what: string): Buffer => {
  if (!b) throw parseError(id, `${what} is not valid base64/hex`);
  return b;
};

// Django: <algorithm>$<iterations>$<salt string>$<base64 hash>
export const djangoPbkdf2Sha256 = pbkdf2Format(
  "pbkdf2-sha256-django",
  "Django PBKDF2PasswordHasher (pbkdf2_sha256$iter$salt$b64)",
  /^pbkdf2_sha256\$(\d+)\$([^$]*)\$([A-Za-z0-9+/]+={0,2})$/,
  (m) => ({
    digest: "sha256",
    iterations: iterations("pbkdf2-sha256-django", m[1]),
    salt: utf8(m[2]!),
    dk: must("pbkdf2-sha256-django", b64decode(m[3]!), "hash"),
  }),
);
export const djangoPbkdf2Sha1 = pbkdf2Format(
  "pbkdf2-sha1-django",
  "Django PBKDF2SHA1PasswordHasher (pbkdf2_sha1$iter$salt$b64)",
  /^pbkdf2_sha1\$(\d+)\$([^$]*)\$([A-Za-z0-9+/]+={0,2})$/,
  (m) => ({
    digest: "sha1",
    iterations: iterations("pbkdf2-sha1-django", m[1]),
    salt: utf8(m[2]!),
    dk: must("pbkdf2-sha1-django", b64decode(m[3]!), "hash"),
  }),
);

// passlib: $pbkdf2[-sha256|-sha512]$<rounds>$<ab64 salt>$<ab64 hash>
function passlib(id: string, tag: string, dg: DigestName) {
  const re = new RegExp(`^\\$${tag.replace(/[$-]/g, "\\$&")}\\$(\\d+)\\$([A-Za-z0-9./]*)\\$([A-Za-z0-9./]+)$`);
  return pbkdf2Format(id, `passlib ${tag} ($${tag}$rounds$ab64 salt$ab64 hash)`, re, (m) => ({
    digest: dg,
    iterations: iterations(id, m[1]),
    salt: must(id, ab64decode(m[2]!), "salt"),
    dk: must(id, ab64decode(m[3]!), "hash"),
  }));
}
export const passlibPbkdf2Sha256 = passlib("pbkdf2-passlib-sha256", "pbkdf2-sha256", "sha256");
export const passlibPbkdf2Sha512 = passlib("pbkdf2-passlib-sha512", "pbkdf2-sha512", "sha512");
export const passlibPbkdf2Sha1 = passlib("pbkdf2-passlib-sha1", "pbkdf2", "sha1");

// LDAP (passlib ldap_pbkdf2_*): {PBKDF2-SHA256}<rounds>$<ab64 salt>$<ab64 hash>
function ldapPbkdf2(id: string, tag: string, dg: DigestName) {
  const re = new RegExp(`^\\{${tag}\\}(\\d+)\\$([A-Za-z0-9./]*)\\$([A-Za-z0-9./]+)$`, "i");
  return pbkdf2Format(id, `LDAP {${tag}} (passlib body rounds$ab64 salt$ab64 hash)`, re, (m) => ({
    digest: dg,
    iterations: iterations(id, m[1]),
    salt: must(id, ab64decode(m[2]!), "salt"),
    dk: must(id, ab64decode(m[3]!), "hash"),
  }));
}
export const ldapPbkdf2Sha256 = ldapPbkdf2("ldap-pbkdf2-sha256", "PBKDF2-SHA256", "sha256");
export const ldapPbkdf2Sha512 = ldapPbkdf2("ldap-pbkdf2-sha512", "PBKDF2-SHA512", "sha512");
export const ldapPbkdf2Sha1 = ldapPbkdf2("ldap-pbkdf2-sha1", "PBKDF2", "sha1");

// PHC (Kratos and others): $pbkdf2-<digest>$i=<iter>,l=<keylen>$<b64 salt>$<b64 hash>
const PHC = /^\$pbkdf2-(sha1|sha256|sha512|sha384|sha224)\$i=(\d+),l=(\d+)\$([A-Za-z0-9+/]*={0,2})\$([A-Za-z0-9+/]+={0,2})$/;
export const phcPbkdf2 = pbkdf2Format("pbkdf2-phc", "PBKDF2 PHC string ($pbkdf2-<digest>$i=,l=$salt$hash; Kratos)", PHC, (m) => {
  const dk = must("pbkdf2-phc", b64decode(m[5]!), "hash");
  if (Number(m[3]) !== dk.length) throw parseError("pbkdf2-phc", "l= does not match the hash length");
  return { digest: m[1] as DigestName, iterations: iterations("pbkdf2-phc", m[2]), salt: must("pbkdf2-phc", b64decode(m[4]!), "salt"), dk };
});
export function encodePbkdf2Phc(p: Pbkdf2Parsed): string {
  return `$pbkdf2-${p.digest}$i=${p.iterations},l=${p.dk.length}$${b64nopad(p.salt)}$${b64nopad(p.dk)}`;
}
export function encodePbkdf2Passlib(p: Pbkdf2Parsed): string {
  const tag = p.digest === "sha1" ? "pbkdf2" : `pbkdf2-${p.digest}`;
  return `$${tag}$${p.iterations}$${ab64encode(p.salt)}$${ab64encode(p.dk)}`;
}

// Atlassian (Jira/Confluence/Crowd): {PKCS5S2}base64(16-byte salt || 32-byte PBKDF2-HMAC-SHA1), 10000 iterations
export const atlassianPbkdf2 = pbkdf2Format(
  "atlassian-pbkdf2",
  "Atlassian {PKCS5S2} (PBKDF2-HMAC-SHA1, 10000 iterations)",
  /^\{PKCS5S2\}([A-Za-z0-9+/]{64})$/,
  (m) => {
    const raw = must("atlassian-pbkdf2", b64decode(m[1]!), "payload");
    if (raw.length !== 48) throw parseError("atlassian-pbkdf2", "payload must be 48 bytes");
    return { digest: "sha1", iterations: 10000, salt: raw.subarray(0, 16), dk: raw.subarray(16) };
  },
);

// ASP.NET Identity
const ASPNET_PRF: Record<number, DigestName> = { 0: "sha1", 1: "sha256", 2: "sha512" };
function aspnetDecode(v: string): Buffer | undefined {
  return /^[A-Za-z0-9+/]+={0,2}$/.test(v) && v.length % 4 === 0 ? b64decode(v) : undefined;
}
export const aspnetV2 = defineFormat<Pbkdf2Parsed>({
  id: "aspnet-identity-v2",
  family: "pbkdf2",
  title: "ASP.NET Identity v2 (0x00 | salt16 | PBKDF2-SHA1 subkey32, 1000 iterations)",
  identify: (v) => (v.length === 68 && aspnetDecode(v)?.[0] === 0x00 ? 0.95 : 0),
  parse: (v) => {
    const raw = aspnetDecode(v);
    if (!raw || raw[0] !== 0x00 || raw.length !== 49) throw parseError("aspnet-identity-v2", "expected base64 of 49 bytes starting with 0x00");
    return { digest: "sha1", iterations: 1000, salt: raw.subarray(1, 17), dk: raw.subarray(17) };
  },
  verify: (pw, p) => pbkdf2Check("aspnet-identity-v2", pw, p),
  heavy: true,
});
export const aspnetV3 = defineFormat<Pbkdf2Parsed>({
  id: "aspnet-identity-v3",
  family: "pbkdf2",
  title: "ASP.NET Core Identity v3 (0x01 | prf | iterations | saltLen | salt | subkey)",
  identify: (v) => {
    const raw = aspnetDecode(v);
    if (!raw || raw[0] !== 0x01 || raw.length < 13) return 0;
    const prf = raw.readUInt32BE(1);
    const saltLen = raw.readUInt32BE(9);
    return prf <= 2 && saltLen >= 8 && saltLen <= 64 ? 0.95 : 0;
  },
  parse: (v) => {
    const raw = aspnetDecode(v);
    if (!raw || raw[0] !== 0x01 || raw.length < 13) throw parseError("aspnet-identity-v3", "expected base64 starting with 0x01 and a 13-byte header");
    const dg = ASPNET_PRF[raw.readUInt32BE(1)];
    if (!dg) throw parseError("aspnet-identity-v3", "unknown PRF");
    const iter = raw.readUInt32BE(5);
    const saltLen = raw.readUInt32BE(9);
    if (iter < 1) throw parseError("aspnet-identity-v3", "iterations must be >= 1");
    if (saltLen < 8 || 13 + saltLen + 16 > raw.length) throw parseError("aspnet-identity-v3", "payload shorter than header + salt + 16-byte subkey");
    return { digest: dg, iterations: iter, salt: raw.subarray(13, 13 + saltLen), dk: raw.subarray(13 + saltLen) };
  },
  verify: (pw, p) => pbkdf2Check("aspnet-identity-v3", pw, p),
  heavy: true,
});
export function encodeAspnetV3(p: Pbkdf2Parsed): string | undefined {
  const prf = Object.entries(ASPNET_PRF).find(([, d]) => d === p.digest)?.[0];
  if (prf === undefined) return undefined;
  const head = Buffer.alloc(13);
  head[0] = 1;
  head.writeUInt32BE(Number(prf), 1);
  head.writeUInt32BE(p.iterations, 5);
  head.writeUInt32BE(p.salt.length, 9);
  return Buffer.concat([head, p.salt, p.dk]).toString("base64");
}

// Werkzeug / Flask: pbkdf2:sha256:<iterations>$<salt>$<hex>   (iterations may be omitted: params.iterations)
export const werkzeugPbkdf2 = pbkdf2Format(
  "werkzeug-pbkdf2",
  "Werkzeug/Flask pbkdf2 (pbkdf2:sha256:N$salt$hex)",
  /^pbkdf2:(sha1|sha224|sha256|sha384|sha512)(?::(\d+))?\$([^$]*)\$([0-9a-fA-F]+)$/,
  (m, params) => {
    const iterS = m[2] ?? (paramNumber(params, "iterations") !== undefined ? String(paramNumber(params, "iterations")) : undefined);
    if (iterS === undefined) throw paramError("werkzeug-pbkdf2", "iterations (the hash string omits them; pass the werkzeug default of the legacy version)");
    const dg = m[1] as DigestName;
    const dk = must("werkzeug-pbkdf2", hexdecode(m[4]!), "hash");
    return { digest: dg, iterations: iterations("werkzeug-pbkdf2", iterS), salt: utf8(m[3]!), dk };
  },
);

// ---------------------------------------------------------------- PostgreSQL SCRAM-SHA-256

export interface ScramParsed {
  iterations: number;
  salt: Buffer;
  storedKey: Buffer;
  serverKey: Buffer;
}

/** RFC 4013 SASLprep as PostgreSQL applies it: on any failure the raw password is used. */
export function saslprep(pw: string): string {
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(pw)) return pw;
  // B.1 commonly mapped to nothing; C.1.2 non-ASCII spaces -> U+0020
  const mapped = pw
    .replace(/[\u00AD\u034F\u1806\u180B-\u180D\u200B-\u200D\u2060\uFE00-\uFE0F\uFEFF]/g, "")
    .replace(/[\u00A0\u1680\u2000-\u200B\u202F\u205F\u3000]/g, " ");
  const n = mapped.normalize("NFKC");
  // Prohibited output (C.2.1/C.2.2 controls, C.3 private use, C.4 non-characters, C.5 surrogates, C.6-C.9).
  const prohibited =
    // eslint-disable-next-line no-control-regex
    /[\u0000-\u001F\u007F-\u009F\u06DD\u070F\u180E\u200C\u200D\u2028\u2029\u2060-\u2063\u206A-\u206F\uFEFF\uFFF9-\uFFFC\uE000-\uF8FF\uFDD0-\uFDEF\uFFFE\uFFFF\uD800-\uDFFF\u0340\u0341\u200E\u200F\u202A-\u202E\u2FF0-\u2FFB\uFFFD]/u;
  if (prohibited.test(n.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, ""))) return pw;
  // Bidi (RFC 3454 §6): a string with RandAL chars must not contain L chars and must start and end with RandAL.
  const randAL = /[\u05BE\u05C0\u05C3\u05D0-\u05EA\u05F0-\u05F4\u061B\u061F\u0621-\u063A\u0640-\u064A\u066D-\u066F\u0671-\u06D5\u06DD\u06E5\u06E6\u06FA-\u06FE\u0700-\u070D\u0710\u0712-\u072C\u0780-\u07A5\u07B1\u200F\uFB1D\uFB1F-\uFB28\uFB2A-\uFB4F\uFB50-\uFDFD\uFE70-\uFEFC]/u;
  if (randAL.test(n)) {
    const chars = [...n];
    if (/\p{L}/u.test(n.replace(new RegExp(randAL.source, "gu"), ""))) return pw;
    if (!randAL.test(chars[0]!) || !randAL.test(chars[chars.length - 1]!)) return pw;
  }
  return n;
}

const SCRAM = /^SCRAM-SHA-256\$(\d+):([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2}):([A-Za-z0-9+/]+={0,2})$/;
export const postgresScram = defineFormat<ScramParsed>({
  id: "postgres-scram-sha256",
  family: "pbkdf2",
  title: "PostgreSQL SCRAM-SHA-256 verifier (pg_authid.rolpassword)",
  identify: (v) => (SCRAM.test(v) ? 1 : 0),
  parse: (v) => {
    const m = SCRAM.exec(v);
    if (!m) throw parseError("postgres-scram-sha256", "expected SCRAM-SHA-256$<iter>:<salt>$<StoredKey>:<ServerKey>");
    const storedKey = must("postgres-scram-sha256", b64decode(m[3]!), "StoredKey");
    const serverKey = must("postgres-scram-sha256", b64decode(m[4]!), "ServerKey");
    if (storedKey.length !== 32 || serverKey.length !== 32) throw parseError("postgres-scram-sha256", "keys must be 32 bytes");
    return { iterations: iterations("postgres-scram-sha256", m[1]), salt: must("postgres-scram-sha256", b64decode(m[2]!), "salt"), storedKey, serverKey };
  },
  verify: async (pw, p) => {
    const salted = await pbkdf2("postgres-scram-sha256", "sha256", saslprep(pw), p.salt, p.iterations, 32);
    const storedKey = digest("sha256", hmac("sha256", salted, "Client Key"));
    return ctEqual(storedKey, p.storedKey);
  },
  heavy: true,
});

export { DIGEST_LEN };
