import { escapeHtml } from "../audit/render-html.js";
import { DRIFT_KINDS, DRIFT_TITLES, type DriftItem, type FixSummary, type ReconcileReport } from "./types.js";

const short = (v: unknown): string => {
  const s = typeof v === "string" ? v : JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
};

function who(i: DriftItem): string {
  return [i.externalId ? `legacy ${i.externalId}` : undefined, i.targetId ? `target ${i.targetId}` : undefined, i.email].filter(Boolean).join(" · ");
}

function what(i: DriftItem): string {
  if (i.diffs?.length) return i.diffs.map((d) => `${d.field}: ${short(d.legacy)} → ${short(d.target)}`).join("; ");
  return i.note ?? "";
}

function fixLines(f: FixSummary): string[] {
  const kv = (m: Record<string, number>): string => Object.entries(m).map(([k, v]) => `${k}=${v}`).join(" ") || "none";
  const lines = [`${f.dryRun ? "would fix" : "fix"} (${f.direction}): ${kv(f.planned)}`];
  if (!f.dryRun) lines.push(`  outcomes: ${kv(f.outcomes)}${f.runId !== null ? ` (ledger run #${f.runId})` : ""}`);
  for (const [why, n] of Object.entries(f.left)) lines.push(`  left: ${n} ${why}`);
  for (const x of f.failures.slice(0, 10)) lines.push(`  failed ${x.action} ${x.externalId ?? x.targetId ?? ""}: ${x.reason}`);
  return lines;
}

/** Text report: counts per kind, then a few samples of each. */
export function renderText(r: ReconcileReport, perKind = 5): string {
  const lines = [
    `reconcile ${r.target} (${(r.durationMs / 1000).toFixed(1)}s): legacy ${r.legacy.records} records (${r.legacy.excluded} not expected in the target), target ${r.targetUsers} users, ${r.legacy.compared} compared`,
  ];
  const w = Math.max(...DRIFT_KINDS.map((k) => DRIFT_TITLES[k].length));
  for (const k of DRIFT_KINDS) lines.push(`  ${DRIFT_TITLES[k].padEnd(w)}  ${String(r.counts[k]).padStart(8)}`);
  lines.push(r.driftedUsers ? `${r.driftedUsers} users with drift` : "no drift");
  if (r.interrupted) lines.push("INTERRUPTED: only part of the users were compared");
  for (const k of DRIFT_KINDS) {
    const s = r.samples[k].slice(0, perKind);
    if (!s.length) continue;
    lines.push(`${DRIFT_TITLES[k]}:`);
    for (const i of s) lines.push(`  ${who(i)}${what(i) ? `  ${what(i)}` : ""}`);
    if (r.counts[k] > s.length) lines.push(`  … ${r.counts[k] - s.length} more (--json for the samples, --sample-size for more)`);
  }
  if (r.fix) lines.push(...fixLines(r.fix));
  return lines.join("\n");
}

const CSS = `body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:64rem;padding:0 1rem;color:#1d2330}
h1{font-size:1.4rem}h2{font-size:1.05rem;margin-top:1.8rem;border-bottom:1px solid #e3e6ec}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(10rem,1fr));gap:.6rem}
.card{border:1px solid #e3e6ec;border-radius:6px;padding:.5rem .7rem}.card b{display:block;font-size:1.3rem}.card.bad{border-color:#e5484d;background:#fff5f5}
table{border-collapse:collapse;width:100%}td,th{padding:.25rem .5rem;border-bottom:1px solid #f0f1f4;text-align:left;vertical-align:top}
code{font:12px ui-monospace,monospace;word-break:break-all}.meta{color:#667085}`;

/** A self-contained HTML page (no scripts, no external assets); every value escaped. */
export function renderHtml(r: ReconcileReport): string {
  const cards = DRIFT_KINDS.map((k) => `<div class="card${r.counts[k] ? " bad" : ""}"><b>${r.counts[k]}</b>${escapeHtml(DRIFT_TITLES[k])}</div>`).join("");
  const sections = DRIFT_KINDS.filter((k) => r.samples[k].length)
    .map((k) => {
      const rows = r.samples[k]
        .map((i) => `<tr><td><code>${escapeHtml(i.externalId ?? "")}</code></td><td><code>${escapeHtml(i.targetId ?? "")}</code></td><td>${escapeHtml(i.email ?? "")}</td><td>${escapeHtml(what(i))}</td></tr>`)
        .join("");
      const more = r.counts[k] > r.samples[k].length ? `<p class="meta">${r.counts[k] - r.samples[k].length} more not shown.</p>` : "";
      return `<h2>${escapeHtml(DRIFT_TITLES[k])} (${r.counts[k]})</h2><table><tr><th>legacy id</th><th>target id</th><th>email</th><th>difference</th></tr>${rows}</table>${more}`;
    })
    .join("");
  const fix = r.fix ? `<h2>Fix</h2><pre>${escapeHtml(fixLines(r.fix).join("\n"))}</pre>` : "";
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>authmigrate reconcile</title><style>${CSS}</style></head><body>
<h1>Reconcile: legacy ↔ ${escapeHtml(r.target)}</h1>
<p class="meta">${escapeHtml(r.startedAt)} · ${(r.durationMs / 1000).toFixed(1)} s · legacy ${r.legacy.records} records (${r.legacy.excluded} not expected in the target) · target ${r.targetUsers} users · ${r.legacy.compared} compared · ${r.driftedUsers} users with drift</p>
<div class="cards">${cards}</div>${sections}${fix}</body></html>
`;
}
