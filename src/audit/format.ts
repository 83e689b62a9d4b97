/** Small helpers shared by the table and HTML renderers. */

/** `12.5%` (one decimal, `0%` / `100%` without decimals, `-` when the whole is 0). */
export function pct(part: number, whole: number): string {
  if (whole <= 0) return "-";
  const p = (part / whole) * 100;
  if (p === 0 || p === 100) return `${p}%`;
  if (p < 0.1) return "<0.1%";
  return `${p.toFixed(1)}%`;
}

/** Thousands separators, locale independent. */
export function num(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** `org_owner (1)`: the mapped role and, when it differs, the legacy value. */
export function roleLabel(role: string, raw: string): string {
  if (role === raw) return role;
  return raw === "(none)" ? `${role} (none)` : `${role} (${raw})`;
}

export const BUCKET_LABELS: Record<string, string> = {
  active_30d: "active_30d (login < 30 days)",
  active_90d: "active_90d (30-90 days)",
  inactive_1y: "inactive_1y (90-365 days)",
  dormant: "dormant (> 1 year or never)",
};
