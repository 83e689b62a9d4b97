/**
 * The dashboard page: static HTML (no data inlined; everything arrives from /api/* as JSON and is
 * rendered with textContent, never innerHTML) + one script (./client-js.ts) + uPlot.
 */
export const LOGIN_HTML = (error?: string): string => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>authmigrate dashboard — sign in</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:15px system-ui,sans-serif;background:#f5f6f8;display:grid;place-items:center;height:100vh;margin:0}
form{background:#fff;padding:2rem;border-radius:10px;box-shadow:0 1px 4px #0002;min-width:320px}
input{width:100%;padding:.5rem;margin:.5rem 0 1rem;box-sizing:border-box}button{padding:.5rem 1rem}.err{color:#b00020}</style></head>
<body><form method="post" action="/login"><h1>authmigrate dashboard</h1>
${error ? `<p class="err" id="login-error">${error}</p>` : ""}
<label for="token">Dashboard token (<code>serve.dashboard.token</code>)</label>
<input id="token" name="token" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button></form></body></html>`;

export const DASHBOARD_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>authmigrate — migration dashboard</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/assets/uplot.min.css">
<style>
body{font:14px system-ui,sans-serif;margin:0;background:#f5f6f8;color:#1d2330}
header{background:#1d2330;color:#fff;padding:.8rem 1.5rem;display:flex;gap:1.5rem;align-items:baseline;flex-wrap:wrap}
header h1{font-size:1.1rem;margin:0}header .meta{opacity:.75;font-size:.85rem}
#live{margin-left:auto;font-size:.85rem}#live.on::before{content:"● ";color:#4caf50}#live.off::before{content:"● ";color:#e53935}
main{padding:1rem 1.5rem;display:grid;gap:1rem;grid-template-columns:repeat(auto-fit,minmax(440px,1fr))}
section{background:#fff;border-radius:8px;box-shadow:0 1px 3px #0001;padding:1rem}
section.wide{grid-column:1/-1}h2{font-size:1rem;margin:0 0 .6rem}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(130px,1fr));gap:.6rem}
.card{background:#f5f6f8;border-radius:6px;padding:.6rem}.card .v{font-size:1.5rem;font-weight:600}.card .l{font-size:.8rem;opacity:.7}
table{border-collapse:collapse;width:100%;font-size:.85rem}th,td{text-align:left;padding:.25rem .4rem;border-bottom:1px solid #eee}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.filters{display:flex;gap:.5rem;flex-wrap:wrap;margin-bottom:.5rem;align-items:center}
.bar{height:8px;background:#e3e6ec;border-radius:4px;overflow:hidden;margin-top:.4rem}.bar>div{height:100%;background:#3f6ad8}
.muted{opacity:.6}.scroll{max-height:320px;overflow:auto}
</style></head>
<body>
<header><h1>authmigrate — migration dashboard</h1><span class="meta" id="target"></span><span class="meta" id="ledger"></span>
<span id="live" class="off">connecting</span><span class="meta" id="updated" data-generated-at=""></span></header>
<main>
<section class="wide"><h2>Overview</h2>
<div class="cards">
<div class="card"><div class="v" id="total">–</div><div class="l">total</div></div>
<div class="card"><div class="v" id="migrated">–</div><div class="l">migrated</div></div>
<div class="card"><div class="v" id="remaining">–</div><div class="l">remaining</div></div>
<div class="card"><div class="v" id="failed">–</div><div class="l">failed</div></div>
<div class="card"><div class="v" id="pct">–</div><div class="l">migrated %</div></div>
<div class="card"><div class="v" id="rate">–</div><div class="l">requests/s (<span id="limit">–</span> limit)</div></div>
<div class="card"><div class="v" id="eta">–</div><div class="l">ETA (<span id="run-status">no run</span>)</div></div>
<div class="card"><div class="v"><span id="bulk">–</span> / <span id="lazy">–</span></div><div class="l">bulk / lazy</div></div>
</div><div class="bar"><div id="progress-bar" style="width:0"></div></div></section>
<section class="wide"><h2>Progress over time (users per minute)</h2><div id="chart-progress"></div></section>
<section><h2>Lazy vs bulk (per minute)</h2><div id="chart-split"></div></section>
<section><h2>Auth path: legacy vs new (per minute)</h2><div id="chart-authpath"></div>
<p class="muted">auth_path_total — session <span id="authpath-session">0</span>, legacy <span id="authpath-legacy">0</span></p></section>
<section><h2>By source</h2><table><tbody id="by-source"></tbody></table></section>
<section><h2>By status</h2><table><tbody id="by-status"></tbody></table></section>
<section><h2>Health (migrated users)</h2><table><tbody id="health"></tbody></table></section>
<section><h2>Reconcile drift</h2><div id="reconcile" class="muted">not run</div></section>
<section class="wide"><h2>Workers (scale-out)</h2><p id="workers-summary" class="muted">no scaled-out run</p>
<table><thead><tr><th>worker</th><th>host</th><th>state</th><th>chunk</th><th>chunks done</th><th>users</th><th>users/s</th><th>req/s</th><th>heartbeat age s</th></tr></thead><tbody id="workers"></tbody></table></section>
<section><h2>Password strategies</h2><div id="chart-strategies"></div><table><tbody id="strategies"></tbody></table></section>
<section><h2>Hash formats found</h2><div id="chart-formats"></div><table><tbody id="formats"></tbody></table></section>
<section class="wide"><h2>Failures (<span id="failures-total">0</span>)</h2>
<div class="filters"><label>reason <select id="f-reason"><option value="">all</option></select></label>
<label>org <select id="f-org"><option value="">all</option></select></label>
<label>run <select id="f-run"><option value="">all</option></select></label>
<a id="failures-csv" href="/api/failures.csv" download="retry.csv">Download CSV (retry file)</a></div>
<div class="scroll"><table><thead><tr><th>externalId</th><th>email</th><th>reason</th><th>org</th><th class="n">run</th><th class="n">attempts</th><th>when</th></tr></thead><tbody id="failures"></tbody></table></div></section>
<section class="wide"><h2>User lookup</h2>
<form id="lookup" class="filters"><input id="lookup-q" placeholder="email, legacy id or target id" size="40"><button type="submit">Search</button></form>
<table><thead><tr><th>legacy id</th><th>target id</th><th>email</th><th>status</th><th>path</th><th class="n">attempts</th><th>last error</th><th>strategy</th><th>hash format</th></tr></thead><tbody id="lookup-results"></tbody></table></section>
</main>
<script src="/assets/uplot.min.js"></script>
<script src="/assets/dashboard.js"></script>
</body></html>`;
