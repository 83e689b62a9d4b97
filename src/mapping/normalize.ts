/** Trim + lower-case: the identity used for duplicate detection and sent to targets (seed 000). */
export function normalizeEmail(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  const s = String(value).trim().toLowerCase();
  return s === "" ? undefined : s;
}

// Deliberately pragmatic: one @, a dot in the domain, no whitespace, sane lengths (RFC 5321 limits).
const EMAIL = /^[^\s@"(),:;<>[\\\]]+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$/i;
export function isValidEmail(email: string): boolean {
  if (email.length > 254) return false;
  const at = email.lastIndexOf("@");
  if (at > 64) return false;
  return EMAIL.test(email) && !email.includes("..");
}

/** Normalise to E.164; undefined when the value cannot be a phone number. */
export function toE164(value: unknown, defaultCountryCode?: string): string | undefined {
  if (value === null || value === undefined) return undefined;
  const raw = String(value).trim();
  if (raw === "") return undefined;
  let digits = raw.replace(/[\s().\-/]/g, "");
  if (digits.startsWith("00")) digits = "+" + digits.slice(2);
  if (!digits.startsWith("+")) {
    if (!defaultCountryCode) return undefined;
    digits = defaultCountryCode + digits.replace(/^0+/, "");
  }
  return /^\+[1-9]\d{6,14}$/.test(digits) ? digits : undefined;
}

/** Legacy booleans come as 1/0, "Y"/"N", "true"/"false", "active"… */
export function toBool(value: unknown): boolean | undefined {
  if (value === null || value === undefined || value === "") return undefined;
  if (typeof value === "boolean") return value;
  if (typeof value === "number" || typeof value === "bigint") return Number(value) !== 0;
  const s = String(value).trim().toLowerCase();
  if (["1", "true", "t", "y", "yes", "active", "enabled"].includes(s)) return true;
  if (["0", "false", "f", "n", "no", "inactive", "disabled"].includes(s)) return false;
  return undefined;
}

/** Dates arrive as Date, ISO strings, SQL Server `2024-01-02 10:00:00`, or epoch seconds/ms. */
export function toDate(value: unknown): Date | undefined {
  if (value === null || value === undefined || value === "") return undefined;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value;
  if (typeof value === "number" || typeof value === "bigint") {
    const n = Number(value);
    return new Date(n < 1e11 ? n * 1000 : n);
  }
  const s = String(value).trim();
  if (/^\d+$/.test(s)) return toDate(Number(s));
  // Treat zone-less SQL timestamps as UTC so results don't depend on the machine's time zone.
  const iso = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(s) ? s.replace(" ", "T") + "Z" : s;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

export function toStr(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (value instanceof Date) return value.toISOString();
  const s = String(value).trim();
  return s === "" ? undefined : s;
}

/** URL-safe org slug from a name. */
export function slugify(name: string): string {
  return (
    name
      .normalize("NFKD")
      .replace(/[\u0300-\u036f]/g, "")
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 64) || "org"
  );
}
