/**
 * Auth0's CSV export: every string is OWASP-escaped — quoted, with a leading `'` (dates excepted) —
 * and nested fields are flat columns named by their path (`identities[0].connection`,
 * `user_metadata.plan`). Rebuilding the nested record lets CSV and NDJSON share one mapping.
 */
export function auth0CsvRow(flat: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(flat)) {
    if (typeof value !== "string" || value === "") continue;
    const clean = value.startsWith("'") ? value.slice(1) : value;
    const path = column.split(/\.|\[(\d+)\]\.?/).filter((p) => p !== undefined && p !== "");
    setPath(out, path, clean);
  }
  return out;
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let cur: Record<string, unknown> | unknown[] = target;
  for (let i = 0; i < path.length; i++) {
    const key = path[i]!;
    if (key === "__proto__" || key === "constructor" || key === "prototype") return;
    const last = i === path.length - 1;
    const nextIsIndex = !last && /^\d+$/.test(path[i + 1]!);
    const slot = cur as Record<string, unknown>;
    if (last) {
      slot[key] = value;
      return;
    }
    slot[key] ??= nextIsIndex ? [] : {};
    cur = slot[key] as Record<string, unknown> | unknown[];
  }
}
