import { ACTIVITY_BUCKETS, type AuditReport } from "./compute.js";
import { BUCKET_LABELS, num, pct, roleLabel } from "./format.js";

export interface TableOptions {
  /** Duplicate groups to list (the JSON report has all of them). Default 10. */
  limitGroups?: number;
  /** Rows per breakdown (roles, orgs, formats) before "… N more". Default 25. */
  limitRows?: number;
}

type Align = "left" | "right";

/** Plain-text table with aligned columns; the first column is left-aligned, the rest right. */
export function textTable(headers: readonly string[], rows: readonly (readonly string[])[], align?: readonly Align[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const al = (i: number): Align => align?.[i] ?? (i === 0 ? "left" : "right");
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (al(i) === "left" ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(headers), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].map((l) => `  ${l}`).join("\n");
}

/** Control characters in legacy data would garble a terminal: show them escaped. */
function clean(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

function limited<T>(items: readonly T[], limit: number): { shown: readonly T[]; more: number } {
  return { shown: items.slice(0, limit), more: Math.max(0, items.length - limit) };
}

/** The audit as terminal tables (no colors), sections in the seed's order. */
export function renderTable(report: AuditReport, opts: TableOptions = {}): string {
  const limitGroups = opts.limitGroups ?? 10;
  const limitRows = opts.limitRows ?? 25;
  const t = report.totals;
  const out: string[] = [];
  const section = (title: string) => out.push("", title);
  const more = (n: number, what: string) => {
    if (n > 0) out.push(`  … ${num(n)} more ${what} (see --json)`);
  };

  out.push(`authmigrate audit — ${clean(report.source)}`);
  out.push(`as of ${report.asOf}, generated ${report.generatedAt}`);

  section("Users");
  out.push(
    textTable(
      ["", "count", "%"],
      [
        ["records read", num(t.records), pct(t.records, t.records)],
        ["users", num(t.users), pct(t.users, t.records)],
        ["  active", num(t.active), pct(t.active, t.records)],
        ["  inactive", num(t.inactive), pct(t.inactive, t.records)],
        ["failed to map", num(t.failed), pct(t.failed, t.records)],
      ],
    ),
  );

  section("By role");
  {
    const { shown, more: m } = limited(report.roles, limitRows);
    out.push(
      textTable(
        ["role (legacy value)", "users", "%", "active"],
        shown.map((r) => [clean(roleLabel(r.role, r.raw)), num(r.users), pct(r.users, t.users), num(r.active)]),
      ),
    );
    more(m, "roles");
  }

  section("Email problems");
  out.push(
    textTable(
      ["", "count", "%"],
      [
        ["missing email (cannot migrate)", num(report.emails.missing.count), pct(report.emails.missing.count, t.records)],
        ["invalid email", num(report.emails.invalid.count), pct(report.emails.invalid.count, t.records)],
        ["duplicate email groups", num(report.duplicates.groups), "-"],
        ["  extra records in groups", num(report.duplicates.extraRecords), pct(report.duplicates.extraRecords, t.users)],
        ["names too long", num(report.namesTooLong.count), pct(report.namesTooLong.count, t.records)],
      ],
    ),
  );

  if (report.duplicates.groups > 0) {
    section(`Duplicate emails (normalized: trimmed, lower-cased)${report.duplicates.groups > limitGroups ? ` — first ${limitGroups}` : ""}`);
    const { shown, more: m } = limited(report.duplicates.list, limitGroups);
    out.push(
      textTable(
        ["email", "records", "externalIds"],
        shown.map((g) => [clean(g.email), String(g.externalIds.length), clean(idList(g.externalIds))]),
        ["left", "right", "left"],
      ),
    );
    more(m, "groups");
  }

  section("Last login (active users)");
  out.push(
    textTable(
      ["bucket", "users", "%"],
      ACTIVITY_BUCKETS.map((b) => [BUCKET_LABELS[b] ?? b, num(report.activity[b]), pct(report.activity[b], t.active)]),
    ),
  );
  if (report.activity.neverLoggedIn > 0) out.push(`  (${num(report.activity.neverLoggedIn)} never logged in, counted as dormant)`);

  section("Password formats");
  {
    const { shown, more: m } = limited(report.passwords, limitRows);
    out.push(
      textTable(
        ["format", "users", "%"],
        shown.map((p) => [clean(p.format), num(p.users), pct(p.users, t.users)]),
      ),
    );
    more(m, "formats");
  }

  section("Users per organization");
  {
    const { shown, more: m } = limited(report.orgs, limitRows);
    out.push(
      textTable(
        ["org", "users", "%", "active"],
        shown.map((o) => [clean(o.org), num(o.users), pct(o.users, t.users), num(o.active)]),
      ),
    );
    more(m, "orgs");
  }

  if (t.failed > 0) {
    section("Records that failed to map");
    out.push(
      textTable(
        ["issue", "records", "%"],
        Object.entries(report.failed.byCode)
          .sort((a, b) => b[1] - a[1])
          .map(([code, n]) => [code, num(n), pct(n, t.records)]),
      ),
    );
    for (const s of report.failed.samples.slice(0, 5)) out.push(`  e.g. ${clean(s.location)}: ${clean(s.message)}`);
  }
  return out.join("\n") + "\n";
}

function idList(ids: readonly string[], max = 5): string {
  return ids.length <= max ? ids.join(", ") : `${ids.slice(0, max).join(", ")}, … +${ids.length - max}`;
}
