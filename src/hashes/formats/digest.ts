import { md4 } from "hash-wasm";
import { defineFormat } from "../format.js";
import {
  DIGEST_LEN,
  type DigestName,
  b64decode,
  ctEqual,
  ctEqualStr,
  digest,
  hexdecode,
  hmac,
  paramError,
  paramString,
  parseError,
  utf8,
} from "../util.js";

/** Decodes a digest given as hex (any case) or base64 of the expected length. */
function decodeDigest(s: string, len: number): Buffer | undefined {
  if (s.length === len * 2) return hexdecode(s);
  const b = b64decode(s);
  return b && b.length === len ? b : undefined;
}

// identify() runs for every user of a migration: build each pattern once, not per call.
const HEX_PATTERNS = new Map<number, RegExp>();
const hexOf = (len: number): RegExp => {
  let re = HEX_PATTERNS.get(len);
  if (!re) HEX_PATTERNS.set(len, (re = new RegExp(`^[0-9a-fA-F]{${len * 2}}$`)));
  return re;
};
const b64Of = (len: number) => {
  const chars = Math.ceil(len / 3) * 4;
  return (v: string) => v.length === chars && b64decode(v)?.length === len;
};

function encodedBytes(format: string, params: Record<string, unknown>, key: string, encKey: string, required: true): Buffer;
function encodedBytes(format: string, params: Record<string, unknown>, key: string, encKey: string, required: false): Buffer | undefined;
function encodedBytes(format: string, params: Record<string, unknown>, key: string, encKey: string, required: boolean): Buffer | undefined {
  const s = paramString(params, key);
  if (s === undefined) {
    if (required) throw paramError(format, key);
    return undefined;
  }
  const enc = paramString(params, encKey) ?? "utf8";
  if (enc === "utf8" || enc === "utf-8" || enc === "string") return utf8(s);
  const b = enc === "hex" ? hexdecode(s) : enc === "base64" ? b64decode(s) : undefined;
  if (!b) throw parseError(format, `params.${key} is not valid ${enc} (params.${encKey} must be utf8, hex or base64)`);
  return b;
}

// ---------------------------------------------------------------- raw digests

interface RawParsed {
  alg: DigestName;
  digest: Buffer;
}
function rawFormat(alg: DigestName, confidence: number) {
  const id = `${alg}-raw`;
  const len = DIGEST_LEN[alg];
  const hex = hexOf(len);
  const b64 = b64Of(len);
  return defineFormat<RawParsed>({
    id,
    family: "digest",
    title: `Unsalted ${alg.toUpperCase()} (hex or base64)`,
    identify: (v) => (hex.test(v) ? confidence : b64(v) ? confidence / 2 : 0),
    parse: (v) => {
      const d = decodeDigest(v, len);
      if (!d) throw parseError(id, `expected ${len * 2} hex characters (or base64 of ${len} bytes)`);
      return { alg, digest: d };
    },
    verify: async (pw, p) => ctEqual(digest(p.alg, pw), p.digest),
  });
}
export const md5Raw = rawFormat("md5", 0.5);
export const sha1Raw = rawFormat("sha1", 0.6);
export const sha224Raw = rawFormat("sha224", 0.6);
export const sha256Raw = rawFormat("sha256", 0.6);
export const sha384Raw = rawFormat("sha384", 0.6);
export const sha512Raw = rawFormat("sha512", 0.6);

// ---------------------------------------------------------------- salted digests with a configured layout

interface SaltedParsed {
  alg: DigestName;
  digest: Buffer;
  salt: Buffer;
}

/**
 * `<alg>-salted-<order>`: hex/base64 digest of salt||password or password||salt. The salt comes
 * from params.salt (a separate column; params.salt_encoding utf8|hex|base64, default utf8) or,
 * when absent, from the value itself split at params.separator (default ":") per params.layout
 * ("hash:salt", default, or "salt:hash").
 */
function saltedFormat(alg: DigestName, order: "salt-password" | "password-salt") {
  const id = `${alg}-salted-${order}`;
  const len = DIGEST_LEN[alg];
  return defineFormat<SaltedParsed>({
    id,
    family: "digest",
    title: `${alg.toUpperCase()}(${order === "salt-password" ? "salt || password" : "password || salt"}), salt in params or embedded`,
    needs: ["salt (or an embedded salt with params.separator/layout)"],
    identify: (v) => (hexOf(len).test(v) ? 0.2 : 0),
    parse: (v, params) => {
      let value = v;
      let salt = encodedBytes(id, params, "salt", "salt_encoding", false);
      if (!salt) {
        const sep = paramString(params, "separator") ?? ":";
        const i = v.indexOf(sep);
        if (i < 0) throw paramError(id, "salt");
        const [a, b] = [v.slice(0, i), v.slice(i + sep.length)];
        const saltFirst = paramString(params, "layout") === "salt:hash";
        value = saltFirst ? b : a;
        salt = encodedBytes(id, { salt: saltFirst ? a : b, salt_encoding: params.salt_encoding }, "salt", "salt_encoding", true);
      }
      const d = decodeDigest(value, len);
      if (!d) throw parseError(id, `expected ${len * 2} hex characters (or base64 of ${len} bytes)`);
      return { alg, digest: d, salt };
    },
    verify: async (pw, p) => ctEqual(order === "salt-password" ? digest(p.alg, p.salt, pw) : digest(p.alg, pw, p.salt), p.digest),
  });
}
export const saltedFormats = (["md5", "sha1", "sha256", "sha512"] as const).flatMap((alg) => [
  saltedFormat(alg, "salt-password"),
  saltedFormat(alg, "password-salt"),
]);

/** Joomla 1.x/2.5: `hex(MD5(password || salt)):salt`. */
const JOOMLA = /^([0-9a-fA-F]{32}):([A-Za-z0-9./]{8,64})$/;
export const joomlaMd5 = defineFormat<SaltedParsed>({
  id: "joomla-md5",
  family: "digest",
  title: "Joomla 1.x/2.5 md5hex:salt (MD5(password || salt))",
  identify: (v) => (JOOMLA.test(v) ? 0.9 : 0),
  parse: (v) => {
    const m = JOOMLA.exec(v);
    if (!m) throw parseError("joomla-md5", "expected <32 hex>:<salt>");
    return { alg: "md5", digest: hexdecode(m[1]!)!, salt: utf8(m[2]!) };
  },
  verify: async (pw, p) => ctEqual(digest("md5", pw, p.salt), p.digest),
});

// ---------------------------------------------------------------- HMAC with a pepper

interface HmacParsed {
  alg: DigestName;
  digest: Buffer;
  key: Buffer;
}
function hmacFormat(alg: DigestName) {
  const id = `hmac-${alg}`;
  const len = DIGEST_LEN[alg];
  return defineFormat<HmacParsed>({
    id,
    family: "digest",
    title: `HMAC-${alg.toUpperCase()}(key = pepper, msg = password), hex or base64`,
    needs: ["key (params.key_encoding utf8|hex|base64)"],
    identify: (v) => (hexOf(len).test(v) ? 0.2 : 0),
    parse: (v, params) => {
      const d = decodeDigest(v, len);
      if (!d) throw parseError(id, `expected ${len * 2} hex characters (or base64 of ${len} bytes)`);
      return { alg, digest: d, key: encodedBytes(id, params, "key", "key_encoding", true) };
    },
    verify: async (pw, p) => ctEqual(hmac(p.alg, p.key, pw), p.digest),
  });
}
export const hmacFormats = (["md5", "sha1", "sha256", "sha512"] as const).map(hmacFormat);

// ---------------------------------------------------------------- Kratos digest formats

interface KratosShaParsed {
  alg: DigestName;
  template: string;
  salt: Buffer;
  digest: Buffer;
}
const KRATOS_ALGS: Record<string, DigestName> = { md5: "md5", sha1: "sha1", sha256: "sha256", sha512: "sha512" };
const KRATOS_SHA = /^\$(md5|sha1|sha256|sha512)\$(?:pf=([A-Za-z0-9+/=]*)\$([A-Za-z0-9+/=]*)\$)?([A-Za-z0-9+/=]+)$/;

function parseKratosSha(id: string, v: string): KratosShaParsed {
  const m = KRATOS_SHA.exec(v);
  if (!m) throw parseError(id, "expected $<alg>$[pf=<b64 template>$<b64 salt>$]<b64 digest>");
  const alg = KRATOS_ALGS[m[1]!]!;
  const template = m[2] === undefined ? "{PASSWORD}" : b64decode(m[2])?.toString("utf8");
  const salt = m[3] === undefined ? Buffer.alloc(0) : b64decode(m[3]);
  const d = b64decode(m[4]!);
  if (template === undefined || !salt || !d || d.length !== DIGEST_LEN[alg]) throw parseError(id, "template/salt/digest are not valid base64");
  return { alg, template, salt, digest: d };
}
function kratosShaVerify(pw: string, p: KratosShaParsed): boolean {
  // Template tokens {SALT} and {PASSWORD}; anything else is literal.
  const parts: Buffer[] = [];
  for (const tok of p.template.split(/(\{SALT\}|\{PASSWORD\})/)) {
    if (tok === "{SALT}") parts.push(p.salt);
    else if (tok === "{PASSWORD}") parts.push(utf8(pw));
    else if (tok) parts.push(utf8(tok));
  }
  return ctEqual(digest(p.alg, ...parts), p.digest);
}
export const kratosSha = defineFormat<KratosShaParsed>({
  id: "sha-pf-kratos",
  family: "digest",
  title: "Ory Kratos $sha1|$sha256|$sha512 with pf= template ({SALT}{PASSWORD})",
  identify: (v) => (/^\$sha(1|256|512)\$/.test(v) && KRATOS_SHA.test(v) ? 1 : 0),
  parse: (v) => parseKratosSha("sha-pf-kratos", v),
  verify: async (pw, p) => kratosShaVerify(pw, p),
});
export const kratosMd5 = defineFormat<KratosShaParsed>({
  id: "md5-kratos",
  family: "digest",
  title: "Ory Kratos $md5$<b64> (optionally with pf= template)",
  identify: (v) => (v.startsWith("$md5$") && KRATOS_SHA.test(v) ? 1 : 0),
  parse: (v) => parseKratosSha("md5-kratos", v),
  verify: async (pw, p) => kratosShaVerify(pw, p),
});
export function encodeKratosSha(p: { alg: DigestName; template: string; salt: Buffer; digest: Buffer }): string {
  const b = (x: Buffer) => x.toString("base64");
  if (p.template === "{PASSWORD}" && p.salt.length === 0) return `$${p.alg}$${b(p.digest)}`;
  return `$${p.alg}$pf=${b(utf8(p.template))}$${b(p.salt)}$${b(p.digest)}`;
}

const KRATOS_HMAC = /^\$hmac-(md5|sha1|sha256|sha512)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]*)$/;
export const kratosHmac = defineFormat<HmacParsed>({
  id: "hmac-kratos",
  family: "digest",
  title: "Ory Kratos $hmac-<alg>$<b64 of hex digest>$<b64 key>",
  identify: (v) => (KRATOS_HMAC.test(v) ? 1 : 0),
  parse: (v) => {
    const m = KRATOS_HMAC.exec(v);
    if (!m) throw parseError("hmac-kratos", "expected $hmac-<alg>$<b64 hex digest>$<b64 key>");
    const alg = KRATOS_ALGS[m[1]!]!;
    const hexStr = b64decode(m[2]!)?.toString("latin1");
    const d = hexStr === undefined ? undefined : decodeDigest(hexStr, DIGEST_LEN[alg]);
    const key = b64decode(m[3]!);
    if (!d || !key) throw parseError("hmac-kratos", "digest/key are not valid base64");
    return { alg, digest: d, key };
  },
  verify: async (pw, p) => ctEqual(hmac(p.alg, p.key, pw), p.digest),
});
export function encodeKratosHmac(p: HmacParsed): string {
  return `$hmac-${p.alg}$${Buffer.from(p.digest.toString("hex")).toString("base64")}$${p.key.toString("base64")}`;
}

// ---------------------------------------------------------------- Django digests

const DJ_SALTED = /^(sha1|md5)\$([^$]*)\$([0-9a-fA-F]+)$/;
function djangoDigest(id: string, alg: "sha1" | "md5", salted: boolean) {
  return defineFormat<SaltedParsed>({
    id,
    family: "digest",
    title: salted ? `Django Salted${alg.toUpperCase()}PasswordHasher (${alg}$salt$hex)` : `Django Unsalted${alg.toUpperCase()}PasswordHasher (${alg}$$hex)`,
    identify: (v) => {
      const m = DJ_SALTED.exec(v);
      if (!m || m[1] !== alg || m[3]!.length !== DIGEST_LEN[alg] * 2) return 0;
      return (m[2] !== "") === salted ? 1 : 0;
    },
    parse: (v) => {
      const m = DJ_SALTED.exec(v);
      if (!m || m[1] !== alg) throw parseError(id, `expected ${alg}$<salt>$<hex>`);
      const d = decodeDigest(m[3]!, DIGEST_LEN[alg]);
      if (!d) throw parseError(id, "digest has the wrong length");
      return { alg, digest: d, salt: utf8(m[2]!) };
    },
    verify: async (pw, p) => ctEqual(digest(p.alg, p.salt, pw), p.digest),
  });
}
export const djangoSaltedSha1 = djangoDigest("django-salted-sha1", "sha1", true);
export const djangoSaltedMd5 = djangoDigest("django-salted-md5", "md5", true);
export const djangoUnsaltedSha1 = djangoDigest("django-unsalted-sha1", "sha1", false);
export const djangoUnsaltedMd5 = djangoDigest("django-unsalted-md5", "md5", false);

// ---------------------------------------------------------------- databases

export const mysql41 = defineFormat<Buffer>({
  id: "mysql41",
  family: "digest",
  title: "MySQL 4.1+ PASSWORD() / mysql_native_password (*HEX of SHA1(SHA1(pw)))",
  identify: (v) => (/^\*[0-9a-fA-F]{40}$/.test(v) ? 1 : 0),
  parse: (v) => {
    if (!/^\*[0-9a-fA-F]{40}$/.test(v)) throw parseError("mysql41", "expected * followed by 40 hex characters");
    return hexdecode(v.slice(1))!;
  },
  verify: async (pw, d) => ctEqual(digest("sha1", digest("sha1", pw)), d),
});

export function mysql323Hash(password: string): string {
  let nr = 1345345333;
  let add = 7;
  let nr2 = 0x12345671;
  for (const c of utf8(password)) {
    if (c === 0x20 || c === 0x09) continue;
    nr = (nr ^ ((((nr & 63) + add) * c + ((nr << 8) >>> 0)) >>> 0)) >>> 0;
    nr2 = (nr2 + ((((nr2 << 8) >>> 0) ^ nr) >>> 0)) >>> 0;
    add += c;
  }
  const h = (n: number) => (n & 0x7fffffff).toString(16).padStart(8, "0");
  return h(nr) + h(nr2);
}
export const mysql323 = defineFormat<string>({
  id: "mysql323",
  family: "digest",
  title: "MySQL < 4.1 OLD_PASSWORD() (16 hex chars)",
  identify: (v) => (/^[0-9a-fA-F]{16}$/.test(v) ? 0.7 : 0),
  parse: (v) => {
    if (!/^[0-9a-fA-F]{16}$/.test(v)) throw parseError("mysql323", "expected 16 hex characters");
    return v.toLowerCase();
  },
  verify: async (pw, h) => ctEqualStr(mysql323Hash(pw), h),
});

export const postgresMd5 = defineFormat<{ digest: Buffer; username: string }>({
  id: "postgres-md5",
  family: "digest",
  title: "PostgreSQL md5 (md5 + hex MD5(password || username))",
  needs: ["username"],
  identify: (v) => (/^md5[0-9a-fA-F]{32}$/.test(v) ? 1 : 0),
  parse: (v, params) => {
    if (!/^md5[0-9a-fA-F]{32}$/.test(v)) throw parseError("postgres-md5", "expected md5 followed by 32 hex characters");
    const username = paramString(params, "username") ?? paramString(params, "user") ?? paramString(params, "rolname");
    if (username === undefined) throw paramError("postgres-md5", "username (the role name is the salt)");
    return { digest: hexdecode(v.slice(3))!, username };
  },
  verify: async (pw, p) => ctEqual(digest("md5", pw, p.username), p.digest),
});

export const nthash = defineFormat<Buffer>({
  id: "nthash",
  family: "digest",
  title: "Windows NT hash (MD4 of UTF-16LE password; Samba, AD exports)",
  identify: (v) => (/^[0-9a-fA-F]{32}$/.test(v) ? 0.4 : /^\$NT\$[0-9a-fA-F]{32}$/.test(v) ? 1 : 0),
  parse: (v) => {
    const hex = v.startsWith("$NT$") ? v.slice(4) : v;
    if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw parseError("nthash", "expected 32 hex characters");
    return hexdecode(hex)!;
  },
  verify: async (pw, d) => ctEqual(Buffer.from(await md4(Buffer.from(pw, "utf16le")), "hex"), d),
});
