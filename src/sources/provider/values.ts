import type { Issue } from "../../mapping/issues.js";
import { toE164 } from "../../mapping/normalize.js";

/** Small readers for export values: every provider stores the same things slightly differently. */

export function str(v: unknown): string | undefined {
  if (typeof v === "string") return v.trim() === "" ? undefined : v;
  if (typeof v === "number" || typeof v === "bigint") return String(v);
  return undefined;
}

export function bool(v: unknown): boolean | undefined {
  if (typeof v === "boolean") return v;
  if (v === 1 || v === 0) return v === 1;
  if (typeof v === "string") {
    const s = v.trim().toLowerCase();
    if (s === "true" || s === "1") return true;
    if (s === "false" || s === "0") return false;
  }
  return undefined;
}

/** Milliseconds since the epoch, as a number or a numeric string (Firebase, Keycloak, Clerk). */
export function fromEpochMs(v: unknown): Date | undefined {
  const n = typeof v === "number" ? v : typeof v === "string" && /^\d+$/.test(v.trim()) ? Number(v) : NaN;
  if (!Number.isFinite(n) || n <= 0) return undefined;
  const d = new Date(n);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** An ISO string, a Date, or epoch seconds (Cognito's API JSON uses fractional seconds). */
export function fromDateish(v: unknown, numericUnit: "s" | "ms"): Date | undefined {
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? undefined : v;
  if (typeof v === "number") return Number.isFinite(v) && v > 0 ? new Date(numericUnit === "s" ? v * 1000 : v) : undefined;
  if (typeof v !== "string" || v.trim() === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(v.trim())) return fromDateish(Number(v), numericUnit);
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** A JSON object stored as a string (Firebase customAttributes, Keycloak secretData…); undefined if it is not one. */
export function jsonObject(v: unknown): Record<string, unknown> | undefined {
  if (v && typeof v === "object" && !Array.isArray(v)) return v as Record<string, unknown>;
  if (typeof v !== "string" || !v.trim().startsWith("{")) return undefined;
  try {
    const o = JSON.parse(v) as unknown;
    return o && typeof o === "object" && !Array.isArray(o) ? (o as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A phone number into `phones` when it is E.164 (after removing spaces/dashes; `+` added for
 * digit-only values like Supabase's), else into metadata.phone with a warning, as the field mapping does.
 */
export function addPhone(value: unknown, phones: string[], metadata: Record<string, unknown>, issues: Issue[], field: string, assumePlus = false): void {
  const raw = str(value);
  if (raw === undefined) return;
  const e164 = toE164(assumePlus && /^\d+$/.test(raw.trim()) ? `+${raw.trim()}` : raw);
  if (e164) {
    if (!phones.includes(e164)) phones.push(e164);
    return;
  }
  metadata.phone = raw;
  issues.push({ code: "invalid_phone", severity: "warning", field, message: `${field} is not an E.164 number; kept in metadata.phone` });
}

/** Social provider ids as each system spells them → the canonical short names (`google`, `github`…). */
const PROVIDERS: Record<string, string> = {
  "google.com": "google",
  "google-oauth2": "google",
  oauth_google: "google",
  google: "google",
  "facebook.com": "facebook",
  oauth_facebook: "facebook",
  facebook: "facebook",
  "github.com": "github",
  oauth_github: "github",
  github: "github",
  "twitter.com": "twitter",
  oauth_twitter: "twitter",
  oauth_x: "twitter",
  twitter: "twitter",
  "apple.com": "apple",
  oauth_apple: "apple",
  signinwithapple: "apple",
  apple: "apple",
  "microsoft.com": "microsoft",
  windowslive: "microsoft",
  oauth_microsoft: "microsoft",
  microsoft: "microsoft",
  azure: "microsoft",
  linkedin: "linkedin",
  oauth_linkedin: "linkedin",
  oauth_linkedin_oidc: "linkedin",
  loginwithamazon: "amazon",
  amazon: "amazon",
  gitlab: "gitlab",
  oauth_gitlab: "gitlab",
  discord: "discord",
  oauth_discord: "discord",
};

/** Known social providers get their canonical name; anything else (an enterprise connection, an OIDC alias) keeps its own, lower-cased. */
export function providerName(id: string): string {
  const k = id.trim().toLowerCase();
  return PROVIDERS[k] ?? k;
}

const B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
/** RFC 4648 base32 without padding: how authenticator apps and the canonical model carry TOTP secrets. */
export function base32(bytes: Uint8Array): string {
  let out = "";
  let bits = 0;
  let acc = 0;
  for (const b of bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += B32[(acc >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += B32[(acc << (5 - bits)) & 31];
  return out;
}

/** A TOTP secret that is already base32 (spaces and padding dropped, upper-cased), else undefined. */
export function base32Secret(v: unknown): string | undefined {
  const s = str(v)?.replace(/[\s=]/g, "").toUpperCase();
  return s && /^[A-Z2-7]+$/.test(s) ? s : undefined;
}

/** Drops undefined values so optional fields stay absent (exactOptionalPropertyTypes-friendly). */
export function defined<T extends Record<string, unknown>>(o: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  // A plain loop: this runs several times per user, and entries/filter/fromEntries showed in profiles.
  const out: Record<string, unknown> = {};
  for (const k in o) if (o[k] !== undefined) out[k] = o[k];
  return out as { [K in keyof T]: Exclude<T[K], undefined> };
}
