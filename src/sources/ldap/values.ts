import type { Entry } from "ldapts";

/** One entry as a record: `dn` plus each attribute (a single value, or an array when multi-valued). */
export type LdapRow = Record<string, string | Buffer | (string | Buffer)[]>;

/** Attribute names are case-insensitive in LDAP; ldapts keys them as the server spelled them. */
export function attr(row: LdapRow, name: string): (string | Buffer)[] {
  const key = name in row ? name : Object.keys(row).find((k) => k.toLowerCase() === name.toLowerCase());
  if (key === undefined) return [];
  const v = row[key]!;
  return Array.isArray(v) ? v : [v];
}

/** A value as text: strings as-is, bytes only when they are valid UTF-8 without control characters. */
export function text(v: string | Buffer | undefined): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v === "string") return v.trim() === "" ? undefined : v;
  const s = v.toString("utf8");
  // eslint-disable-next-line no-control-regex
  if (!Buffer.from(s, "utf8").equals(v) || /[\u0000-\u0008\u000e-\u001f\u007f]/.test(s)) return undefined;
  return s.trim() === "" ? undefined : s;
}

export function firstText(row: LdapRow, name: string): string | undefined {
  for (const v of attr(row, name)) {
    const t = text(v);
    if (t !== undefined) return t;
  }
  return undefined;
}

/** A binary id (objectGUID: 16 bytes → the GUID string AD shows; anything else → hex). */
export function binaryId(b: Buffer): string {
  if (b.length !== 16) return b.toString("hex");
  const h = (i: number, n: number, le: boolean) => {
    const part = b.subarray(i, i + n);
    return Buffer.from(le ? [...part].reverse() : part).toString("hex");
  };
  return `${h(0, 4, true)}-${h(4, 2, true)}-${h(6, 2, true)}-${h(8, 2, false)}-${h(10, 6, false)}`;
}

/**
 * LDAP GeneralizedTime (`20240131235959Z`, `20240131235959.123Z`, `…+0100`) → Date. Active
 * Directory's integer timestamps (`lastLogonTimestamp`: 100 ns ticks since 1601, FILETIME) too;
 * 0 and the "never" maximum mean no date.
 */
export function generalizedTime(s: string | undefined): Date | undefined {
  if (!s) return undefined;
  if (/^\d{15,19}$/.test(s.trim())) {
    const ticks = BigInt(s.trim());
    if (ticks === 0n || ticks >= 0x7fffffffffffffffn) return undefined;
    return new Date(Number(ticks / 10_000n) - 11_644_473_600_000);
  }
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})?(\d{2})?(?:[.,](\d+))?(Z|[+-]\d{2}(?:\d{2})?)?$/.exec(s.trim());
  if (!m) return undefined;
  const ms = m[7] ? Math.round(Number(`0.${m[7]}`) * 1000) : 0;
  const zone = !m[8] || m[8] === "Z" ? "Z" : `${m[8].slice(0, 3)}:${m[8].slice(3, 5) || "00"}`;
  const d = new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5] ?? "00"}:${m[6] ?? "00"}.${String(ms).padStart(3, "0")}${zone}`);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/**
 * DNs compare case-insensitively and ignore spaces around `,` and `=` (`uid=Alice, ou=People` =
 * `uid=alice,ou=people`). Escaped characters are kept as written; that is enough for DNs one server
 * wrote in both places (member values and entry names).
 */
export function normalizeDn(dn: string): string {
  return dn
    .trim()
    .replace(/\s*([,=+])\s*/g, "$1")
    .toLowerCase();
}

/** Whether `dn` is `base` or below it. */
export function isUnder(dn: string, base: string): boolean {
  const d = normalizeDn(dn);
  const b = normalizeDn(base);
  return d === b || d.endsWith(`,${b}`);
}

/** ldapts's entry → row: single values unwrapped, empty attributes dropped. */
export function toRow(e: Entry): LdapRow {
  const row: LdapRow = {};
  for (const [k, v] of Object.entries(e)) {
    if (k === "dn") continue;
    if (Array.isArray(v)) {
      if (v.length === 0) continue;
      row[k] = v.length === 1 ? v[0]! : (v as (string | Buffer)[]);
    } else row[k] = v;
  }
  return { dn: e.dn, ...row };
}
