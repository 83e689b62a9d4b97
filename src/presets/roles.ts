import type { MigrationUserInput } from "../model/user.js";
import type { RolesConfig } from "./types.js";

/**
 * Frameworks give a user several roles (groups, WordPress capabilities, ASP.NET roles). The
 * canonical user keeps them all in `metadata.roles` (mapped through `mapping.roles.map`; a name
 * with no entry is kept as-is, since group names are meaningful) and the first one in
 * `metadata.role`, which is what role-aware reports and org-less targets read. No roles → the
 * configured default. The legacy names stay in `metadata.legacyRoles`.
 */
export function withRoles(user: MigrationUserInput, legacy: readonly string[], roles: RolesConfig): MigrationUserInput {
  const mapped: string[] = [];
  for (const r of legacy) {
    const m = roles.map[r] ?? roles.map[r.toLowerCase()] ?? r;
    if (!mapped.includes(m)) mapped.push(m);
  }
  if (mapped.length === 0) mapped.push(roles.default);
  return {
    ...user,
    metadata: { ...user.metadata, role: mapped[0], roles: mapped, ...(legacy.length > 0 ? { legacyRoles: [...legacy] } : {}) },
  };
}

/** Whether a timestamp-ish column holds a value (`confirmed_at`, `email_verified_at`, `locked_at`). */
export function isSet(value: unknown): boolean {
  if (value === null || value === undefined || value === "") return false;
  if (value instanceof Date) return !Number.isNaN(value.getTime());
  // MySQL zero dates read as strings/invalid dates mean "never".
  return !/^0000-00-00/.test(String(value));
}

/** A date column as ISO text for metadata (drivers return Date, text or epoch). */
export function isoOf(value: unknown): string | undefined {
  if (!isSet(value)) return undefined;
  if (value instanceof Date) return value.toISOString();
  const s = String(value).trim();
  const d = new Date(/^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(s) ? s.replace(" ", "T") + "Z" : s);
  return Number.isNaN(d.getTime()) ? s : d.toISOString();
}
