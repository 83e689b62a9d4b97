import { ACTIVITY_BUCKETS, type AuditReport } from "./compute.js";
import { BUCKET_LABELS, num, pct, roleLabel } from "./format.js";

export interface HtmlOptions {
  /** Duplicate groups listed in the page (default 100; the JSON report has all). */
  limitGroups?: number;
  /** Rows per breakdown (default 50). */
  limitRows?: number;
}

/** Escape for HTML text and double-quoted attribute values. Every value from the report goes through this. */
export function escapeHtml(value: unknown): string {
  return String(value)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#1d2330;background:#fff}
h1{font-size:1.5rem;margin:0 0 .25rem}h2{font-size:1.1rem;margin:2rem 0 .5rem;border-bottom:1px solid #e3e6ec;padding-bottom:.25rem}
.meta{color:#667085;margin:0}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(9rem,1fr));gap:.75rem;margin-top:1.25rem}
.card{border:1px solid #e3e6ec;border-radius:6px;padding:.6rem .8rem}.card b{display:block;font-size:1.35rem}.card span{color:#667085;font-size:.85rem}
.card.warn{border-color:#f4b740;background:#fffaf0}.card.bad{border-color:#e5484d;background:#fff5f5}
table{border-collapse:collapse;width:100%}th,td{padding:.3rem .5rem;text-align:left;border-bottom:1px solid #f0f1f4;vertical-align:top}
th{font-weight:600;color:#475467;font-size:.85rem}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.bar{width:40%}.bar div{height:.8rem;background:#4f6bed;border-radius:2px;min-width:1px}
.bar div.zero{background:transparent}
code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace;word-break:break-all}
.more{color:#667085;font-size:.85rem}
`;

interface Row {
  label: string;
  value: number;
  extra?: string[];
}

function barTable(headers: readonly string[], rows: readonly Row[], whole: number, limit: number, what: string): string {
  const max = Math.max(1, ...rows.map((r) => r.value));
  const shown = rows.slice(0, limit);
  const head = `<tr><th>${escapeHtml(headers[0] ?? "")}</th><th class="n">${escapeHtml(headers[1] ?? "users")}</th><th class="n">%</th>${headers
    .slice(2)
    .map((h) => `<th class="n">${escapeHtml(h)}</th>`)
    .join("")}<th></th></tr>`;
  const body = shown
    .map((r) => {
      const w = ((r.value / max) * 100).toFixed(1);
      return `<tr><td>${escapeHtml(r.label)}</td><td class="n">${escapeHtml(num(r.value))}</td><td class="n">${escapeHtml(pct(r.value, whole))}</td>${(r.extra ?? [])
        .map((e) => `<td class="n">${escapeHtml(e)}</td>`)
        .join("")}<td class="bar"><div${r.value === 0 ? ' class="zero"' : ""} style="width:${w}%"></div></td></tr>`;
    })
    .join("\n");
  const more = rows.length > shown.length ? `<p class="more">… ${escapeHtml(num(rows.length - shown.length))} more ${escapeHtml(what)} in the JSON report</p>` : "";
  return `<table>${head}\n${body}</table>${more}`;
}

function card(label: string, value: number, cls = ""): string {
  return `<div class="card${cls ? ` ${cls}` : ""}"><b>${escapeHtml(num(value))}</b><span>${escapeHtml(label)}</span></div>`;
}

/** A self-contained HTML page (inline CSS, no scripts, no external assets). */
export function renderHtml(report: AuditReport, opts: HtmlOptions = {}): string {
  const limitGroups = opts.limitGroups ?? 100;
  const limitRows = opts.limitRows ?? 50;
  const t = report.totals;
  const warn = (n: number) => (n > 0 ? "warn" : "");
  const bad = (n: number) => (n > 0 ? "bad" : "");

  const parts: string[] = [];
  parts.push(`<h1>authmigrate audit</h1>`);
  parts.push(`<p class="meta">${escapeHtml(report.source)}</p>`);
  parts.push(`<p class="meta">as of ${escapeHtml(report.asOf)} · generated ${escapeHtml(report.generatedAt)}</p>`);
  parts.push(
    `<div class="cards">${[
      card("records read", t.records),
      card("users", t.users),
      card("active", t.active),
      card("inactive", t.inactive),
      card("failed to map", t.failed, bad(t.failed)),
      card("missing email", report.emails.missing.count, bad(report.emails.missing.count)),
      card("invalid email", report.emails.invalid.count, bad(report.emails.invalid.count)),
      card("duplicate email groups", report.duplicates.groups, warn(report.duplicates.groups)),
      card("names too long", report.namesTooLong.count, warn(report.namesTooLong.count)),
    ].join("")}</div>`,
  );

  parts.push(`<h2>Last login (active users)</h2>`);
  parts.push(
    barTable(
      ["bucket", "users"],
      ACTIVITY_BUCKETS.map((b) => ({ label: BUCKET_LABELS[b] ?? b, value: report.activity[b] })),
      t.active,
      limitRows,
      "buckets",
    ),
  );
  if (report.activity.neverLoggedIn > 0) parts.push(`<p class="more">${escapeHtml(num(report.activity.neverLoggedIn))} never logged in (counted as dormant).</p>`);

  parts.push(`<h2>By role</h2>`);
  parts.push(
    barTable(
      ["role (legacy value)", "users", "active"],
      report.roles.map((r) => ({ label: roleLabel(r.role, r.raw), value: r.users, extra: [num(r.active)] })),
      t.users,
      limitRows,
      "roles",
    ),
  );

  parts.push(`<h2>Users per organization</h2>`);
  parts.push(
    barTable(
      ["organization", "users", "active"],
      report.orgs.map((o) => ({ label: o.org, value: o.users, extra: [num(o.active)] })),
      t.users,
      limitRows,
      "organizations",
    ),
  );

  parts.push(`<h2>Password formats</h2>`);
  parts.push(
    barTable(
      ["format", "users"],
      report.passwords.map((p) => ({ label: p.format, value: p.users })),
      t.users,
      limitRows,
      "formats",
    ),
  );

  parts.push(`<h2>Duplicate emails</h2>`);
  if (report.duplicates.groups === 0) parts.push(`<p>None (emails compared trimmed and lower-cased).</p>`);
  else {
    parts.push(
      `<p>${escapeHtml(num(report.duplicates.groups))} emails are shared by more than one user (${escapeHtml(num(report.duplicates.extraRecords))} extra records). Emails compared trimmed and lower-cased.</p>`,
    );
    const shown = report.duplicates.list.slice(0, limitGroups);
    parts.push(
      `<table><tr><th>email</th><th class="n">records</th><th>externalIds</th></tr>\n${shown
        .map(
          (g) =>
            `<tr><td><code>${escapeHtml(g.email)}</code></td><td class="n">${escapeHtml(g.externalIds.length)}</td><td><code>${escapeHtml(g.externalIds.join(", "))}</code></td></tr>`,
        )
        .join("\n")}</table>`,
    );
    if (report.duplicates.list.length > shown.length)
      parts.push(`<p class="more">… ${escapeHtml(num(report.duplicates.list.length - shown.length))} more groups in the JSON report</p>`);
  }

  const sampleList = (title: string, s: { count: number; samples: string[] }) =>
    s.count === 0
      ? ""
      : `<h2>${escapeHtml(title)}</h2><p>${escapeHtml(num(s.count))} users, e.g. <code>${escapeHtml(s.samples.join(", "))}</code></p>`;
  parts.push(sampleList("Missing emails (cannot migrate)", report.emails.missing));
  parts.push(sampleList("Invalid emails", report.emails.invalid));
  parts.push(sampleList("Names too long", report.namesTooLong));

  if (t.failed > 0) {
    parts.push(`<h2>Records that failed to map</h2>`);
    parts.push(
      barTable(
        ["issue", "records"],
        Object.entries(report.failed.byCode)
          .sort((a, b) => b[1] - a[1])
          .map(([code, n]) => ({ label: code, value: n })),
        t.records,
        limitRows,
        "codes",
      ),
    );
    if (report.failed.samples.length > 0)
      parts.push(
        `<table><tr><th>location</th><th>issue</th><th>message</th></tr>\n${report.failed.samples
          .map((s) => `<tr><td><code>${escapeHtml(s.location)}</code></td><td>${escapeHtml(s.code)}</td><td>${escapeHtml(s.message)}</td></tr>`)
          .join("\n")}</table>`,
      );
  }

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>authmigrate audit — ${escapeHtml(report.source)}</title>
<style>${CSS}</style>
</head>
<body>
${parts.filter(Boolean).join("\n")}
</body>
</html>
`;
}
