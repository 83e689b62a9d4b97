/**
 * Keyset pagination SQL, shared by every SQL source.
 *
 * Why keyset and never OFFSET: OFFSET re-counts from the start on every page, so a row inserted (or
 * deleted) before the current position shifts every later page — rows get read twice or skipped —
 * and each page costs O(offset). `WHERE key > last_key ORDER BY key LIMIT n` is stable under
 * concurrent writes, costs one index seek per page, and the last key is a resumable cursor.
 */

export interface Dialect {
  readonly name: string;
  /** Quote one identifier part (no dots). */
  quoteIdent(part: string): string;
  /** Placeholder for the 1-based parameter `n`. */
  placeholder(n: number): string;
  /**
   * Whether `(a, b) > (?, ?)` is supported *and* uses an index. PostgreSQL and SQLite: yes.
   * MySQL/MariaDB parse it but historically do not range-scan on it, so they get the expanded OR-form.
   */
  readonly rowValues: boolean;
  /**
   * SQL that renders a key column as text, selected alongside the row so the cursor can carry the
   * exact database value. Needed where the driver's JS value is lossy (timestamps with microseconds
   * become millisecond `Date`s: using that as the cursor would re-read the same row forever).
   */
  textCast?(expr: string): string;
  /**
   * T-SQL has no `LIMIT`: row limits are written `SELECT TOP (n) …` instead. Set by the SQL Server
   * dialect; every statement below that limits rows honours it.
   */
  readonly top?: boolean;
}

/** `SELECT <cols> … LIMIT n` or, for T-SQL, `SELECT TOP (n) <cols> …`: the two ends of one statement. */
function limited(d: Dialect, n: number): { head: string; tail: string } {
  return d.top ? { head: `SELECT TOP (${n}) `, tail: "" } : { head: "SELECT ", tail: ` LIMIT ${n}` };
}

/** Columns added to each page's SELECT for the text form of key `i`; stripped before rows are yielded. */
export const keyTextAlias = (i: number): string => `__am_key${i}`;

const ALIAS = "am_src";

export interface Relation {
  table?: string | undefined;
  query?: string | undefined;
}

/** `FROM` target: a (possibly schema-qualified) quoted table, or the user's query as a subquery. */
export function relationSql(d: Dialect, rel: Relation): string {
  if (rel.query !== undefined) return `(${stripQuery(rel.query)}) ${ALIAS}`;
  return `${quoteQualified(d, rel.table ?? "")} ${ALIAS}`;
}

/** `schema.table` → `"schema"."table"`: dots separate parts, as users write them in config. */
export function quoteQualified(d: Dialect, name: string): string {
  return name.split(".").map((p) => d.quoteIdent(p)).join(".");
}

/** A trailing `;` is natural to paste from a SQL console but is a syntax error inside a subquery. */
function stripQuery(q: string): string {
  return q.trim().replace(/;+\s*$/, "");
}

export function columnsSql(d: Dialect, rel: Relation): string {
  const { head, tail } = limited(d, 0);
  return `${head}* FROM ${relationSql(d, rel)}${tail}`;
}

export function countSql(d: Dialect, rel: Relation): string {
  return `SELECT COUNT(*) AS n FROM ${relationSql(d, rel)}`;
}

/** Finds one row whose key has a NULL: keyset comparison silently drops such rows, so we refuse them. */
export function nullKeySql(d: Dialect, rel: Relation, orderBy: readonly string[]): string {
  const cond = orderBy.map((k) => `${col(d, k)} IS NULL`).join(" OR ");
  const { head, tail } = limited(d, 1);
  return `${head}${orderBy.map((k) => col(d, k)).join(", ")} FROM ${relationSql(d, rel)} WHERE ${cond}${tail}`;
}

export interface PageQuery {
  sql: string;
  params: unknown[];
}

/**
 * One page: rows strictly after `cursor` in key order. `limit` is inlined (validated integer) because
 * some drivers reject a placeholder there.
 */
export function pageSql(
  d: Dialect,
  rel: Relation,
  orderBy: readonly string[],
  limit: number,
  cursor: readonly unknown[] | undefined,
): PageQuery {
  if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`invalid page limit ${limit}`);
  const keys = orderBy.map((k) => col(d, k));
  const extra = d.textCast ? keys.map((k, i) => `, ${d.textCast!(k)} AS ${d.quoteIdent(keyTextAlias(i))}`).join("") : "";
  const params: unknown[] = [];
  let where = "";
  if (cursor) {
    const p = (v: unknown): string => {
      params.push(v);
      return d.placeholder(params.length);
    };
    where = ` WHERE ${d.rowValues ? rowValueAfter(keys, cursor, p) : expandedAfter(keys, cursor, p)}`;
  }
  const { head, tail } = limited(d, limit);
  const sql = `${head}${ALIAS}.*${extra} FROM ${relationSql(d, rel)}${where} ORDER BY ${keys.join(", ")}${tail}`;
  return { sql, params };
}

function col(d: Dialect, name: string): string {
  return `${ALIAS}.${d.quoteIdent(name)}`;
}

/** `(k1, k2) > (?, ?)` */
function rowValueAfter(keys: string[], cursor: readonly unknown[], p: (v: unknown) => string): string {
  if (keys.length === 1) return `${keys[0]} > ${p(cursor[0])}`;
  return `(${keys.join(", ")}) > (${cursor.map((v) => p(v)).join(", ")})`;
}

/**
 * `k1 >= ? AND (k1 > ? OR (k1 = ? AND k2 > ?))` — the same order as the row-value form; the leading
 * `k1 >= ?` is redundant logically but gives the optimizer a range it can seek an index with.
 */
function expandedAfter(keys: string[], cursor: readonly unknown[], p: (v: unknown) => string): string {
  // Placeholders are generated strictly left to right: `?` binds by position.
  const prefix = keys.length > 1 ? `${keys[0]} >= ${p(cursor[0])} AND ` : "";
  const ors: string[] = [];
  for (let i = 0; i < keys.length; i++) {
    const eqs = keys.slice(0, i).map((k, j) => `${k} = ${p(cursor[j])}`);
    ors.push([...eqs, `${keys[i]} > ${p(cursor[i])}`].join(" AND "));
  }
  const disj = ors.length === 1 ? ors[0]! : `(${ors.map((o) => `(${o})`).join(" OR ")})`;
  return prefix + disj;
}
