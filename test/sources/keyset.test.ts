import { describe, expect, it } from "vitest";
import { pageSql, type Dialect } from "../../src/sources/keyset.js";

const q = (p: string): string => `"${p.replace(/"/g, '""')}"`;
const rowDialect: Dialect = { name: "row", quoteIdent: q, placeholder: (n) => `$${n}`, rowValues: true };
const orDialect: Dialect = { name: "or", quoteIdent: q, placeholder: () => "?", rowValues: false };

describe("keyset page SQL", () => {
  it("first page has no WHERE and never uses OFFSET", () => {
    const { sql, params } = pageSql(rowDialect, { table: "dbo.Users" }, ["CreatedDate", "Id"], 8, undefined);
    expect(sql).toBe('SELECT am_src.* FROM "dbo"."Users" am_src ORDER BY am_src."CreatedDate", am_src."Id" LIMIT 8');
    expect(params).toEqual([]);
    expect(sql).not.toMatch(/OFFSET/i);
  });

  it("uses a row-value comparison where the dialect supports it", () => {
    const { sql, params } = pageSql(rowDialect, { table: "Users" }, ["CreatedDate", "Id"], 8, ["2021", 7]);
    expect(sql).toContain('WHERE (am_src."CreatedDate", am_src."Id") > ($1, $2) ORDER BY');
    expect(params).toEqual(["2021", 7]);
  });

  it("expands to the OR-form with parameters in textual order for positional placeholders", () => {
    const { sql, params } = pageSql(orDialect, { table: "Users" }, ["a", "b", "c"], 5, ["A", "B", "C"]);
    const where = sql.slice(sql.indexOf("WHERE") + 6, sql.indexOf(" ORDER BY"));
    expect(where).toBe(
      'am_src."a" >= ? AND ((am_src."a" > ?) OR (am_src."a" = ? AND am_src."b" > ?) OR (am_src."a" = ? AND am_src."b" = ? AND am_src."c" > ?))',
    );
    expect(params).toEqual(["A", "A", "A", "B", "A", "B", "C"]);
  });

  it("single-key OR-form is a plain comparison", () => {
    const { sql, params } = pageSql(orDialect, { table: "Users" }, ["Id"], 5, [42]);
    expect(sql).toContain('WHERE am_src."Id" > ? ORDER BY');
    expect(params).toEqual([42]);
  });

  it("wraps a query as a subquery and drops a trailing semicolon", () => {
    const { sql } = pageSql(rowDialect, { query: "SELECT * FROM users WHERE deleted = 0;\n" }, ["id"], 3, undefined);
    expect(sql).toBe('SELECT am_src.* FROM (SELECT * FROM users WHERE deleted = 0) am_src ORDER BY am_src."id" LIMIT 3');
  });

  it("quotes identifiers, escaping embedded quotes", () => {
    const { sql } = pageSql(rowDialect, { table: 'we"ird' }, ['i"d'], 3, undefined);
    expect(sql).toContain('FROM "we""ird" am_src ORDER BY am_src."i""d"');
  });
});
