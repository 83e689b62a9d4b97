import type { PresetDialect } from "./types.js";

/**
 * The few SQL spellings that differ between the engines a preset query runs on. Preset queries
 * return one row per user (related rows aggregated as JSON arrays) so keyset pagination applies.
 */
export interface PresetSql {
  dialect: PresetDialect;
  /** Quote an identifier (`"AspNetUsers"`, `` `wp_users` ``): framework names are often mixed-case. */
  q(name: string): string;
  /** Aggregate function over a subquery's rows into a JSON array (NULL or `[]` when no rows). */
  jsonAgg(expr: string): string;
  /** A JSON array literal of expressions. */
  jsonArray(...exprs: string[]): string;
  /** A string literal. */
  str(value: string): string;
}

export function presetSql(dialect: PresetDialect): PresetSql {
  const str = (v: string): string => `'${v.replace(/'/g, "''")}'`;
  if (dialect === "mysql") {
    return { dialect, q: (n) => `\`${n.replace(/`/g, "``")}\``, jsonAgg: (e) => `JSON_ARRAYAGG(${e})`, jsonArray: (...e) => `JSON_ARRAY(${e.join(", ")})`, str: (v) => str(v).replace(/\\/g, "\\\\") };
  }
  const q = (n: string): string => `"${n.replace(/"/g, '""')}"`;
  if (dialect === "postgres") return { dialect, q, jsonAgg: (e) => `json_agg(${e})`, jsonArray: (...e) => `json_build_array(${e.join(", ")})`, str };
  return { dialect, q, jsonAgg: (e) => `json_group_array(${e})`, jsonArray: (...e) => `json_array(${e.join(", ")})`, str };
}

/** A JSON-array column as the driver returned it (parsed by pg, text elsewhere); [] for NULL. */
export function jsonList(value: unknown): unknown[] {
  if (value === null || value === undefined || value === "") return [];
  if (Array.isArray(value)) return value;
  if (typeof value === "string") {
    try {
      const parsed: unknown = JSON.parse(value);
      return Array.isArray(parsed) ? parsed : [];
    } catch {
      return [];
    }
  }
  return [];
}

/** Non-empty strings of a JSON-array column, in order, without duplicates. */
export function stringList(value: unknown): string[] {
  const out: string[] = [];
  for (const v of jsonList(value)) {
    if (v === null || v === undefined) continue;
    const s = String(v).trim();
    if (s !== "" && !out.includes(s)) out.push(s);
  }
  return out;
}
