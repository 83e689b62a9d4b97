import { describe, expect, it } from "vitest";
import { auditUsers, type AuditReport } from "../../src/audit/compute.js";
import { pct } from "../../src/audit/format.js";
import { escapeHtml, renderHtml } from "../../src/audit/render-html.js";
import { renderTable, textTable } from "../../src/audit/render-table.js";
import { AS_OF, BCRYPT, ROWS, makeConfig, mapRows } from "./fixtures.js";

async function fixtureReport(): Promise<AuditReport> {
  return auditUsers(await mapRows(ROWS as unknown as Record<string, unknown>[]), {
    asOf: AS_OF,
    source: "postgres Users",
    now: () => new Date("2024-07-01T00:00:00Z"),
  });
}

const XSS = `<script>alert("x")</script>`;

async function hostileReport(): Promise<AuditReport> {
  const config = makeConfig({
    mapping: {
      fields: { externalId: "Id", email: "Email", role: "RoleId", org: "TenantId", password: "PasswordHash" },
      roles: { map: { admin: `<img src=x onerror=alert(1)>` }, default: "member" },
    },
  });
  const rows = [
    { Id: `1${XSS}`, Email: `${XSS}@x.org`, RoleId: "admin", TenantId: XSS, PasswordHash: BCRYPT },
    { Id: "2", Email: ` ${XSS.toUpperCase()}@x.org`, RoleId: XSS, TenantId: "t&'\"", PasswordHash: BCRYPT },
    { Id: "3", Email: "", RoleId: XSS },
  ];
  return auditUsers(await mapRows(rows, config), { asOf: AS_OF, source: `csv ${XSS}.csv` });
}

describe("renderTable", () => {
  it("prints aligned sections with percentages", async () => {
    const text = renderTable(await fixtureReport());
    expect(text).toContain("authmigrate audit — postgres Users");
    expect(text).toMatch(/records read\s+15\s+100%/);
    expect(text).toMatch(/ {2}active\s+13\s+86\.7%/);
    expect(text).toMatch(/org_owner \(1\)\s+2\s+13\.3%\s+1/);
    expect(text).toMatch(/member \(none\)\s+1/);
    expect(text).toMatch(/missing email \(cannot migrate\)\s+2\s+13\.3%/);
    expect(text).toMatch(/jane@school\.edu\s+3\s+1, 2, 3/);
    expect(text).toMatch(/active_30d \(login < 30 days\)\s+5\s+38\.5%/);
    expect(text).toMatch(/dormant \(> 1 year or never\)\s+2\s+15\.4%/);
    expect(text).toMatch(/pbkdf2-keycloak-json\s+1\s+6\.7%/);
    expect(text).toMatch(/springfield\s+8\s+53\.3%\s+8/);
    expect(text).not.toContain(BCRYPT);

    // Columns line up: every row of the activity table has its count right-aligned at the same column.
    const lines = text.split("\n");
    const start = lines.findIndex((l) => l.startsWith("Last login"));
    const rows = lines.slice(start + 3, start + 7);
    const ends = rows.map((l) => l.search(/\d+\s+[\d.]+%$/) + l.match(/(\d+)\s+[\d.]+%$/)![1]!.length);
    expect(new Set(ends).size).toBe(1);
  });

  it("limits duplicate groups and says where the rest is", async () => {
    const text = renderTable(await fixtureReport(), { limitGroups: 1 });
    expect(text).toContain("jane@school.edu");
    expect(text).not.toMatch(/bob@x\.org\s+2/);
    expect(text).toContain("… 1 more groups (see --json)");
  });

  it("shows failed records by code", async () => {
    const report = await auditUsers(
      [{ location: "users.csv:9", issues: [{ code: "source_error", severity: "error", message: "bad quote" }], raw: {} }],
      { asOf: AS_OF },
    );
    const text = renderTable(report);
    expect(text).toMatch(/source_error\s+1\s+100%/);
    expect(text).toContain("users.csv:9: bad quote");
  });

  it("escapes terminal control characters from legacy data", async () => {
    const report = await fixtureReport();
    report.source = "evil\x1b[2Jsource";
    expect(renderTable(report)).toContain("evil\\x1b[2Jsource");
  });

  it("textTable aligns and pct formats", () => {
    expect(textTable(["a", "n"], [["x", "1"], ["long", "100"]])).toBe(["  a       n", "  ----  ---", "  x       1", "  long  100"].join("\n"));
    expect(pct(1, 3)).toBe("33.3%");
    expect(pct(0, 3)).toBe("0%");
    expect(pct(3, 3)).toBe("100%");
    expect(pct(1, 0)).toBe("-");
    expect(pct(1, 100_000)).toBe("<0.1%");
  });
});

describe("renderHtml", () => {
  it("is a self-contained page with bar charts", async () => {
    const html = renderHtml(await fixtureReport());
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect(html).toContain("<style>");
    expect(html).not.toMatch(/<script|<link|src=|@import|url\(/i);
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).toContain("Content-Security-Policy");
    // bars: the largest row of a chart is 100% wide
    expect(html).toMatch(/active_30d[^\n]*style="width:100\.0%"/);
    expect(html).toMatch(/springfield[^\n]*style="width:100\.0%"/);
    expect(html).toMatch(/org_owner \(1\)[^\n]*style="width:66\.7%"/);
    expect(html).toContain("jane@school.edu");
    expect(html).not.toContain(BCRYPT);
  });

  it("escapes every value (emails, roles, orgs, ids, source)", async () => {
    const report = await hostileReport();
    // the hostile values really are in the report
    expect(JSON.stringify(report)).toContain("<script>");
    const html = renderHtml(report);
    expect(html).not.toContain("<script");
    expect(html).not.toContain("<img");
    expect(html).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;@x.org");
    expect(html).toContain("&lt;img src=x onerror=alert(1)&gt;");
    expect(html).toContain("t&amp;&#39;&quot;");
    expect(html).toContain("<title>authmigrate audit — csv &lt;script&gt;");
    // and the table renderer prints them verbatim (terminals don't run HTML)
    expect(renderTable(report)).toContain(XSS);
  });

  it("escapeHtml covers the five characters", () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe("&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;");
  });
});
