import type { Config } from "../config/schema.js";
import { AuthmigrateError } from "../errors.js";
import { createSource } from "../sources/index.js";
import { auditSqlStatements, type AuditSqlOptions, type AuditStatement, type SqlDialect } from "./sql.js";

/** A source that can run a statement of ours (every SQL keyset source: `SqlKeysetSource#query`). */
export interface QueryableSource {
  describe(): string;
  query(sql: string): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

export interface AuditSqlResult {
  source: string;
  dialect: SqlDialect;
  statements: (AuditStatement & { rows: Record<string, unknown>[] })[];
}

/** Sources whose connection can run the audit SQL, and the dialect it is generated in. */
const RUNNABLE: Partial<Record<Config["source"]["type"], SqlDialect>> = { postgres: "postgres", mysql: "mysql", mssql: "mssql" };

export function runnableDialect(config: Config): SqlDialect | undefined {
  return RUNNABLE[config.source.type];
}

/**
 * Seed 000's audit queries run directly against the legacy database, over the source's own
 * connection (so a SQL Server source runs the T-SQL version with its credentials and TLS settings).
 * Statements run one by one; the first failure stops and names the statement.
 */
export async function runAuditSql(
  config: Config,
  cwd: string,
  opts: AuditSqlOptions = {},
  open: (config: Config, cwd: string) => QueryableSource = (c, d) => createSource(c.source, { cwd: d }) as unknown as QueryableSource,
): Promise<AuditSqlResult> {
  const dialect = runnableDialect(config);
  if (!dialect) {
    throw new AuthmigrateError("AUDIT_SQL_NOT_RUNNABLE", `--execute runs the audit SQL over a postgres, mysql or mssql source; this config reads ${config.source.type}`, {
      hint: "drop --execute to print the SQL and run it in your database console",
    });
  }
  const { statements } = auditSqlStatements(config, dialect, opts);
  const source = open(config, cwd);
  const out: AuditSqlResult = { source: source.describe(), dialect, statements: [] };
  try {
    for (const s of statements) {
      let rows: Record<string, unknown>[];
      try {
        rows = await source.query(s.sql);
      } catch (e) {
        if (e instanceof AuthmigrateError && e.code !== "SOURCE_QUERY_FAILED") throw e;
        throw new AuthmigrateError("AUDIT_SQL_FAILED", `audit statement "${s.id}" failed: ${(e as Error).message}`, {
          hint: "run `authmigrate audit --sql` and try that statement in your database console; `authmigrate audit` (without --sql) reads the rows instead",
          meta: { statement: s.id },
          cause: e,
        });
      }
      out.statements.push({ ...s, rows });
    }
  } finally {
    await source.close();
  }
  return out;
}
