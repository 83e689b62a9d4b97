import { AuthmigrateError } from "../errors.js";
import {
  columnsSql,
  countSql,
  keyTextAlias,
  nullKeySql,
  pageSql,
  type Dialect,
  type Relation,
} from "./keyset.js";
import type { Source, SourceRecord } from "./types.js";
import { displayValue, jsonSafe } from "./values.js";

export interface SqlSourceOptions {
  table?: string | undefined;
  query?: string | undefined;
  orderBy: string[];
  pageSize: number;
}

type Row = Record<string, unknown>;

/**
 * Reads a table or query page by page on an ordered unique key. Holds one page (plus one look-ahead
 * row) in memory at a time. Subclasses only connect, run SQL and translate driver errors.
 *
 * Key rules, enforced rather than assumed, because a violation silently loses users:
 * - NULL in a key column → `SOURCE_NULL_KEY` (a NULL never compares `>`, so the row would be skipped);
 * - duplicate keys → `SOURCE_KEY_NOT_UNIQUE` (a tie split across a page boundary would be skipped).
 *   Each page fetches `pageSize + 1` rows so a tie straddling the boundary is seen.
 */
export abstract class SqlKeysetSource implements Source {
  abstract readonly kind: string;
  protected abstract readonly dialect: Dialect;
  protected readonly rel: Relation;
  protected readonly orderBy: readonly string[];
  protected readonly pageSize: number;
  private columnsCache: string[] | undefined;
  /** Names of the cursor helper columns to strip from yielded rows. */
  private readonly helperColumns = new Set<string>();

  constructor(opts: SqlSourceOptions, engine: string) {
    const hasTable = opts.table !== undefined && opts.table !== "";
    const hasQuery = opts.query !== undefined && opts.query.trim() !== "";
    if (hasTable === hasQuery) {
      throw new AuthmigrateError("SOURCE_CONFIG_INVALID", `${engine} source: set exactly one of "table" or "query"`);
    }
    this.rel = hasTable ? { table: opts.table } : { query: opts.query };
    this.orderBy = opts.orderBy;
    this.pageSize = opts.pageSize;
    this.orderBy.forEach((_, i) => this.helperColumns.add(keyTextAlias(i)));
  }

  /** Where the data lives, safe to print (no password): a URL without credentials or a file path. */
  protected abstract describeDatabase(): string;
  abstract close(): Promise<void>;

  describe(): string {
    return `${this.describeDatabase()} ${this.rel.table !== undefined ? `table ${this.rel.table}` : "(query)"}`;
  }
  /** Run a SELECT and return all its rows (one page at most). */
  protected abstract run(sql: string, params: readonly unknown[]): Promise<Row[]>;
  /** Column names of a SELECT's result, without fetching rows (works on empty tables). */
  protected abstract fieldNames(sql: string): Promise<string[]>;
  /** Whether a driver error means "the configured table does not exist". */
  protected abstract isMissingTable(e: unknown): boolean;
  /**
   * The value to bind as the next page's cursor, given the driver value, (if selected) its text form
   * and the key's position in orderBy (SQL Server types each parameter from that key column).
   */
  protected cursorValue(raw: unknown, _text: unknown, _key: number): unknown {
    return raw;
  }

  /** `Users` or `query`: the first word of every location. */
  protected get relName(): string {
    return this.rel.table ?? "query";
  }

  async columns(): Promise<string[]> {
    this.columnsCache ??= await this.guard(() => this.fieldNames(columnsSql(this.dialect, this.rel)));
    return [...this.columnsCache];
  }

  /**
   * Runs one read-only statement of ours (the audit SQL) over the source's connection, with the same
   * error mapping as reads. Not for user input: the SQL is run as given.
   */
  async query(sql: string): Promise<Row[]> {
    const rows = await this.guard(() => this.run(sql, []));
    return rows.map((r) => this.clean(r));
  }

  async count(): Promise<number> {
    const rows = await this.guard(() => this.run(countSql(this.dialect, this.rel), []));
    const n = rows[0] ? Object.values(rows[0])[0] : 0;
    return Number(n);
  }

  async *read(opts: { signal?: AbortSignal } = {}): AsyncGenerator<SourceRecord> {
    await this.checkKeys();
    let cursor: unknown[] | undefined;
    let lastKey: string | undefined;
    for (;;) {
      opts.signal?.throwIfAborted();
      const { sql, params } = pageSql(this.dialect, this.rel, this.orderBy, this.pageSize + 1, cursor);
      const rows = await this.guard(() => this.run(sql, params));
      const n = Math.min(rows.length, this.pageSize);
      for (let i = 0; i < n; i++) {
        opts.signal?.throwIfAborted();
        const row = rows[i]!;
        const { values, cursorValues, id } = this.keyOf(row);
        const location = this.location(values);
        if (id === lastKey) throw this.notUnique(location);
        lastKey = id;
        cursor = cursorValues;
        yield { row: this.clean(row), location };
      }
      if (rows.length <= this.pageSize) return;
      // The look-ahead row is read again as the first row of the next page; here it only checks ties.
      const ahead = this.keyOf(rows[this.pageSize]!);
      if (ahead.id === lastKey) throw this.notUnique(this.location(ahead.values));
    }
  }

  /** Validates orderBy against the real columns and refuses NULL keys before the first page. */
  private async checkKeys(): Promise<void> {
    const cols = await this.columns();
    for (const k of this.orderBy) {
      if (cols.includes(k)) continue;
      const near = cols.find((c) => c.toLowerCase() === k.toLowerCase());
      throw new AuthmigrateError(
        "SOURCE_UNKNOWN_COLUMN",
        `orderBy column "${k}" not found in ${this.relName}; available columns: ${cols.join(", ")}`,
        {
          hint: near ? `did you mean "${near}"? Column names are case-sensitive` : "set orderBy to an ordered unique key",
          meta: { column: k, available: cols },
        },
      );
    }
    const nulls = await this.guard(() => this.run(nullKeySql(this.dialect, this.rel, this.orderBy), []));
    if (nulls.length > 0) {
      const bad = this.orderBy.filter((k) => nulls[0]![k] === null || nulls[0]![k] === undefined);
      throw new AuthmigrateError(
        "SOURCE_NULL_KEY",
        `${this.relName}: orderBy column ${bad.map((b) => `"${b}"`).join(", ")} contains NULL; keyset pagination needs non-NULL keys`,
        {
          hint: "order by NOT NULL columns (e.g. the primary key), or use a query that filters or COALESCEs the NULLs",
          meta: { columns: bad },
        },
      );
    }
  }

  private keyOf(row: Row): { values: unknown[]; cursorValues: unknown[]; id: string } {
    const values: unknown[] = [];
    const cursorValues: unknown[] = [];
    for (let i = 0; i < this.orderBy.length; i++) {
      const k = this.orderBy[i]!;
      const raw = row[k];
      if (raw === null || raw === undefined) {
        // Only reachable if a NULL key appeared after the pre-check (concurrent write).
        throw new AuthmigrateError("SOURCE_NULL_KEY", `${this.relName}: orderBy column "${k}" is NULL in a row`);
      }
      values.push(raw);
      cursorValues.push(this.cursorValue(raw, row[keyTextAlias(i)], i));
    }
    return { values, cursorValues, id: cursorValues.map((v) => displayValue(jsonSafe(v))).join("\u0000") };
  }

  private location(values: unknown[]): string {
    const parts = this.orderBy.map((k, i) => `${k}=${displayValue(jsonSafe(values[i]))}`);
    return `${this.relName} ${parts.join(" ")}`;
  }

  private notUnique(location: string): AuthmigrateError {
    return new AuthmigrateError(
      "SOURCE_KEY_NOT_UNIQUE",
      `${location}: orderBy (${this.orderBy.join(", ")}) is not unique; rows sharing a key could be skipped`,
      { hint: `append a unique column (e.g. the primary key) to orderBy: [${[...this.orderBy, "Id"].map((c) => `"${c}"`).join(", ")}]` },
    );
  }

  /** Drops the cursor helper columns and makes values JSON-safe; builds a fresh object per row. */
  private clean(row: Row): Row {
    const out: Row = {};
    for (const [k, v] of Object.entries(row)) {
      if (this.dialect.textCast && this.helperColumns.has(k)) continue;
      out[k] = jsonSafe(v);
    }
    return out;
  }

  /** Maps driver errors from SQL we ran to actionable ones; connection errors are mapped by subclasses. */
  protected async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof AuthmigrateError) throw e;
      if (this.rel.table !== undefined && this.isMissingTable(e)) {
        throw new AuthmigrateError("SOURCE_TABLE_NOT_FOUND", `table "${this.rel.table}" not found in ${this.describeDatabase()}`, {
          hint: "check the table name (and schema prefix, e.g. dbo.Users) in the source config",
          meta: { table: this.rel.table },
          cause: e,
        });
      }
      const msg = e instanceof Error ? e.message.split("\n")[0] : String(e);
      throw new AuthmigrateError("SOURCE_QUERY_FAILED", `${this.relName}: ${this.redact(msg ?? "")}`, { cause: e });
    }
  }

  /** Subclasses with credentials scrub them from driver messages. */
  protected redact(text: string): string {
    return text;
  }
}
