import { verifySync as nativeBcryptVerify } from "@node-rs/bcrypt";
import { AuthmigrateError } from "../../errors.js";
import { defineFormat } from "../format.js";
import { LIMITS, checkLimit, digest, hmac, paramString, parseError, utf8 } from "../util.js";

/** Parsed bcrypt string ($2a$/$2b$/$2y$/$2x$). `key` transforms the password before bcrypt. */
export interface BcryptParsed {
  variant: "2a" | "2b" | "2x" | "2y";
  cost: number;
  /** 22 chars bcrypt-base64 salt + 31 chars checksum. */
  body: string;
}

const BCRYPT_RE = /^\$(2[abxy])\$(\d{2})\$([./A-Za-z0-9]{53})$/;

export function isBcrypt(value: string): boolean {
  return BCRYPT_RE.test(value);
}

export function parseBcrypt(format: string, value: string): BcryptParsed {
  const m = BCRYPT_RE.exec(value);
  if (!m) throw parseError(format, "expected $2a$/$2b$/$2y$/$2x$, a 2-digit cost and 53 characters of salt+checksum");
  const cost = Number(m[2]);
  if (cost < 4) throw parseError(format, "bcrypt cost below 4");
  checkLimit(format, "bcrypt cost", cost, LIMITS.bcryptCost);
  return { variant: m[1] as BcryptParsed["variant"], cost, body: m[3]! };
}

export function bcryptString(p: BcryptParsed, variant = p.variant): string {
  return `$${variant}$${String(p.cost).padStart(2, "0")}$${p.body}`;
}

/**
 * Classic bcrypt semantics: the key is the password's UTF-8 bytes, truncated to 72 bytes.
 * `$2x$` (crypt_blowfish's sign-extension bug) equals `$2a$` for 7-bit input only.
 */
export function bcryptVerifyBytes(format: string, key: Uint8Array, p: BcryptParsed): boolean {
  let variant = p.variant;
  if (variant === "2x") {
    if (key.some((b) => b >= 0x80)) {
      throw new AuthmigrateError(
        "HASH_UNVERIFIABLE",
        `${format}: $2x$ hashes reproduce a historic bug for non-ASCII passwords and cannot be verified here`,
        { hint: "Use lazy migration through the legacy system or a password reset for these users.", meta: { format } },
      );
    }
    variant = "2a";
  }
  // @node-rs/bcrypt accepts $2a/$2b/$2y; the algorithm is identical for all three.
  const key72 = key.length > 72 ? key.subarray(0, 72) : key;
  return nativeBcryptVerify(Buffer.from(key72), bcryptString(p, variant === "2y" ? "2b" : variant));
}

export const bcrypt = defineFormat<BcryptParsed>({
  id: "bcrypt",
  family: "bcrypt",
  title: "bcrypt $2a$/$2b$/$2y$/$2x$ (OpenBSD, PHP/Laravel, Rails, Node)",
  identify: (v) => (BCRYPT_RE.test(v) ? 1 : 0),
  parse: (v) => parseBcrypt("bcrypt", v),
  verify: async (pw, p) => bcryptVerifyBytes("bcrypt", utf8(pw), p),
  heavy: true,
});

/** Devise (Rails): bcrypt over password + pepper (`config.pepper`); with no pepper it is plain bcrypt. */
export const deviseBcrypt = defineFormat<BcryptParsed & { pepper: string }>({
  id: "devise-bcrypt",
  family: "bcrypt",
  title: "Devise bcrypt with optional pepper (bcrypt(password + pepper))",
  needs: ["pepper"],
  identify: () => 0, // indistinguishable from bcrypt: chosen through hashes.assume / --format
  parse: (v, params) => ({ ...parseBcrypt("devise-bcrypt", v), pepper: paramString(params, "pepper") ?? "" }),
  verify: async (pw, p) => bcryptVerifyBytes("devise-bcrypt", utf8(pw + p.pepper), p),
  heavy: true,
});

/** Django `bcrypt$` + bcrypt string (BCryptPasswordHasher). */
export const djangoBcrypt = defineFormat<BcryptParsed>({
  id: "django-bcrypt",
  family: "bcrypt",
  title: "Django BCryptPasswordHasher (bcrypt$ + bcrypt)",
  identify: (v) => (v.startsWith("bcrypt$") && BCRYPT_RE.test(v.slice(7)) ? 1 : 0),
  parse: (v) => {
    if (!v.startsWith("bcrypt$")) throw parseError("django-bcrypt", "missing bcrypt$ prefix");
    return parseBcrypt("django-bcrypt", v.slice(7));
  },
  verify: async (pw, p) => bcryptVerifyBytes("django-bcrypt", utf8(pw), p),
  heavy: true,
});

/** Django `bcrypt_sha256$` + bcrypt over hex(SHA-256(password)). */
export const djangoBcryptSha256 = defineFormat<BcryptParsed>({
  id: "bcrypt-sha256-django",
  family: "bcrypt",
  title: "Django BCryptSHA256PasswordHasher (bcrypt over hex SHA-256)",
  identify: (v) => (v.startsWith("bcrypt_sha256$") && BCRYPT_RE.test(v.slice(14)) ? 1 : 0),
  parse: (v) => {
    if (!v.startsWith("bcrypt_sha256$")) throw parseError("bcrypt-sha256-django", "missing bcrypt_sha256$ prefix");
    return parseBcrypt("bcrypt-sha256-django", v.slice(14));
  },
  verify: async (pw, p) => bcryptVerifyBytes("bcrypt-sha256-django", utf8(digest("sha256", pw).toString("hex")), p),
  heavy: true,
});

/**
 * passlib bcrypt_sha256.
 *  v2: `$bcrypt-sha256$v=2,t=2b,r=12$<salt22>$<checksum31>`; key = base64(HMAC-SHA256(key=salt, msg=password))
 *  v1: `$bcrypt-sha256$2a,12$<salt22>$<checksum31>`;         key = base64(SHA-256(password))
 */
const PASSLIB_V2 = /^\$bcrypt-sha256\$v=2,t=(2[ab]),r=(\d{1,2})\$([./A-Za-z0-9]{22})\$([./A-Za-z0-9]{31})$/;
const PASSLIB_V1 = /^\$bcrypt-sha256\$(2[ab]),(\d{1,2})\$([./A-Za-z0-9]{22})\$([./A-Za-z0-9]{31})$/;
export const passlibBcryptSha256 = defineFormat<BcryptParsed & { v: 1 | 2; salt: string }>({
  id: "bcrypt-sha256-passlib",
  family: "bcrypt",
  title: "passlib bcrypt_sha256 ($bcrypt-sha256$, v1 and v2)",
  identify: (v) => (PASSLIB_V2.test(v) || PASSLIB_V1.test(v) ? 1 : v.startsWith("$bcrypt-sha256$") ? 0.5 : 0),
  parse: (v) => {
    const m2 = PASSLIB_V2.exec(v);
    const m = m2 ?? PASSLIB_V1.exec(v);
    if (!m) throw parseError("bcrypt-sha256-passlib", "expected $bcrypt-sha256$v=2,t=2b,r=<cost>$<salt>$<checksum>");
    const parsed = parseBcrypt("bcrypt-sha256-passlib", `$${m[1]}$${m[2]!.padStart(2, "0")}$${m[3]}${m[4]}`);
    return { ...parsed, v: m2 ? 2 : 1, salt: m[3]! };
  },
  verify: async (pw, p) => {
    const key = p.v === 2 ? hmac("sha256", p.salt, pw).toString("base64") : digest("sha256", pw).toString("base64");
    return bcryptVerifyBytes("bcrypt-sha256-passlib", utf8(key), p);
  },
  heavy: true,
});

/** WordPress 6.8+: `$wp` + bcrypt over base64(HMAC-SHA384(key="wp-sha384", msg=password)). */
export const wordpressBcrypt = defineFormat<BcryptParsed>({
  id: "wordpress-bcrypt",
  family: "bcrypt",
  title: "WordPress 6.8+ $wp$2y$ (bcrypt over base64 HMAC-SHA384)",
  identify: (v) => (v.startsWith("$wp$") && BCRYPT_RE.test(v.slice(3)) ? 1 : 0),
  parse: (v) => {
    if (!v.startsWith("$wp$")) throw parseError("wordpress-bcrypt", "missing $wp prefix");
    return parseBcrypt("wordpress-bcrypt", v.slice(3));
  },
  verify: async (pw, p) => bcryptVerifyBytes("wordpress-bcrypt", utf8(hmac("sha384", "wp-sha384", pw).toString("base64")), p),
  heavy: true,
});
