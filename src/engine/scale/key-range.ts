/**
 * Chunks are key ranges of the source's keyset order (`orderBy`): chunk n holds the rows with
 * `after < key <= until` (tuple order; a missing bound is open). Each worker reads only its range,
 * with the source's own keyset pagination inside it, so no row is read by two workers and a row
 * inserted after planning falls into exactly one range.
 *
 * The range is applied by turning the configured `table`/`query` into a wrapping query whose bounds
 * are literals (the sources take no parameters for their relation). Literals are only integers and
 * strings (quoted per dialect); other key types are refused when the chunks are planned.
 */
import { AuthmigrateError } from "../../errors.js";
import type { SourceConfig } from "../../sources/types.js";

export type KeyValue = string | number;
export type Key = KeyValue[];
export interface KeyRange {
  after: Key | null;
  until: Key | null;
}

type SqlSourceConfig = Extract<SourceConfig, { orderBy: string[] }>;

interface Quoting {
  ident(name: string): string;
  text(value: string): string;
}

const QUOTING: Record<string, Quoting> = {
  sqlite: { ident: (n) => `"${n.replace(/"/g, '""')}"`, text: (v) => `'${v.replace(/'/g, "''")}'` },
  postgres: { ident: (n) => `"${n.replace(/"/g, '""')}"`, text: (v) => `'${v.replace(/'/g, "''")}'` },
  // MySQL treats backslash as an escape inside string literals (default sql_mode).
  mysql: { ident: (n) => `\`${n.replace(/`/g, "``")}\``, text: (v) => `'${v.replace(/\\/g, "\\\\").replace(/'/g, "''")}'` },
  mssql: { ident: (n) => `[${n.replace(/]/g, "]]")}]`, text: (v) => `N'${v.replace(/'/g, "''")}'` },
};

/** The SQL sources a run can be split across workers for; file sources are refused (docs/scale-out.md). */
export function splittable(source: SourceConfig): SqlSourceConfig {
  if (!(source.type in QUOTING) || !("orderBy" in source)) {
    throw new AuthmigrateError("SCALE_SOURCE_UNSUPPORTED", `--workers needs a SQL source (sqlite, postgres, mysql, mssql) to split into key ranges; source.type is "${source.type}"`, {
      hint: "load the file into a table first (e.g. SQLite or PostgreSQL) and point source at it, or run in one process without --workers",
    });
  }
  return source as SqlSourceConfig;
}

/** A key value read from a row, checked to be one we can write as a literal. */
export function keyValue(v: unknown, column: string, location: string): KeyValue {
  if (typeof v === "string") return v;
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "bigint") return v.toString();
  throw new AuthmigrateError("SCALE_KEY_UNSUPPORTED", `${location}: orderBy column "${column}" holds a ${v === null ? "NULL" : v instanceof Date ? "date" : typeof v} value; chunks can only be split on integer or text keys`, {
    hint: "order by the primary key (orderBy: [\"Id\"]) for a run across workers",
  });
}

function literal(q: Quoting, v: KeyValue): string {
  return typeof v === "number" ? String(v) : q.text(v);
}

/** `(k1 > a1) OR (k1 = a1 AND k2 > a2) …` — strict tuple order, valid in every dialect. */
function tupleAfter(cols: string[], key: Key, q: Quoting): string {
  const ors = cols.map((c, i) => [...cols.slice(0, i).map((p, j) => `${p} = ${literal(q, key[j]!)}`), `${c} > ${literal(q, key[i]!)}`].join(" AND "));
  return ors.map((o) => `(${o})`).join(" OR ");
}

/** A copy of the source config reading only `range`, in the same keyset order. */
export function rangeSource(source: SqlSourceConfig, range: KeyRange): SourceConfig {
  const q = QUOTING[source.type]!;
  const cols = source.orderBy.map((c) => `am_range.${q.ident(c)}`);
  const rel = source.query !== undefined && source.query.trim() !== "" ? `(${source.query.trim().replace(/;+\s*$/, "")})` : source.table!.split(".").map((p) => q.ident(p)).join(".");
  const conds: string[] = [];
  if (range.after) conds.push(`(${tupleAfter(cols, range.after, q)})`);
  if (range.until) conds.push(`NOT (${tupleAfter(cols, range.until, q)})`);
  const query = `SELECT am_range.* FROM ${rel} am_range${conds.length ? ` WHERE ${conds.join(" AND ")}` : ""}`;
  const { table: _table, ...rest } = source;
  return { ...rest, query } as SourceConfig;
}
