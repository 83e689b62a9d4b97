/** The dashboard's browser script (served as /assets/dashboard.js). Plain ES2020, no build step. */
export const DASHBOARD_JS = String.raw`
"use strict";
(function () {
  var $ = function (id) { return document.getElementById(id); };
  var fmt = function (n) { return n === null || n === undefined ? "–" : Number(n).toLocaleString("en-US"); };
  var dur = function (s) {
    if (s === null || s === undefined || !isFinite(s)) return "–";
    s = Math.round(s);
    if (s >= 3600) return Math.floor(s / 3600) + "h" + String(Math.floor((s % 3600) / 60)).padStart(2, "0") + "m";
    if (s >= 60) return Math.floor(s / 60) + "m" + String(s % 60).padStart(2, "0") + "s";
    return s + "s";
  };
  var get = function (url) {
    return fetch(url, { credentials: "same-origin", headers: { accept: "application/json" } }).then(function (r) {
      if (r.status === 401) { location.href = "/login"; throw new Error("unauthorized"); }
      return r.json();
    });
  };
  var rows = function (tbody, data, cols) {
    var el = $(tbody);
    el.replaceChildren();
    data.forEach(function (d) {
      var tr = document.createElement("tr");
      cols.forEach(function (c) {
        var td = document.createElement("td");
        var v = typeof c === "function" ? c(d) : d[c];
        td.textContent = v === null || v === undefined ? "" : String(v);
        if (typeof v === "number") td.className = "n";
        tr.appendChild(td);
      });
      el.appendChild(tr);
    });
  };

  // ---- charts (uPlot) ----
  var charts = {};
  var width = function (id) { return Math.max(300, $(id).clientWidth || 400); };
  var lineChart = function (id, labels, colors, data) {
    if (typeof uPlot === "undefined") return;
    if (charts[id]) { charts[id].setData(data); return; }
    var series = [{}].concat(labels.map(function (l, i) { return { label: l, stroke: colors[i], width: 2, points: { show: true, size: 4 } }; }));
    charts[id] = new uPlot({ width: width(id), height: 220, series: series, scales: { x: { time: true } } }, data, $(id));
  };
  var barChart = function (id, items, label, color) {
    if (typeof uPlot === "undefined") return;
    var xs = items.map(function (_, i) { return i; });
    var data = [xs, items.map(function (d) { return d[1]; })];
    if (charts[id]) charts[id].destroy();
    charts[id] = new uPlot({
      width: width(id), height: 200,
      scales: { x: { time: false, range: [-0.5, Math.max(0.5, items.length - 0.5)] }, y: { range: function (u, min, max) { return [0, Math.max(1, max) * 1.1]; } } },
      axes: [{ values: function (_, ticks) { return ticks.map(function (t) { return items[t] ? items[t][0] : ""; }); }, splits: function () { return xs; } }, {}],
      series: [{}, { label: label, fill: color, stroke: color, paths: uPlot.paths.bars({ size: [0.6, 80] }), points: { show: false } }],
    }, data, $(id));
  };
  var minuteSecs = function (m) { return Date.parse(m + ":00Z") / 1000; };
  // Every minute from (at least) 30 minutes ago to now, zero where nothing happened: a run of a
  // few minutes reads as a shape on a readable axis, not a dot.
  var perMinute = function (points, keys) {
    var byMinute = {};
    points.forEach(function (p) { byMinute[minuteSecs(p.minute)] = p; });
    var now = Math.floor(Date.now() / 60000) * 60;
    var first = points.length ? Math.min(minuteSecs(points[0].minute), now - 1800) : now - 1800;
    var xs = [];
    for (var t = first; t <= now; t += 60) xs.push(t);
    return [xs].concat(keys.map(function (k) { return xs.map(function (x) { return byMinute[x] ? byMinute[x][k] : 0; }); }));
  };

  // ---- panels ----
  var renderOverview = function (o) {
    $("target").textContent = "target " + o.target;
    $("ledger").textContent = o.ledger;
    $("total").textContent = fmt(o.total);
    $("migrated").textContent = fmt(o.migrated);
    $("remaining").textContent = fmt(o.remaining);
    $("failed").textContent = fmt(o.users.failed);
    $("pct").textContent = o.total ? (Math.round((1000 * o.migrated) / o.total) / 10) + "%" : "–";
    $("progress-bar").style.width = (o.total ? Math.min(100, (100 * (o.total - o.remaining)) / o.total) : 0) + "%";
    $("bulk").textContent = fmt(o.split.bulk);
    $("lazy").textContent = fmt(o.split.lazy);
    var run = o.run;
    $("run-status").textContent = run ? "run #" + run.runId + " " + run.status : "no run";
    $("eta").textContent = run && run.status === "running" ? dur(run.etaSeconds) : run ? "done" : "–";
    $("rate").textContent = run && run.requests ? run.requests.requestRate.toFixed(1) : "–";
    $("limit").textContent = run && run.requests ? fmt(run.requests.limit) + "/s" : "no";
    var st = o.status;
    rows("by-source", st.bySource, ["source", "count"]);
    rows("by-status", st.byStatus, ["status", "count"]);
    var h = st.health;
    rows("health", [
      ["email verified", h.emailVerified, h.emailVerifiedPercentage + "%"],
      ["has logged in", h.hasLoggedIn, h.hasLoggedInPercentage + "%"],
      ["has organization", h.hasOrganization, h.hasOrganizationPercentage + "%"],
      ["failed", h.failed, h.failedPercentage + "%"],
      ["pending (in flight)", h.pending, ""],
      ["organizations", h.organizations, ""],
    ], [function (r) { return r[0]; }, function (r) { return r[1]; }, function (r) { return r[2]; }]);
    var up = $("updated");
    up.textContent = "updated " + new Date(o.generatedAt).toLocaleTimeString();
    up.setAttribute("data-generated-at", o.generatedAt);
  };
  var renderTimeline = function (r) {
    var t = r.points;
    lineChart("chart-progress", ["created", "updated", "skipped", "failed"], ["#3f6ad8", "#26a69a", "#9e9e9e", "#e53935"], perMinute(t, ["created", "updated", "skipped", "failed"]));
    lineChart("chart-split", ["bulk", "lazy"], ["#3f6ad8", "#ff9800"], perMinute(t, ["bulk", "lazy"]));
  };
  var renderAuthPath = function (a) {
    $("authpath-session").textContent = fmt(a.totals.session);
    $("authpath-legacy").textContent = fmt(a.totals.legacy);
    lineChart("chart-authpath", ["session (new)", "legacy"], ["#3f6ad8", "#e53935"], perMinute(a.perMinute, ["session", "legacy"]));
  };
  var renderStrategies = function (s) {
    rows("strategies", s.strategies, ["strategy", "count"]);
    rows("formats", s.hashFormats, ["format", "count"]);
    barChart("chart-strategies", s.strategies.map(function (d) { return [d.strategy, d.count]; }), "users", "#3f6ad8");
    barChart("chart-formats", s.hashFormats.map(function (d) { return [d.format, d.count]; }), "users", "#26a69a");
  };
  var renderWorkers = function (w) {
    var run = w.run;
    var summary = $("workers-summary");
    if (!run) { summary.textContent = "no scaled-out run"; summary.className = "muted"; rows("workers", [], []); return; }
    summary.className = "";
    var c = run.chunks;
    summary.textContent = "run " + run.runId + ": chunks " + c.done + "/" + c.total + " done, " + c.leased + " leased, " + c.failed + " failed; " +
      fmt(Math.round(run.usersPerSecond)) + " users/s, " + run.requestsPerSecond.toFixed(1) + " req/s";
    rows("workers", run.workers, ["worker", "host", "state", "chunk", "chunksDone", "usersDone", function (x) { return Math.round(x.usersPerSecond); }, function (x) { return Number(x.requestsPerSecond.toFixed(1)); }, "heartbeatAgeSeconds"]);
  };
  var renderReconcile = function (r) {
    var el = $("reconcile");
    el.replaceChildren();
    if (!r.summary) { el.textContent = "not run"; el.className = "muted"; return; }
    el.className = "";
    var table = document.createElement("table");
    var add = function (k, v) {
      var tr = document.createElement("tr");
      var a = document.createElement("td"); a.textContent = k;
      var b = document.createElement("td");
      b.textContent = typeof v === "object" && v !== null ? JSON.stringify(v) : String(v);
      tr.appendChild(a); tr.appendChild(b); table.appendChild(tr);
    };
    // One level of nesting (counts: {missingInTarget: 3, …}) becomes one row per count.
    Object.keys(r.summary).forEach(function (k) {
      var v = r.summary[k];
      if (v && typeof v === "object" && !Array.isArray(v)) Object.keys(v).forEach(function (k2) { add(k + "." + k2, v[k2]); });
      else add(k, v);
    });
    el.appendChild(table);
  };

  // ---- failures ----
  var filterQuery = function () {
    var q = new URLSearchParams();
    ["reason", "org", "run"].forEach(function (k) { var v = $("f-" + k).value; if (v) q.set(k, v); });
    var s = q.toString();
    return s ? "?" + s : "";
  };
  var fillSelect = function (id, values, label) {
    var sel = $(id);
    var cur = sel.value;
    sel.replaceChildren();
    var all = document.createElement("option"); all.value = ""; all.textContent = "all"; sel.appendChild(all);
    values.forEach(function (v) {
      var o = document.createElement("option");
      o.value = String(label ? v.reason : v);
      o.textContent = label ? v.reason + " (" + v.count + ")" : String(v);
      sel.appendChild(o);
    });
    sel.value = cur;
  };
  var loadFailures = function () {
    var q = filterQuery();
    $("failures-csv").setAttribute("href", "/api/failures.csv" + q);
    return get("/api/failures" + q).then(function (f) {
      $("failures-total").textContent = fmt(f.total);
      fillSelect("f-reason", f.facets.reasons, true);
      fillSelect("f-org", f.facets.orgs, false);
      fillSelect("f-run", f.facets.runs, false);
      rows("failures", f.rows, ["externalId", "email", "reason", "org", "runId", "attempts", "updatedAt"]);
    });
  };
  ["f-reason", "f-org", "f-run"].forEach(function (id) { $(id).addEventListener("change", loadFailures); });

  // ---- lookup ----
  $("lookup").addEventListener("submit", function (e) {
    e.preventDefault();
    get("/api/users?q=" + encodeURIComponent($("lookup-q").value)).then(function (r) {
      rows("lookup-results", r.users, ["externalId", "targetId", "email", "status", "path", "attempts", "lastError", "strategy", "hashFormat"]);
    });
  });

  // ---- live updates: SSE, polling as the fallback ----
  var tick = 0;
  var refreshAll = function () {
    return Promise.all([
      get("/api/timeline").then(renderTimeline),
      get("/api/auth-path").then(renderAuthPath),
      get("/api/strategies").then(renderStrategies),
      get("/api/reconcile").then(renderReconcile),
      get("/api/workers").then(renderWorkers),
      loadFailures(),
    ]).catch(function () {});
  };
  var onOverview = function (o) {
    renderOverview(o);
    if (tick++ % 3 === 0) refreshAll();
  };
  var live = $("live");
  var poll = function () {
    live.className = "on"; live.textContent = "live (polling)";
    var go = function () { get("/api/overview").then(onOverview).catch(function () { live.className = "off"; }).finally(function () { setTimeout(go, 3000); }); };
    go();
  };
  if (window.EventSource) {
    var es = new EventSource("/api/events");
    var failures = 0;
    es.addEventListener("overview", function (e) { failures = 0; live.className = "on"; live.textContent = "live"; onOverview(JSON.parse(e.data)); });
    es.onerror = function () {
      live.className = "off"; live.textContent = "reconnecting";
      if (++failures >= 3) { es.close(); poll(); }
    };
  } else poll();
  get("/api/overview").then(onOverview).catch(function () {});
})();
`;
