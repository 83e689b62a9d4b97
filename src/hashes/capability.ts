/**
 * Per-target capability: for each (source format, target) — `native` (pass through), `re-encode`
 * (lossless transform into a format the target accepts), `lazy` (verify at first login through the
 * lazy-migration service, then set the password in the target) or `reset`.
 */
import { AuthmigrateError } from "../errors.js";
import { identify, resolveStored } from "./engine.js";
import type { AnyHashFormat } from "./format.js";
import { type Argon2Parsed, encodeArgon2 } from "./formats/argon2.js";
import { type BcryptParsed, bcryptString } from "./formats/bcrypt.js";
import { type CryptParsed, encodeKratosCrypt } from "./formats/crypt.js";
import { encodeKratosHmac, encodeKratosSha } from "./formats/digest.js";
import { keycloakCredential } from "./formats/keycloak.js";
import type { KeycloakPbkdf2 } from "./formats/keycloak.js";
import type { LdapParsed } from "./formats/ldap.js";
import { type Pbkdf2Parsed, encodePbkdf2Phc } from "./formats/pbkdf2.js";
import {
  type FirebaseScrypt,
  type ScryptParsed,
  encodeFbscryptSupabase,
  encodeFirescryptKratos,
  encodeScryptKratos,
  encodeScryptPhc,
} from "./formats/scrypt.js";
import { FORMATS, getFormat } from "./registry.js";
import type { StoredHash } from "./types.js";
import { type DigestName, b64nopad } from "./util.js";

export type HashStrategy = "native" | "re-encode" | "lazy" | "reset";
export type PlanStrategy = HashStrategy | "temporary" | "sso" | "none";

export const TARGET_IDS = [
  "calimatic",
  "authgear",
  "workos",
  "prelude",
  "auth0",
  "clerk",
  "firebase",
  "kratos",
  "keycloak",
  "supabase",
  "cognito",
  "supertokens",
  "better-auth",
  "file",
] as const;
export type HashTargetId = (typeof TARGET_IDS)[number];

/** Password fields for the target's user payload, plus the target-side format name. */
export interface ConvertedPassword {
  strategy: "native" | "re-encode";
  /** Name of the format as the target calls it (e.g. `bcrypt`, `firebase-scrypt`, `pbkdf2_sha256_django`). */
  targetFormat: string;
  /** Fields to merge into the target's user payload (names as in the target's API). */
  fields: Record<string, unknown>;
  /** Per-import-call settings some targets need (Firebase hash config, SuperTokens signer key…). */
  importConfig?: Record<string, unknown>;
}

// ---------------------------------------------------------------- parsed-value views

/** What every format parses into, seen generically so one converter serves a whole family. */
type Parsed = unknown;

function pbkdf2View(format: string, p: Parsed): Pbkdf2Parsed | undefined {
  if (format === "pbkdf2-keycloak-json") {
    const k = p as KeycloakPbkdf2;
    return { digest: k.digest, iterations: k.iterations, salt: k.salt, dk: k.dk };
  }
  const f = getFormat(format);
  if (f?.family === "pbkdf2" && format !== "postgres-scram-sha256") return p as Pbkdf2Parsed;
  return undefined;
}

function scryptView(format: string, p: Parsed): ScryptParsed | undefined {
  // better-auth NFKC-normalises the password first: not the same function, so not re-encodable.
  if (["scrypt-phc", "scrypt-kratos", "django-scrypt", "werkzeug-scrypt"].includes(format)) return p as ScryptParsed;
  return undefined;
}

function firebaseView(format: string, p: Parsed): FirebaseScrypt | undefined {
  if (["firebase-scrypt", "firebase-scrypt-kratos", "firebase-scrypt-supabase"].includes(format)) return p as FirebaseScrypt;
  return undefined;
}

function argon2View(format: string, p: Parsed): Argon2Parsed | undefined {
  if (["argon2id", "argon2i", "argon2d", "django-argon2"].includes(format)) return p as Argon2Parsed;
  return undefined;
}

/** Plain bcrypt over the raw password (what every bcrypt-accepting target verifies). */
function bcryptView(format: string, p: Parsed): BcryptParsed | undefined {
  if (format === "bcrypt" || format === "django-bcrypt") return p as BcryptParsed;
  if (format === "ldap-crypt" && (p as CryptParsed).scheme === "bcrypt") {
    const c = (p as CryptParsed).crypt;
    return { variant: c.slice(1, 3) as BcryptParsed["variant"], cost: Number(c.slice(4, 6)), body: c.slice(7) };
  }
  return undefined;
}

/** Salted/unsalted single-pass digest: H(prefix || password || suffix). */
interface DigestView {
  alg: DigestName;
  digest: Buffer;
  prefix: Buffer;
  suffix: Buffer;
}
function digestView(format: string, p: Parsed): DigestView | undefined {
  const empty = Buffer.alloc(0);
  const x = p as { alg?: DigestName; digest?: Buffer; salt?: Buffer; username?: string };
  if (/^(md5|sha1|sha224|sha256|sha384|sha512)-raw$/.test(format)) return { alg: x.alg!, digest: x.digest!, prefix: empty, suffix: empty };
  if (/-salted-salt-password$/.test(format) || ["django-salted-sha1", "django-salted-md5", "django-unsalted-sha1", "django-unsalted-md5"].includes(format))
    return { alg: x.alg!, digest: x.digest!, prefix: x.salt!, suffix: empty };
  if (/-salted-password-salt$/.test(format) || format === "joomla-md5") return { alg: x.alg!, digest: x.digest!, prefix: empty, suffix: x.salt! };
  if (["ldap-sha", "ldap-sha256", "ldap-sha384", "ldap-sha512", "ldap-md5", "ldap-ssha", "ldap-ssha256", "ldap-ssha384", "ldap-ssha512", "ldap-smd5"].includes(format)) {
    const l = p as LdapParsed;
    return { alg: l.alg, digest: l.digest, prefix: empty, suffix: l.salt };
  }
  if (format === "postgres-md5") {
    const pg = p as { digest: Buffer; username: string };
    return { alg: "md5", digest: pg.digest, prefix: empty, suffix: Buffer.from(pg.username, "utf8") };
  }
  if (format === "md5-kratos" || format === "sha-pf-kratos") {
    const k = p as { alg: DigestName; template: string; salt: Buffer; digest: Buffer };
    if (k.template === "{PASSWORD}") return { alg: k.alg, digest: k.digest, prefix: empty, suffix: empty };
    if (k.template === "{SALT}{PASSWORD}") return { alg: k.alg, digest: k.digest, prefix: k.salt, suffix: empty };
    if (k.template === "{PASSWORD}{SALT}") return { alg: k.alg, digest: k.digest, prefix: empty, suffix: k.salt };
  }
  return undefined;
}

interface HmacView {
  alg: DigestName;
  digest: Buffer;
  key: Buffer;
}
function hmacView(format: string, p: Parsed): HmacView | undefined {
  if (/^hmac-(md5|sha1|sha256|sha512)$/.test(format) || format === "hmac-kratos") return p as HmacView;
  return undefined;
}

function cryptView(format: string, p: Parsed): CryptParsed | undefined {
  if (["md5-crypt", "sha256-crypt", "sha512-crypt", "apr1-md5-crypt", "des-crypt", "ldap-crypt", "django-crypt"].includes(format)) return p as CryptParsed;
  return undefined;
}

// ---------------------------------------------------------------- per-target converters

type Converter = (format: string, p: Parsed, value: string) => ConvertedPassword | undefined;

const b64 = (b: Buffer) => b.toString("base64");
const native = (targetFormat: string, fields: Record<string, unknown>, importConfig?: Record<string, unknown>): ConvertedPassword => ({
  strategy: "native",
  targetFormat,
  fields,
  ...(importConfig ? { importConfig } : {}),
});
const reenc = (targetFormat: string, fields: Record<string, unknown>, importConfig?: Record<string, unknown>): ConvertedPassword => ({
  strategy: "re-encode",
  targetFormat,
  fields,
  ...(importConfig ? { importConfig } : {}),
});

/** bcrypt string a target listing only $2a$/$2b$ accepts: $2y$ → $2b$ (identical algorithm); $2x$ cannot move. */
function bcryptFor(format: string, p: Parsed, value: string, allowed: readonly string[]): { hash: string; changed: boolean } | undefined {
  const b = bcryptView(format, p);
  if (!b || b.variant === "2x") return undefined;
  const variant = allowed.includes(b.variant) ? b.variant : "2b";
  const hash = bcryptString(b, variant);
  return { hash, changed: hash !== value };
}

function keycloakPair(format: string, p: Parsed): { secretData: string; credentialData: string } | undefined {
  const v = pbkdf2View(format, p);
  if (!v) return undefined;
  const algorithm = v.digest === "sha1" ? "pbkdf2" : v.digest === "sha256" ? "pbkdf2-sha256" : v.digest === "sha512" ? "pbkdf2-sha512" : undefined;
  if (!algorithm) return undefined;
  return keycloakCredential({ algorithm, iterations: v.iterations, salt: v.salt, dk: v.dk });
}

const KEYCLOAK_ARGON2_TYPE = { argon2id: "id", argon2i: "i", argon2d: "d" } as const;

const CONVERTERS: Record<Exclude<HashTargetId, "better-auth" | "file" | "cognito" | "prelude">, Converter> = {
  calimatic: (format, p, value) => {
    const b = bcryptFor(format, p, value, ["2a", "2b"]);
    if (b) return (b.changed || format !== "bcrypt" ? reenc : native)("bcrypt", { passwordHash: b.hash });
    const kc = keycloakPair(format, p);
    if (kc) return (format === "pbkdf2-keycloak-json" ? native : reenc)("pbkdf2-keycloak-json", { passwordHash: JSON.stringify(kc) });
    return undefined;
  },
  authgear: (format, p, value) => {
    const b = bcryptFor(format, p, value, ["2a", "2b", "2y"]);
    if (b) return (b.changed || format !== "bcrypt" ? reenc : native)("bcrypt", { password: { type: "bcrypt", password_hash: b.hash } });
    return undefined;
  },
  workos: (format, p, value) => {
    const b = bcryptFor(format, p, value, ["2a", "2b", "2y"]);
    if (b) return (b.changed || format !== "bcrypt" ? reenc : native)("bcrypt", { password_hash: b.hash, password_hash_type: "bcrypt" });
    const s = scryptView(format, p);
    if (s) return (format === "scrypt-phc" && value === encodeScryptPhc(s) ? native : reenc)("scrypt", { password_hash: encodeScryptPhc(s), password_hash_type: "scrypt" });
    const f = firebaseView(format, p);
    if (f && f.p === 1) {
      const h = `$firebase-scrypt$hash=${b64(f.hash)}$salt=${b64(f.salt)}$sk=${b64(f.signerKey)}$ss=${b64(f.saltSeparator)}$r=${f.rounds}$m=${f.memCost}`;
      return reenc("firebase-scrypt", { password_hash: h, password_hash_type: "firebase-scrypt" });
    }
    if (format === "ldap-ssha") return native("ssha", { password_hash: value, password_hash_type: "ssha" });
    const pb = pbkdf2View(format, p);
    if (pb && ["sha1", "sha256", "sha512"].includes(pb.digest)) return (format === "pbkdf2-phc" ? native : reenc)("pbkdf2", { password_hash: encodePbkdf2Phc(pb), password_hash_type: "pbkdf2" });
    const a = argon2View(format, p);
    if (a && a.type !== "argon2d" && a.version === 0x13) return (format === "django-argon2" ? reenc : native)("argon2", { password_hash: encodeArgon2(a), password_hash_type: "argon2" });
    return undefined;
  },
  auth0: (format, p, value) => {
    const b = bcryptFor(format, p, value, ["2a", "2b"]);
    if (b) return (b.changed || format !== "bcrypt" ? reenc : native)("bcrypt", { password_hash: b.hash });
    const custom = (algorithm: string, rest: Record<string, unknown>) => reenc(`custom_password_hash:${algorithm}`, { custom_password_hash: { algorithm, ...rest } });
    const a = argon2View(format, p);
    if (a) return custom("argon2", { hash: { value: encodeArgon2(a), encoding: "utf8" } });
    const pb = pbkdf2View(format, p);
    if (pb && ["sha1", "sha256", "sha512", "sha224", "sha384"].includes(pb.digest)) return custom("pbkdf2", { hash: { value: encodePbkdf2Phc(pb), encoding: "utf8" } });
    if (/^ldap-(s?sha(256|384|512)?|s?md5)$/.test(format)) return custom("ldap", { hash: { value, encoding: "utf8" } });
    if (format === "nthash") return custom("md4", { hash: { value: (p as Buffer).toString("hex"), encoding: "hex" }, password: { encoding: "utf16le" } });
    const d = digestView(format, p);
    if (d && ["md5", "sha1", "sha256", "sha512"].includes(d.alg) && !(d.prefix.length && d.suffix.length)) {
      const salt = d.prefix.length ? { value: b64(d.prefix), encoding: "base64", position: "prefix" } : d.suffix.length ? { value: b64(d.suffix), encoding: "base64", position: "suffix" } : undefined;
      return custom(d.alg, { hash: { value: d.digest.toString("hex"), encoding: "hex" }, ...(salt ? { salt } : {}), password: { encoding: "utf8" } });
    }
    const h = hmacView(format, p);
    if (h) return custom("hmac", { hash: { value: h.digest.toString("hex"), encoding: "hex", digest: h.alg, key: { value: b64(h.key), encoding: "base64" } }, password: { encoding: "utf8" } });
    const s = scryptView(format, p);
    if (s) return custom("scrypt", { hash: { value: s.hash.toString("hex"), encoding: "hex" }, salt: { value: b64(s.salt), encoding: "base64" }, password: { encoding: "utf8" }, keylen: s.hash.length, cost: s.N, blockSize: s.r, parallelization: s.p });
    return undefined;
  },
  clerk: (format, p, value) => {
    const b = bcryptFor(format, p, value, ["2a", "2b", "2y"]);
    if (b) return (b.changed || format !== "bcrypt" ? reenc : native)("bcrypt", { password_digest: b.hash, password_hasher: "bcrypt", skip_password_checks: true });
    const nat = (hasher: string, digest = value) => native(hasher, { password_digest: digest, password_hasher: hasher, skip_password_checks: true });
    const re = (hasher: string, digest: string) => reenc(hasher, { password_digest: digest, password_hasher: hasher, skip_password_checks: true });
    const a = argon2View(format, p);
    if (a && a.type !== "argon2d") return format === "django-argon2" ? re(a.type, encodeArgon2(a)) : nat(a.type);
    if (format === "bcrypt-sha256-django") return nat("bcrypt_sha256_django");
    if (format === "md5-raw") return re("md5", (p as { digest: Buffer }).digest.toString("hex"));
    if (format === "sha256-raw") return re("sha256", (p as { digest: Buffer }).digest.toString("hex"));
    if (format === "phpass-wordpress" || format === "phpass-phpbb") return (value.startsWith("$P$") ? nat : re)("phpass", "$P$" + value.slice(3));
    if (format === "ldap-ssha") return nat("ldap_ssha");
    if (format === "pbkdf2-sha256-django") return nat("pbkdf2_sha256_django");
    if (format === "pbkdf2-sha1-django") {
      const v = p as Pbkdf2Parsed;
      return re("pbkdf2_sha1", `pbkdf2_sha1$${v.iterations}$${v.salt.toString("utf8")}$${v.dk.toString("hex")}`);
    }
    if (format === "werkzeug-scrypt") return nat("scrypt_werkzeug");
    const f = firebaseView(format, p);
    if (f && f.p === 1) return reenc("scrypt_firebase", { password_digest: `${b64(f.hash)}$${b64(f.salt)}$${b64(f.signerKey)}$${b64(f.saltSeparator)}$${f.rounds}$${f.memCost}`, password_hasher: "scrypt_firebase", skip_password_checks: true });
    return undefined;
  },
  firebase: (format, p, value) => {
    const b = bcryptFor(format, p, value, ["2a", "2b", "2y"]);
    if (b) return (b.changed || format !== "bcrypt" ? reenc : native)("BCRYPT", { passwordHash: b64(Buffer.from(b.hash, "utf8")) }, { algorithm: "BCRYPT" });
    const f = firebaseView(format, p);
    if (f && f.p === 1 && f.memCost <= 14 && f.rounds <= 8)
      return (format === "firebase-scrypt" ? native : reenc)("SCRYPT", { passwordHash: b64(f.hash), salt: b64(f.salt) }, { algorithm: "SCRYPT", key: b64(f.signerKey), saltSeparator: b64(f.saltSeparator), rounds: f.rounds, memoryCost: f.memCost });
    const s = scryptView(format, p);
    if (s)
      return reenc("STANDARD_SCRYPT", { passwordHash: b64(s.hash), salt: b64(s.salt) }, { algorithm: "STANDARD_SCRYPT", memoryCost: s.N, parallelization: s.p, blockSize: s.r, derivedKeyLength: s.hash.length });
    const h = hmacView(format, p);
    if (h) return reenc(`HMAC_${h.alg.toUpperCase()}`, { passwordHash: b64(h.digest) }, { algorithm: `HMAC_${h.alg.toUpperCase()}`, key: b64(h.key) });
    const d = digestView(format, p);
    if (d && ["md5", "sha1", "sha256", "sha512"].includes(d.alg) && d.prefix.length === 0 && d.suffix.length === 0) {
      const alg = d.alg.toUpperCase();
      return reenc(alg, { passwordHash: b64(d.digest) }, { algorithm: alg, rounds: d.alg === "md5" ? 0 : 1 });
    }
    return undefined;
  },
  kratos: (format, p, value) => {
    const hp = (h: string, nat = false) => (nat ? native : reenc)("hashed_password", { credentials: { password: { config: { hashed_password: h } } } });
    const b = bcryptFor(format, p, value, ["2a", "2b", "2y"]);
    if (b) return hp(b.hash, !b.changed && format === "bcrypt");
    const a = argon2View(format, p);
    if (a && a.type !== "argon2d") return hp(encodeArgon2(a), format !== "django-argon2" && value === encodeArgon2(a));
    const pb = pbkdf2View(format, p);
    if (pb && ["sha1", "sha256", "sha512"].includes(pb.digest)) return hp(encodePbkdf2Phc(pb), format === "pbkdf2-phc");
    const s = scryptView(format, p);
    if (s) return hp(encodeScryptKratos(s), format === "scrypt-kratos");
    const f = firebaseView(format, p);
    if (f) return hp(encodeFirescryptKratos(f), format === "firebase-scrypt-kratos");
    if (["ldap-ssha", "ldap-ssha256", "ldap-ssha512"].includes(format)) return hp(value, true);
    const c = cryptView(format, p);
    const kc = c ? encodeKratosCrypt(c) : undefined;
    if (kc) return hp(kc, false);
    const h = hmacView(format, p);
    if (h) return hp(format === "hmac-kratos" ? value : encodeKratosHmac(h), format === "hmac-kratos");
    const d = digestView(format, p);
    if (d && ["md5", "sha1", "sha256", "sha512"].includes(d.alg) && !(d.prefix.length && d.suffix.length)) {
      const template = d.prefix.length ? "{SALT}{PASSWORD}" : d.suffix.length ? "{PASSWORD}{SALT}" : "{PASSWORD}";
      const salt = d.prefix.length ? d.prefix : d.suffix;
      const isNative = format === "md5-kratos" || format === "sha-pf-kratos";
      if (d.alg === "md5" && template === "{PASSWORD}") return hp(isNative ? value : `$md5$${b64(d.digest)}`, isNative);
      return hp(isNative ? value : encodeKratosSha({ alg: d.alg, template, salt, digest: d.digest }), isNative);
    }
    return undefined;
  },
  keycloak: (format, p) => {
    const cred = (pair: { secretData: string; credentialData: string }, nat: boolean) =>
      (nat ? native : reenc)(nat ? "pbkdf2-keycloak-json" : "keycloak-credential", { credentials: [{ type: "password", ...pair, temporary: false }] });
    const kc = keycloakPair(format, p);
    if (kc) return cred(kc, format === "pbkdf2-keycloak-json");
    const a = argon2View(format, p);
    if (a) {
      const pair = {
        secretData: JSON.stringify({ value: b64(a.hash), salt: b64(a.salt), additionalParameters: {} }),
        credentialData: JSON.stringify({
          hashIterations: a.t,
          algorithm: "argon2",
          additionalParameters: {
            type: [KEYCLOAK_ARGON2_TYPE[a.type]],
            version: [a.version === 0x13 ? "1.3" : "1.0"],
            hashLength: [String(a.hash.length)],
            memory: [String(a.m)],
            parallelism: [String(a.p)],
          },
        }),
      };
      return cred(pair, false);
    }
    return undefined;
  },
  supabase: (format, p, value) => {
    const b = bcryptFor(format, p, value, ["2a", "2b", "2y"]);
    if (b) return (b.changed || format !== "bcrypt" ? reenc : native)("bcrypt", { password_hash: b.hash });
    const a = argon2View(format, p);
    if (a && a.type !== "argon2d" && a.version === 0x13) return (format === "django-argon2" || value !== encodeArgon2(a) ? reenc : native)("argon2", { password_hash: encodeArgon2(a) });
    const f = firebaseView(format, p);
    if (f) return (format === "firebase-scrypt-supabase" ? native : reenc)("fbscrypt", { password_hash: encodeFbscryptSupabase(f) });
    return undefined;
  },
  supertokens: (format, p, value) => {
    const b = bcryptFor(format, p, value, ["2a", "2b", "2y"]);
    if (b) return (b.changed || format !== "bcrypt" ? reenc : native)("bcrypt", { passwordHash: b.hash, hashingAlgorithm: "bcrypt" });
    const a = argon2View(format, p);
    if (a && a.version === 0x13) return (format === "django-argon2" ? reenc : native)("argon2", { passwordHash: encodeArgon2(a), hashingAlgorithm: "argon2" });
    const f = firebaseView(format, p);
    if (f && f.p === 1)
      return reenc("firebase_scrypt", { passwordHash: `$f_scrypt$${b64(f.hash)}$${b64(f.salt)}$m=${f.memCost}$r=${f.rounds}$s=${b64(f.saltSeparator)}`, hashingAlgorithm: "firebase_scrypt" }, { firebase_password_hashing_signer_key: b64(f.signerKey) });
    return undefined;
  },
};

/** Targets with a lazy path (a login hook or a documented rolling/dual-write migration). */
const LAZY: Record<HashTargetId, string | undefined> = {
  calimatic: "dual auth: legacy login stays behind AUTH_MODE while users move, the lazy service sets the password on first login",
  authgear: "rolling migration: the lazy service verifies the legacy hash and sets the password through the Admin API",
  workos: "dual-write from the login path: verify with the lazy service, then create/update the user with the just-verified password",
  prelude: "Prelude's migration hook (session_validation_url) calls the lazy service",
  auth0: "custom database connection in import mode: the login script calls the lazy service",
  clerk: undefined,
  firebase: undefined,
  kratos: "password migration hook (use_password_migration_hook) calls the lazy service",
  keycloak: "user-storage provider (keycloak-user-migration) calls the lazy service",
  supabase: "verify in your backend with the lazy service, then PUT the password through the admin API",
  cognito: "Migrate-user Lambda trigger calls the lazy service",
  supertokens: "overridden sign-in recipe calls the lazy service, then signs the user up",
  "better-auth": "legacyPasswords() plugin",
  file: "n/a",
};

const NATIVE_ALL = new Set<HashTargetId>(["better-auth", "file"]);

function formatOrThrow(formatId: string): AnyHashFormat {
  const f = getFormat(formatId);
  if (!f) {
    throw new AuthmigrateError("HASH_UNSUPPORTED_FORMAT", `Unknown password hash format "${formatId}"`, {
      hint: "See docs/password-formats.md for supported ids.",
      meta: { format: formatId },
    });
  }
  return f;
}

function targetOrThrow(targetId: string): HashTargetId {
  if (!(TARGET_IDS as readonly string[]).includes(targetId)) {
    throw new AuthmigrateError("HASH_UNKNOWN_TARGET", `Unknown target "${targetId}" for hash conversion`, { hint: `one of: ${TARGET_IDS.join(", ")}` });
  }
  return targetId as HashTargetId;
}

function fallback(target: HashTargetId, formatId: string, why: string): { strategy: HashStrategy; reason: string } {
  const f = getFormat(formatId);
  const lazy = LAZY[target];
  if (f?.verifiable === false) {
    return { strategy: "reset", reason: `${formatId} cannot be verified by authmigrate (${why}); send a password reset` };
  }
  if (lazy) return { strategy: "lazy", reason: `${target} cannot import ${formatId} (${why}); verify at first login: ${lazy}` };
  return { strategy: "reset", reason: `${target} cannot import ${formatId} (${why}) and has no lazy-migration path; send a password reset` };
}

/**
 * A synthetic sample per format to ask the converters what they do with it (capability is per
 * format; `convert` is per value and may still refuse an unusual value, e.g. argon2 v=16).
 */
function sampleParsed(formatId: string): { parsed: Parsed; value: string } | undefined {
  const s = SAMPLES[formatId];
  if (!s) return undefined;
  try {
    const r = resolveStored({ format: formatId, value: s.value, params: s.params ?? {} });
    return { parsed: r.format.parse(r.value, r.params), value: r.value };
  } catch {
    return undefined;
  }
}

/** What `targetId` can do with `formatId`. Never throws for known ids. */
export function capability(formatId: string, targetId: string): { strategy: HashStrategy; reason: string } {
  const target = targetOrThrow(targetId);
  const f = formatOrThrow(formatId);
  if (NATIVE_ALL.has(target)) {
    if (f.verifiable === false) return { strategy: "reset", reason: `${f.id} cannot be verified by authmigrate; send a password reset` };
    return {
      strategy: "native",
      reason: target === "file" ? "the file target stores the hash as-is (packed with its params)" : "stored as-is; the legacyPasswords() plugin verifies it at sign-in and upgrades it",
    };
  }
  const conv = (CONVERTERS as Partial<Record<HashTargetId, Converter>>)[target];
  if (!conv) return fallback(target, f.id, target === "cognito" ? "Cognito user import takes no password hashes" : "no documented hash-import format");
  const sample = sampleParsed(f.id);
  const out = sample ? conv(f.id, sample.parsed, sample.value) : undefined;
  if (!out) return fallback(target, f.id, "not among its accepted hash formats and not losslessly convertible");
  return {
    strategy: out.strategy,
    reason: out.strategy === "native" ? `${target} accepts ${f.id} as ${out.targetFormat}` : `lossless re-encoding of ${f.id} into ${target}'s ${out.targetFormat}`,
  };
}

/** Target password fields for one stored hash, or an error naming the strategy that applies instead. */
export function convert(stored: StoredHash, targetId: string): ConvertedPassword {
  const target = targetOrThrow(targetId);
  const { format, value, params } = resolveStored(stored);
  const parsed: Parsed = format.parse(value, params);
  if (NATIVE_ALL.has(target)) {
    if (format.verifiable === false) throw notConvertible(target, format.id, { strategy: "reset", reason: `${format.id} cannot be verified by authmigrate` });
    // Self-describing strings go as-is; anything needing params is packed into one self-describing string.
    // Pack when the string alone would not name this format with certainty (or needs params).
    const cands = identify(value);
    const certain = cands[0]?.format === format.id && cands[0].confidence >= 1 && !(cands[1] && cands[1].confidence >= 1);
    const needsPack = Object.keys(params).length > 0 || !certain;
    const hash = needsPack ? packFor(format.id, value, params) : value;
    return native(format.id, target === "better-auth" ? { password: hash } : { format: format.id, value, params, packed: hash });
  }
  const conv = (CONVERTERS as Partial<Record<HashTargetId, Converter>>)[target];
  const out = conv ? conv(format.id, parsed, value) : undefined;
  if (!out) {
    const cap = capability(format.id, target);
    const fb = cap.strategy === "native" || cap.strategy === "re-encode" ? fallback(target, format.id, "this particular value cannot be carried over") : cap;
    throw notConvertible(target, format.id, fb);
  }
  return out;
}

function packFor(format: string, value: string, params: Record<string, unknown>): string {
  const payload = Buffer.from(JSON.stringify({ value, params }), "utf8").toString("base64url");
  return `$authmigrate$${format}$${payload}`;
}

function notConvertible(target: string, format: string, s: { strategy: HashStrategy; reason: string }): AuthmigrateError {
  return new AuthmigrateError("HASH_NOT_CONVERTIBLE", `${target} cannot import ${format} hashes: use strategy "${s.strategy}"`, {
    hint: s.reason,
    meta: { target, format, strategy: s.strategy },
  });
}

/** Full matrix: rows = formats, columns = targets. */
export function capabilityMatrix(targets: readonly string[] = TARGET_IDS): { format: string; family: string; verifiable: boolean; targets: Record<string, { strategy: HashStrategy; reason: string }> }[] {
  return FORMATS.map((f) => ({
    format: f.id,
    family: f.family,
    verifiable: f.verifiable !== false,
    targets: Object.fromEntries(targets.map((t) => [t, capability(f.id, t)])),
  }));
}

type CredentialLike = { kind: "none" } | { kind: "hash"; format: string; value: string; params?: Record<string, unknown> } | undefined | null;

/** The planner's per-user decision. `forced` comes from config (`passwords.strategy`) or the CLI. */
export function chooseStrategy(
  credential: CredentialLike,
  targetId: string,
  forced?: "hash" | "reset" | "temporary" | "sso",
): { strategy: PlanStrategy; reason: string } {
  if (forced === "reset") return { strategy: "reset", reason: "password strategy forced to reset" };
  if (forced === "temporary") return { strategy: "temporary", reason: "password strategy forced to temporary password" };
  if (forced === "sso") return { strategy: "sso", reason: "password strategy forced to SSO" };
  if (!credential || credential.kind !== "hash") return { strategy: "none", reason: "the legacy user has no password" };
  const target = targetOrThrow(targetId);
  if (!getFormat(credential.format) && credential.format !== "auto") {
    return fallback(target, credential.format, "unknown hash format");
  }
  try {
    const out = convertedStrategy({ format: credential.format, value: credential.value, params: credential.params ?? {} }, target);
    return { strategy: out.strategy, reason: capabilityReason(out, target) };
  } catch (e) {
    const err = e as AuthmigrateError;
    if (err.code === "HASH_NOT_CONVERTIBLE") return { strategy: err.meta.strategy as HashStrategy, reason: err.hint ?? err.message };
    if (err.code === "HASH_PARSE_ERROR" || err.code === "HASH_PARAMS_TOO_EXPENSIVE" || err.code === "HASH_AMBIGUOUS_FORMAT" || err.code === "HASH_UNSUPPORTED_FORMAT") {
      return fallback(target, credential.format, `the stored value is not usable: ${err.code}`);
    }
    throw e;
  }
}

/**
 * `convert()`'s strategy without its output fields. For targets that store every hash as-is
 * (better-auth, file) the fields are a packed string (identify + base64 of JSON) the planner
 * throws away, once per user; the checks (parse, verifiable) and errors are convert()'s own.
 */
function convertedStrategy(stored: StoredHash, target: HashTargetId): Pick<ConvertedPassword, "strategy" | "targetFormat"> {
  if (!NATIVE_ALL.has(target)) return convert(stored, target);
  const { format, value, params } = resolveStored(stored);
  format.parse(value, params);
  if (format.verifiable === false) throw notConvertible(target, format.id, { strategy: "reset", reason: `${format.id} cannot be verified by authmigrate` });
  return { strategy: "native", targetFormat: format.id };
}

function capabilityReason(out: Pick<ConvertedPassword, "strategy" | "targetFormat">, target: string): string {
  return out.strategy === "native" ? `${target} accepts the hash as ${out.targetFormat}` : `re-encoded losslessly into ${target}'s ${out.targetFormat}`;
}

// Representative values (public test vectors) used to evaluate per-format capability.
const SAMPLES: Record<string, { value: string; params?: Record<string, unknown> }> = {
  bcrypt: { value: "$2b$04$LPy8o7Ply1nWjadB3Uoc8OTGJvo799i2fuAtv7svqFGv5gTzwJPH." },
  "django-bcrypt": { value: "bcrypt$$2b$12$kogdBG181xPtoFdlSm9qWeyo9DK4FlRe6CnpEUkwbtt./4p7upSfS" },
  "devise-bcrypt": { value: "$2b$04$LPy8o7Ply1nWjadB3Uoc8OTGJvo799i2fuAtv7svqFGv5gTzwJPH.", params: { pepper: "x" } },
  "bcrypt-sha256-django": { value: "bcrypt_sha256$$2b$12$hw4xJqzKKF2tpwnvNTx/Le/r0yUwMeorfugd4zlqxgYFtrc2LmA8a" },
  "bcrypt-sha256-passlib": { value: "$bcrypt-sha256$v=2,t=2b,r=10$/AlnKu03ScWgESttsFrwnu$PL4566GGebRlRacIPZXZEn5PI/L5WuW" },
  "wordpress-bcrypt": { value: "$wp$2y$10$VPR/zxZhkiLtE57XTkimpeGKpwMsSaJTMVtieTQEjWQXREI1.Y40a" },
  argon2id: { value: "$argon2id$v=19$m=4096,t=2,p=1$lW+DxxdO5T2NH+9eJfsbXw$rXprjUIqT/8gviHqzDDI+7PBdCYEVJels+C9g5ySfcU" },
  argon2i: { value: "$argon2i$v=19$m=4096,t=3,p=1$cmFuZG9tc2FsdGlzaGFyZA$MZVgGm0EKDjyBzQzivuMdKL7Ma5DVF4YYBcSmOhBH2A" },
  argon2d: { value: "$argon2d$v=19$m=4096,t=3,p=1$cmFuZG9tc2FsdGlzaGFyZA$CB0Du96aj3fQVcVSqb0LIA6Z6fpStjzjVkaC3RaqZ9k" },
  "django-argon2": { value: "argon2$argon2id$v=19$m=102400,t=2,p=8$Y041dExhNkljRUUy$TMa6A8fPJhCAUXRhJXCXdw" },
  "scrypt-phc": { value: "$scrypt$ln=14,r=8,p=1$HLuG/HRh9DI1WLNN7+YhfQ$cRcGC12rG/YzivYwz8f83QmjqRNV90DCDsSb6rAbCgE" },
  "scrypt-kratos": { value: "$scrypt$ln=16384,r=8,p=1$2npRo7P03Mt8keSoMbyD/tKFWyUzjiQf2svUaNDSrhA=$MiCzNcIplSMqSBrm4HckjYqYhaVPPjTARTzwB1cVNYE=" },
  "django-scrypt": { value: "scrypt$16384$seasalt$8$1$Qj3+9PPyRjSJIebHnG81TMjsqtaIGxNQG/aEB/NYafTJ7tibgfYz71m0ldQESkXFRVx8DcbzkDJ0NYuS9XNMQg==" },
  "werkzeug-scrypt": { value: "scrypt:32768:8:1$saltsalt$" + "ab".repeat(64) },
  "better-auth-scrypt": { value: "0123456789abcdef0123456789abcdef:" + "ab".repeat(64) },
  "firebase-scrypt": {
    value: "lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==",
    params: { signer_key: "jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==", salt_separator: "Bw==", rounds: 8, mem_cost: 14, salt: "42xEC+ixf3L2lw==" },
  },
  "firebase-scrypt-kratos": {
    value: "$firescrypt$ln=14,r=8,p=1$sPtDhWcd1MfdAw==$xbSou7FOl6mChCyzpCPIQ7tku7nsQMTFtyOZSXXd7tjBa4NtimOx7v42Gv2SfzPQu1oxM2/k4SsbOu73wlKe1A==$Bw==$YE0dO4bwD4JnJafh6lZZfkp1MtKzuKAXQcDCJNJNyeCHairWHKENOkbh3dzwaCdizzOspwr/FITUVlnOAwPKyw==",
  },
  "firebase-scrypt-supabase": { value: "$fbscrypt$v=1,n=14,r=8,p=1,ss=Bw==,sk=YE0dO4bwD4JnJafh6lZZfkp1MtKzuKAXQcDCJNJNyeCHairWHKENOkbh3dzwaCdizzOspwr/FITUVlnOAwPKyw==$sPtDhWcd1MfdAw==$xbSou7FOl6mChCyzpCPIQ7tku7nsQMTFtyOZSXXd7tjBa4NtimOx7v42Gv2SfzPQu1oxM2/k4SsbOu73wlKe1A==" },
  "pbkdf2-sha256-django": { value: "pbkdf2_sha256$390000$seasalt$8xBlGd3jVgvJ+92hWPxi5ww0uuAuAnKgC45eudxro7c=" },
  "pbkdf2-sha1-django": { value: "pbkdf2_sha1$36000$tIm3sAlt9Q$0Bf0T9MOJ/yTru1KqSzvGU/5DVw=" },
  "pbkdf2-passlib-sha256": { value: "$pbkdf2-sha256$1212$4vjV83LKPjQzk31VI4E0Vw$hsYF68OiOUPdDZ1Fg.fJPeq1h/gXXY7acBp9/6c.tmQ" },
  "pbkdf2-passlib-sha512": { value: "$pbkdf2-sha512$25000$4fTDk0osAXt8jXN.1jQKjA$RV.bwJDXe2Ek7BQ1ZzPJIXIaFmLOOhU47iWdlkfG3ydU7kDHz3ZJmHaL/HJuJ4Ru0Q/J0xEWYn9dmSY4K7T7IA" },
  "pbkdf2-passlib-sha1": { value: "$pbkdf2$131000$KGPDGpQEM/s1W7oJkAZMyA$.SAw4Sx5m2iZmm.UTRuyGm./9ZA" },
  "pbkdf2-phc": { value: "$pbkdf2-sha256$i=20000,l=32$CYt9CYQdW/iayfmzAuYJ9t09ozEMPU13+3SyYUJLuao$B1hEeut2cUTyyhjcS8rBZBiA3GVpNxw8iDDdD7N+a1A" },
  "pbkdf2-keycloak-json": {
    value: '{"value":"/bVkHA4G/VOskjaCgNYyTz1BhgD+9X8bxCNEPGGpnDCJbWHDXIW0G8IlSBhDdJsXTjrXt/7yQguBwJ3sxSmSKA==","salt":"lZtleWv1DeEcNIr8MTzdeg==","additionalParameters":{}}',
    params: { credentialData: '{"hashIterations":27500,"algorithm":"pbkdf2-sha256","additionalParameters":{}}' },
  },
  "aspnet-identity-v3": { value: "AQAAAAEAACcQAAAAEAABAgMEBQYHCAkKCwwNDg+yWU7rLgUwPZb1Itsmra7cbxw2EFpwpVFIEtP+JIuUEw==" },
  "aspnet-identity-v2": { value: "AAABAgMEBQYHCAkKCwwNDg+ukCEMDf0yyQ29NYubggHIVY0sdEUfdyeM+E1LtH1uJg==" },
  "atlassian-pbkdf2": { value: "{PKCS5S2}c4xaeTQM0lUieMS3V5voiexyX9XhqC2dBd5ecVy60IPksHChwoTAVYFrhsgoq8/p" },
  "werkzeug-pbkdf2": { value: "pbkdf2:sha256:600000$saltsalt$" + "ab".repeat(32) },
  "ldap-pbkdf2-sha256": { value: "{PBKDF2-SHA256}29000$KcXYW8uZ01oL4dzbG.Nc6w$rA0aX5JhryDNzg4bq.WjuOAfgrOYRLJi1jGzzydrLnQ" },
  "ldap-pbkdf2-sha512": { value: "{PBKDF2-SHA512}25000$4fTDk0osAXt8jXN.1jQKjA$RV.bwJDXe2Ek7BQ1ZzPJIXIaFmLOOhU47iWdlkfG3ydU7kDHz3ZJmHaL/HJuJ4Ru0Q/J0xEWYn9dmSY4K7T7IA" },
  "ldap-pbkdf2-sha1": { value: "{PBKDF2}131000$KGPDGpQEM/s1W7oJkAZMyA$.SAw4Sx5m2iZmm.UTRuyGm./9ZA" },
  "postgres-scram-sha256": { value: "SCRAM-SHA-256$4096:YAev+lHoaJ6mWMVTurc1Iw==$8mCnXydP0/7M25LBpWJwy8+MikmH8a18fHOt6ZLdhJk=:c0PINJLEW/DeemhF5lZ3mBIwhD8RdW4ACGPuQTe1AFo=" },
  "ldap-ssha": { value: "{SSHA}JFZFs0oHzxbMwkSJmYVeI8MnTDy/276a" },
  "ldap-ssha256": { value: "{SSHA256}czO44OTV17PcF1cRxWrLZLy9xHd7CWyVYplr1rOhuMlx/7IK" },
  "ldap-ssha384": { value: "{SSHA384}" + Buffer.alloc(52, 1).toString("base64") },
  "ldap-ssha512": { value: "{SSHA512}" + Buffer.alloc(72, 1).toString("base64") },
  "ldap-sha": { value: "{SHA}at+xg6SiyUovktq1redipHiJpaE=" },
  "ldap-sha256": { value: "{SHA256}HIv+j4AdeXRcRjHQn/82yCqjf8TM5PyUZoPXsza2MDI=" },
  "ldap-sha384": { value: "{SHA384}" + Buffer.alloc(48, 1).toString("base64") },
  "ldap-sha512": { value: "{SHA512}" + Buffer.alloc(64, 1).toString("base64") },
  "ldap-md5": { value: "{MD5}/F4DjTilcDIIVEHn/nAQsA==" },
  "ldap-smd5": { value: "{SMD5}UjFY34os/pnZQ3oQOzjqGu4yeXE=" },
  "ldap-crypt": { value: "{CRYPT}$6$LdApCrYpTsAlT01$6ZE/L2HJ5k/STEubphg1W1Eh/39kPziLYPIGMphDxGuz1Ij62MMEaxDwyWHgo98ypwjiVXOgYY5I6g2Hcp1km/" },
  "phpass-wordpress": { value: "$P$B9wyjxuU4yrfjnnHNGSzH9ti9CC0Os1" },
  "phpass-phpbb": { value: "$H$9aaaaaSXBjgypwqm.JsMssPLiS8YQ00" },
  "drupal7-sha512": { value: "$S$DeIZ1KTE.VzRvudZ5.xgOakipuMFrVyPmRdWTjAdYieWj27NMglI" },
  "drupal7-sha512-md5-upgraded": { value: "U$S$9chJ7xuufT2QJt1JzHdw10I1LqQceTcTLV.E9RKcybtM38t3RzyE" },
  "md5-crypt": { value: "$1$kJ4QkJaQ$3EbD/pJddrq5HW3mpZ4KZ1" },
  "apr1-md5-crypt": { value: "$apr1$r31.....$HqJZimcKQFAMYayBlzkrA/" },
  "sha256-crypt": { value: "$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5" },
  "sha512-crypt": { value: "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1" },
  "des-crypt": { value: "Qxy3DHZe4jwD." },
  "django-crypt": { value: "crypt$$ab1Hv2Lg7ltQo" },
  yescrypt: { value: "$y$j9T$tar5Q5.XRD6PeSMO3DpAU.$cHnFP.Y640lQHkNYTvE90GPohFyWzG7XI7KwY8U.cb1" },
  "md5-raw": { value: "5f4dcc3b5aa765d61d8327deb882cf99" },
  "sha1-raw": { value: "5baa61e4c9b93f3f0682250b6cf8331b7ee68fd8" },
  "sha224-raw": { value: "ab".repeat(28) },
  "sha256-raw": { value: "c4bbcb1fbec99d65bf59d85c8cb62ee2db963f0fe106f483d9afa73bd4e39a8a" },
  "sha384-raw": { value: "ab".repeat(48) },
  "sha512-raw": { value: "ab".repeat(64) },
  "joomla-md5": { value: "b18c99813cd96df3a706652f47177490:377c4aaf92c5ed57711306909e6065ca" },
  "sha-pf-kratos": { value: "$sha256$pf=e1NBTFR9e1BBU1NXT1JEfQ==$NW9wbWtnejAzcg==$0gfRVLCvtBCk20udLDEY5vNhujWx7RGjwRIS1ebMsLY=" },
  "md5-kratos": { value: "$md5$CY9rzUYh03PK3k6DJie09g==" },
  "hmac-kratos": { value: "$hmac-sha256$ZTAzMWJhMWMyOTM4YjFkMjgzZjkxOWExZGY5YWM2NmMxOTJhN2RkNzQ0MzJkNWZkNGFkYTI5OTk0MWJhMTA5Zg==$MTIzNDU=" },
  "django-salted-sha1": { value: "sha1$seasalt$cff36ea83f5706ce9aa7454e63e431fc726b2dc8" },
  "django-salted-md5": { value: "md5$seasalt$3f86d0d3d465b7b458c231bf3555c0e3" },
  "django-unsalted-sha1": { value: "sha1$$076d3e6c4b9f654b5b220b9045b7458ab6b4cbc6" },
  "django-unsalted-md5": { value: "md5$$" + "ab".repeat(16) },
  mysql41: { value: "*2C905879F74F28F8570989947D06A8429FB943E6" },
  mysql323: { value: "5d2e19393cc5ef67" },
  "postgres-md5": { value: "md55fba2ea04fd36069d2574ea71c8efe9d", params: { username: "postgres" } },
  nthash: { value: "6677b2c394311355b54f25eec5bfacf5" },
};
for (const alg of ["md5", "sha1", "sha256", "sha512"] as const) {
  const len = { md5: 16, sha1: 20, sha256: 32, sha512: 64 }[alg];
  SAMPLES[`${alg}-salted-salt-password`] = { value: "ab".repeat(len), params: { salt: "s" } };
  SAMPLES[`${alg}-salted-password-salt`] = { value: "ab".repeat(len), params: { salt: "s" } };
  SAMPLES[`hmac-${alg}`] = { value: "ab".repeat(len), params: { key: "k" } };
}
void b64nopad;
