import { describe, expect, it } from "vitest";
import { auditSql, auditSqlStatements } from "../../src/audit/sql.js";
import { AuthmigrateError } from "../../src/errors.js";
import { AS_OF, makeConfig } from "./fixtures.js";

function thrown(fn: () => unknown): AuthmigrateError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AuthmigrateError);
    return e as AuthmigrateError;
  }
  throw new Error("expected a throw");
}

describe("auditSql: mssql (seed 000's T-SQL)", () => {
  const sql = auditSql(makeConfig(), "mssql");

  it("uses T-SQL date functions and bracket identifiers", () => {
    expect(sql).toContain("DATEADD(day, -30, GETDATE())");
    expect(sql).toContain("DATEADD(day, -90, GETDATE())");
    expect(sql).toContain("DATEADD(day, -365, GETDATE())");
    expect(sql).toContain("FROM [Users]");
    expect(sql).toContain("[LastLoginDate] > DATEADD(day, -30, GETDATE()) THEN 'active_30d'");
    expect(sql).toContain("LOWER(LTRIM(RTRIM([Email])))");
    expect(sql).not.toMatch(/"Users"|`Users`|now\(\)|INTERVAL/i);
  });

  it("has the seed's queries: counts, GROUP BY role, duplicates HAVING, missing, GROUP BY CASE buckets", () => {
    expect(sql).toMatch(/SELECT\s+COUNT\(\*\) AS total_users/);
    expect(sql).toMatch(/GROUP BY\s+CASE LTRIM\(RTRIM\(CAST\(\[RoleId\] AS nvarchar\(4000\)\)\)\)/);
    expect(sql).toContain("WHEN N'1' THEN N'org_owner'");
    expect(sql).toContain("HAVING COUNT(*) > 1");
    expect(sql).toContain("WHERE [Email] IS NULL OR LTRIM(RTRIM([Email])) = ''");
    expect(sql).toMatch(/GROUP BY\s+CASE\s+WHEN \[LastLoginDate\] > DATEADD/);
    expect(sql).toContain("ELSE 'dormant'");
    expect(sql).toContain("LIKE '$2%' THEN 'bcrypt'");
    expect(sql).toContain("LIKE '{%' THEN 'keycloak-json'");
    expect(sql).toContain("WHEN N'10' THEN N'springfield'");
  });

  it("explains why duplicates are normalized", () => {
    expect(sql).toMatch(/-- .*LOWER\(TRIM\(email\)\)/);
    expect(sql).toMatch(/-- .*seed's GROUP BY Email misses/);
  });

  it("is a sequence of commented statements", () => {
    const { statements } = auditSqlStatements(makeConfig(), "mssql");
    expect(statements.map((s) => s.id)).toEqual([
      "totals",
      "roles",
      "duplicates",
      "duplicate_summary",
      "missing_email",
      "invalid_email",
      "activity",
      "orgs",
      "passwords",
    ]);
    expect(sql.match(/;\n/g)).toHaveLength(statements.length);
    for (const s of statements) expect(sql).toContain(s.sql + ";");
  });

  it("writes a fixed as-of date as a literal", () => {
    const fixed = auditSql(makeConfig(), "mssql", { asOf: AS_OF });
    expect(fixed).toContain("DATEADD(day, -30, CAST('2024-06-30 12:00:00.000' AS datetime2))");
    expect(fixed).not.toContain("GETDATE()");
  });
});

describe("auditSql: dialects", () => {
  it("postgres: double-quoted identifiers and now() - interval", () => {
    const sql = auditSql(makeConfig(), "postgres");
    expect(sql).toContain(`FROM "Users"`);
    expect(sql).toContain(`"LastLoginDate" > now() - interval '30 days'`);
    expect(sql).toContain(`now() - interval '365 days'`);
    expect(sql).toContain(`LOWER(TRIM("Email"))`);
    expect(sql).not.toMatch(/GETDATE|DATEADD|\[Users\]/);
  });

  it("mysql: backtick identifiers and NOW() - INTERVAL n DAY", () => {
    const sql = auditSql(makeConfig(), "mysql", { asOf: AS_OF });
    expect(sql).toContain("FROM `Users`");
    expect(sql).toContain("`LastLoginDate` > TIMESTAMP '2024-06-30 12:00:00.000' - INTERVAL 30 DAY");
    expect(auditSql(makeConfig(), "mysql")).toContain("NOW() - INTERVAL 90 DAY");
  });

  it("quotes hostile identifiers and literals per dialect", () => {
    const base = makeConfig();
    const cfg = makeConfig({
      source: { type: "postgres", url: "x://", table: "legacy.Us\"e`r]s" },
      mapping: { ...base.mapping, fields: { ...base.mapping.fields, email: 'E"m`a]il' }, roles: { map: { "it's": "o'k\\" }, default: "member" } },
    });
    const pgSql = auditSql(cfg, "postgres");
    expect(pgSql).toContain(`FROM "legacy"."Us""e\`r]s"`);
    expect(pgSql).toContain(`TRIM("E""m\`a]il")`);
    expect(pgSql).toContain(`WHEN 'it''s' THEN 'o''k\\'`);
    const my = auditSql(cfg, "mysql");
    expect(my).toContain("FROM `legacy`.`Us\"e``r]s`");
    expect(my).toContain("WHEN 'it''s' THEN 'o''k\\\\'");
    const ms = auditSql(cfg, "mssql");
    expect(ms).toContain(`FROM [legacy].[Us"e\`r]]s]`);
    expect(ms).toContain(`[E"m\`a]]il]`);
  });

  it("wraps a configured query as a subquery", () => {
    const cfg = makeConfig({ source: { type: "mysql", url: "mysql://x", query: "SELECT * FROM users WHERE deleted = 0;" } });
    const sql = auditSql(cfg, "mysql");
    expect(sql).toContain("FROM (\nSELECT * FROM users WHERE deleted = 0\n) AS src");
    expect(sql).not.toContain("deleted = 0;");
  });

  it("--table overrides the source and makes file sources work", () => {
    const csv = makeConfig({ source: { type: "csv", path: "users.csv" } });
    expect(auditSql(csv, "postgres", { table: "dbo.Users" })).toContain(`FROM "dbo"."Users"`);
  });
});

describe("auditSql: errors", () => {
  it("refuses file sources without --table", () => {
    const e = thrown(() => auditSql(makeConfig({ source: { type: "csv", path: "users.csv" } }), "postgres"));
    expect(e.code).toBe("AUDIT_SQL_NOT_SQL");
    expect(e.message).toContain("csv");
    expect(e.hint).toContain("--table");
  });

  it("refuses SQL sources with neither table nor query", () => {
    const e = thrown(() => auditSql(makeConfig({ source: { type: "sqlite", path: "x.db" } }), "mysql"));
    expect(e.code).toBe("AUDIT_SQL_NO_TABLE");
    expect(e.hint).toContain("source.table");
  });

  it("refuses unknown dialects and invalid dates", () => {
    expect(thrown(() => auditSql(makeConfig(), "oracle" as "mysql")).code).toBe("AUDIT_SQL_DIALECT");
    expect(thrown(() => auditSql(makeConfig(), "postgres", { asOf: new Date("x") })).code).toBe("AUDIT_AS_OF_INVALID");
  });
});
