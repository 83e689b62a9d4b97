import type { Config } from "../config/schema.js";
import { AuthmigrateError } from "../errors.js";

/**
 * The audit as SQL a DBA can run against the legacy table (seed 000, "Audit Existing Users"),
 * using the configured table/query and column names. The numbers match `auditUsers` on the same
 * rows (see test/audit/sql-parity.test.ts), except where a comment says the SQL is rough.
 */

export const SQL_DIALECTS = ["postgres", "mysql", "mssql"] as const;
export type SqlDialect = (typeof SQL_DIALECTS)[number];

export interface AuditSqlOptions {
  /** Read this table instead of the source's table/query (lets non-SQL sources get SQL too). */
  table?: string;
  /** Fixed "now" for the activity buckets instead of the server clock (written as a UTC timestamp). */
  asOf?: Date;
}

export function isSqlDialect(v: string): v is SqlDialect {
  return (SQL_DIALECTS as readonly string[]).includes(v);
}

interface Dialect {
  id(name: string): string;
  str(s: string): string;
  trim(expr: string): string;
  text(expr: string): string;
  daysAgo(days: number, asOf: Date | undefined): string;
  now(asOf: Date | undefined): string;
}

function sqlTimestamp(d: Date): string {
  return d.toISOString().replace("T", " ").replace("Z", "");
}

const DIALECTS: Record<SqlDialect, Dialect> = {
  postgres: {
    id: (n) => `"${n.replace(/"/g, '""')}"`,
    str: (s) => `'${s.replace(/'/g, "''")}'`,
    trim: (e) => `TRIM(${e})`,
    text: (e) => `CAST(${e} AS text)`,
    now: (asOf) => (asOf ? `TIMESTAMP '${sqlTimestamp(asOf)}'` : "now()"),
    daysAgo(days, asOf) {
      return `${this.now(asOf)} - interval '${days} days'`;
    },
  },
  mysql: {
    id: (n) => `\`${n.replace(/`/g, "``")}\``,
    // MySQL treats backslash as an escape inside string literals unless NO_BACKSLASH_ESCAPES is set.
    str: (s) => `'${s.replace(/\\/g, "\\\\").replace(/'/g, "''")}'`,
    trim: (e) => `TRIM(${e})`,
    text: (e) => `CAST(${e} AS CHAR)`,
    now: (asOf) => (asOf ? `TIMESTAMP '${sqlTimestamp(asOf)}'` : "NOW()"),
    daysAgo(days, asOf) {
      return `${this.now(asOf)} - INTERVAL ${days} DAY`;
    },
  },
  mssql: {
    id: (n) => `[${n.replace(/]/g, "]]")}]`,
    str: (s) => `N'${s.replace(/'/g, "''")}'`,
    // LTRIM(RTRIM()) rather than TRIM(): legacy databases often predate SQL Server 2017.
    trim: (e) => `LTRIM(RTRIM(${e}))`,
    text: (e) => `CAST(${e} AS nvarchar(4000))`,
    now: (asOf) => (asOf ? `CAST('${sqlTimestamp(asOf)}' AS datetime2)` : "GETDATE()"),
    daysAgo(days, asOf) {
      return `DATEADD(day, -${days}, ${this.now(asOf)})`;
    },
  },
};

/** Values the mapper reads as "inactive" (mapping/normalize.ts `toBool` → false). */
const FALSE_VALUES = ["0", "false", "f", "n", "no", "inactive", "disabled"];

function sqlSource(config: Config, d: Dialect, table: string | undefined): { from: string; what: string } {
  const quoteTable = (t: string) => t.split(".").map((p) => d.id(p)).join(".");
  if (table !== undefined) {
    if (table.trim() === "") throw new AuthmigrateError("AUDIT_SQL_NO_TABLE", "--table is empty", { hint: "pass the legacy user table name, e.g. --table Users" });
    return { from: quoteTable(table), what: `table ${table}` };
  }
  const src = config.source;
  if (src.type === "postgres" || src.type === "mysql" || src.type === "mssql" || src.type === "sqlite") {
    if (src.query !== undefined && src.query.trim() !== "") {
      const q = src.query.trim().replace(/;\s*$/, "");
      return { from: `(\n${q}\n) AS src`, what: "source.query" };
    }
    if (src.table !== undefined && src.table.trim() !== "") return { from: quoteTable(src.table), what: `table ${src.table}` };
    throw new AuthmigrateError("AUDIT_SQL_NO_TABLE", `source (${src.type}) has neither table nor query`, {
      hint: "set source.table or source.query, or pass --table <name>",
    });
  }
  throw new AuthmigrateError("AUDIT_SQL_NOT_SQL", `--sql needs a SQL source; this config reads a ${src.type} file`, {
    hint: "pass --table <name> (and --dialect) for the legacy table the file was exported from",
  });
}

/** One audit query; `id` names the report section it corresponds to. */
export interface AuditStatement {
  id: "totals" | "roles" | "duplicates" | "duplicate_summary" | "missing_email" | "invalid_email" | "activity" | "orgs" | "passwords";
  /** Comment lines (without `-- `). */
  comment: string[];
  /** The statement, without the trailing semicolon. */
  sql: string;
}

/** Generate the audit SQL for `dialect`: a commented script, statements separated by `;`. */
export function auditSql(config: Config, dialect: SqlDialect, opts: AuditSqlOptions = {}): string {
  const { header, statements } = auditSqlStatements(config, dialect, opts);
  const out = header.map((c) => (c === "" ? "" : `-- ${c}`));
  out.push("");
  for (const s of statements) out.push(...s.comment.map((c) => `-- ${c}`), `${s.sql};`, "");
  return out.join("\n");
}

/** The audit queries one by one (for running them programmatically). Throws AuthmigrateError when there is no table to query. */
export function auditSqlStatements(
  config: Config,
  dialect: SqlDialect,
  opts: AuditSqlOptions = {},
): { header: string[]; statements: AuditStatement[] } {
  if (!isSqlDialect(dialect)) {
    throw new AuthmigrateError("AUDIT_SQL_DIALECT", `unknown SQL dialect "${String(dialect)}"`, { hint: `use one of ${SQL_DIALECTS.join(", ")}` });
  }
  if (opts.asOf !== undefined && Number.isNaN(opts.asOf.getTime())) {
    throw new AuthmigrateError("AUDIT_AS_OF_INVALID", "asOf is not a valid date", { hint: "use an ISO date, e.g. 2024-06-30" });
  }
  const d = DIALECTS[dialect];
  const { from, what } = sqlSource(config, d, opts.table);
  const f = config.mapping.fields;
  const col = (name: string) => d.id(name);
  const asOf = opts.asOf;

  // Normalised string value of a column: trimmed text, NULL when empty (like the mapper's toStr).
  const value = (c: string) => `NULLIF(${d.trim(d.text(col(c)))}, '')`;

  const isActive = f.active
    ? `(${col(f.active)} IS NULL OR LOWER(${d.trim(d.text(col(f.active)))}) NOT IN (${FALSE_VALUES.map((v) => `'${v}'`).join(", ")}))`
    : "1 = 1";
  const activeCount = `SUM(CASE WHEN ${isActive} THEN 1 ELSE 0 END)`;

  const roleRaw = f.role ? `COALESCE(${value(f.role)}, '(none)')` : `'(none)'`;
  const roleMap = Object.entries(config.mapping.roles.map);
  const roleMapped = !f.role
    ? `'(none)'`
    : roleMap.length === 0
      ? d.str(config.mapping.roles.default)
      : `CASE ${d.trim(d.text(col(f.role)))}\n${roleMap.map(([k, v]) => `    WHEN ${d.str(k)} THEN ${d.str(v)}`).join("\n")}\n    ELSE ${d.str(config.mapping.roles.default)}\n  END`;

  const tenants = Object.entries(config.mapping.tenants);
  const orgExpr = !f.org
    ? `'(none)'`
    : tenants.length === 0
      ? `COALESCE(${value(f.org)}, '(none)')`
      : `CASE ${d.trim(d.text(col(f.org)))}\n${tenants.map(([k, v]) => `    WHEN ${d.str(k)} THEN ${d.str(v)}`).join("\n")}\n    ELSE COALESCE(${value(f.org)}, '(none)')\n  END`;

  const email = col(f.email);
  const emailNorm = `LOWER(${d.trim(email)})`;
  const hasEmail = `${email} IS NOT NULL AND ${d.trim(email)} <> ''`;

  const bucket = f.lastLoginAt
    ? `CASE
    WHEN ${col(f.lastLoginAt)} > ${d.daysAgo(30, asOf)} THEN 'active_30d'
    WHEN ${col(f.lastLoginAt)} > ${d.daysAgo(90, asOf)} THEN 'active_90d'
    WHEN ${col(f.lastLoginAt)} > ${d.daysAgo(365, asOf)} THEN 'inactive_1y'
    ELSE 'dormant'
  END`
    : `'dormant'`;

  const pw = f.password ? col(f.password) : undefined;
  const pwClass = pw
    ? `CASE
    WHEN ${pw} IS NULL OR ${d.trim(pw)} = '' THEN 'none'
    WHEN ${d.trim(pw)} LIKE '$2%' THEN 'bcrypt'
    WHEN ${d.trim(pw)} LIKE '{%' THEN 'keycloak-json'
    ELSE 'other'
  END`
    : `'none'`;

  // Postgres rejects constants in GROUP BY; a constant group is the whole table (or nothing when empty).
  const groupBy = (...exprs: string[]) => {
    const real = exprs.filter((e) => !/^N?'(?:[^']|'')*'$/.test(e));
    return real.length > 0 ? `GROUP BY\n  ${real.join(",\n  ")}` : "HAVING COUNT(*) > 0";
  };

  const statements: AuditStatement[] = [];
  const stmt = (id: AuditStatement["id"], comment: string | string[], sql: string) => {
    statements.push({ id, comment: Array.isArray(comment) ? comment : [comment], sql });
  };

  const header = [
    `authmigrate audit (${dialect}) for ${what}`,
    `Seed 000 "Audit Existing Users", with the configured column names. Run statement by statement.`,
    asOf
      ? `Activity buckets are relative to ${asOf.toISOString()} (written as a UTC timestamp), not the server clock.`
      : `Activity buckets are relative to the database server's current time.`,
    f.active
      ? `"Active" = ${f.active} is NULL or not a false-like value (0, false, N, ...), as authmigrate reads it; the seed's IsActive = 1, generalised.`
      : `No mapping.fields.active: every user counts as active.`,
  ];

  stmt(
    "totals",
    "Count users: total, active, inactive",
    `SELECT
  COUNT(*) AS total_users,
  ${activeCount} AS active_users,
  SUM(CASE WHEN ${isActive} THEN 0 ELSE 1 END) AS inactive_users
FROM ${from}`,
  );

  stmt(
    "roles",
    f.role ? `Count by role: mapped role (mapping.roles) and legacy ${f.role}, all users and active ones` : "Count by role: no mapping.fields.role, every user is (none)",
    `SELECT
  ${roleMapped} AS role,
  ${roleRaw} AS raw_role,
  COUNT(*) AS users,
  ${activeCount} AS active_users
FROM ${from}
${groupBy(roleMapped, roleRaw)}
ORDER BY COUNT(*) DESC`,
  );

  const dupGroups = `SELECT ${emailNorm} AS email, COUNT(*) AS records
FROM ${from}
WHERE ${hasEmail}
GROUP BY ${emailNorm}
HAVING COUNT(*) > 1`;
  stmt(
    "duplicates",
    [
      "Find duplicate emails, compared as LOWER(TRIM(email)): that is how they are sent to the identity provider.",
      "(The seed's GROUP BY Email misses 'Jane@x.com' vs ' jane@x.com' on case-sensitive collations and with stray whitespace.)",
      "SQL TRIM strips spaces only; authmigrate also strips tabs/newlines, so it may find a few more.",
    ],
    `${dupGroups}
ORDER BY COUNT(*) DESC, ${emailNorm}`,
  );
  stmt(
    "duplicate_summary",
    "Duplicate emails: how many groups, and the records beyond the first in each (to be skipped or merged)",
    `SELECT COUNT(*) AS duplicate_groups, COALESCE(SUM(records) - COUNT(*), 0) AS extra_records
FROM (
${dupGroups}
) AS dup`,
  );

  stmt(
    "missing_email",
    "Find users without emails (cannot migrate); whitespace-only counts as missing",
    `SELECT COUNT(*) AS missing_email
FROM ${from}
WHERE ${email} IS NULL OR ${d.trim(email)} = ''`,
  );
  stmt(
    "invalid_email",
    "Invalid emails, rough: no user@domain.tld shape or inner spaces (authmigrate's own check is stricter)",
    `SELECT COUNT(*) AS invalid_email
FROM ${from}
WHERE ${hasEmail}
  AND (${d.trim(email)} NOT LIKE '%_@_%._%' OR ${d.trim(email)} LIKE '% %')`,
  );

  stmt(
    "activity",
    f.lastLoginAt
      ? `Last login distribution of active users (helps prioritize); never logged in (NULL ${f.lastLoginAt}) is dormant`
      : "Last login distribution: no mapping.fields.lastLoginAt, every active user is dormant",
    `SELECT
  ${bucket} AS activity_bucket,
  COUNT(*) AS users
FROM ${from}
WHERE ${isActive}
${groupBy(bucket)}`,
  );

  stmt(
    "orgs",
    f.org
      ? `Users per organization (legacy ${f.org}${tenants.length > 0 ? " through mapping.tenants" : ""}); (none) = no tenant`
      : "Users per organization: no mapping.fields.org, every user is (none)",
    `SELECT
  ${orgExpr} AS org,
  COUNT(*) AS users,
  ${activeCount} AS active_users
FROM ${from}
${groupBy(orgExpr)}
ORDER BY COUNT(*) DESC`,
  );

  stmt(
    "passwords",
    f.password
      ? "Password formats, rough: $2* = bcrypt, {...} = Keycloak PBKDF2 JSON, empty = none; `authmigrate audit` identifies every format exactly"
      : "Password formats: no mapping.fields.password, nobody has a password to migrate",
    `SELECT
  ${pwClass} AS password_format,
  COUNT(*) AS users
FROM ${from}
${groupBy(pwClass)}
ORDER BY COUNT(*) DESC`,
  );

  return { header, statements };
}
