import Database from "better-sqlite3";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { targetKey } from "../../src/ledger/index.js";
import { runMigration } from "../../src/engine/run.js";
import { startService, type RunningService } from "../../src/server/service.js";
import { count, DASH_TOKEN, dashFixture, HOOK_SECRET, ledgerRows, PW, type DashFixture } from "./dashboard-fixture.js";

let f: DashFixture;
let svc: RunningService;
const logs: string[] = [];
const auth = { authorization: `Bearer ${DASH_TOKEN}` };
const get = (p: string, headers: Record<string, string> = auth) => fetch(svc.url + p, { headers, redirect: "manual" });
const json = async <T = Record<string, unknown>>(p: string): Promise<T> => {
  const res = await get(p);
  expect(res.status, p).toBe(200);
  return (await res.json()) as T;
};

beforeAll(async () => {
  f = dashFixture();
  await runMigration({ config: f.config, cwd: f.dir });
  svc = await startService(f.config, f.dir, { port: 0, log: (e) => logs.push(JSON.stringify(e)) });
});
afterAll(async () => {
  await svc?.close();
});

describe("dashboard access", () => {
  it("every API route, the page and /metrics refuse requests without the token", async () => {
    for (const p of ["/api/overview", "/api/failures", "/api/failures.csv", "/api/users?q=bob", "/api/timeline", "/api/strategies", "/api/reconcile", "/api/auth-path", "/api/events", "/metrics"]) {
      const res = await get(p, {});
      expect(res.status, p).toBe(401);
      expect(await res.text(), p).not.toContain("bob@example.com");
      expect((await get(p, { authorization: `Bearer ${DASH_TOKEN}x` })).status, p).toBe(401);
      // The hooks' secret is not the dashboard's token.
      expect((await get(p, { authorization: `Bearer ${HOOK_SECRET}` })).status, p).toBe(401);
    }
    const page = await get("/", {});
    expect(page.status).toBe(302);
    expect(page.headers.get("location")).toBe("/login");
  });

  it("signing in with the token sets an HttpOnly cookie that opens the page and the API; a wrong token does not", async () => {
    const bad = await fetch(`${svc.url}/login`, { method: "POST", body: new URLSearchParams({ token: "wrong-token-wrong-token" }), redirect: "manual" });
    expect(bad.status).toBe(401);
    expect(bad.headers.get("set-cookie")).toBeNull();
    const ok = await fetch(`${svc.url}/login`, { method: "POST", body: new URLSearchParams({ token: DASH_TOKEN }), redirect: "manual" });
    expect(ok.status).toBe(303);
    const cookie = ok.headers.get("set-cookie")!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    expect(cookie).not.toContain(DASH_TOKEN);
    const jar = { cookie: cookie.split(";")[0]! };
    const page = await get("/", jar);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(await page.text()).toContain("migration dashboard");
    expect((await get("/api/overview", jar)).status).toBe(200);
    expect((await get("/api/overview", { cookie: "authmigrate_dashboard=forged" })).status).toBe(401);
  });

  it("serves uPlot and the page script without a token (no data in them)", async () => {
    const js = await get("/assets/uplot.min.js", {});
    expect(js.status).toBe(200);
    expect(await js.text()).toContain("uPlot");
    expect((await get("/assets/dashboard.js", {})).status).toBe(200);
  });
});

describe("dashboard API agrees with the ledger", () => {
  it("overview: total, migrated, remaining, status blocks and seed 000 health", async () => {
    const rows = ledgerRows(f);
    const o = await json<{ total: number; migrated: number; remaining: number; users: Record<string, number>; split: { bulk: number; lazy: number }; status: { health: Record<string, number>; byStatus: { status: string; count: number }[] }; run: { status: string; processed: number; total: number } }>("/api/overview");
    const done = rows.filter((r) => ["created", "updated", "skipped"].includes(r.status) && r.target_id);
    expect(o.total).toBe(f.users.length);
    expect(o.migrated).toBe(count(rows, (r) => r.status === "created" || r.status === "updated") + count(rows, (r) => r.status === "skipped" && !!r.target_id));
    expect(o.migrated).toBe(4); // 1-4: valid emails
    expect(o.users.failed).toBe(count(rows, (r) => r.status === "failed"));
    expect(o.users.failed).toBe(3);
    expect(o.remaining).toBe(0);
    expect(o.split).toEqual({ bulk: 4, lazy: 0 });
    expect(o.run).toMatchObject({ status: "completed", processed: 7, total: 7 });
    expect(o.status.byStatus.find((s) => s.status === "created")!.count).toBe(count(rows, (r) => r.status === "created"));
    expect(o.status.health).toMatchObject({
      hasLoggedIn: count(done, (r) => r.has_logged_in === 1),
      hasOrganization: count(done, (r) => r.org !== null),
      emailVerified: 0,
    });
    expect(o.status.health.hasLoggedIn).toBe(2);
    expect(o.status.health.hasOrganization).toBe(3);
    expect(o.status.health.hasOrganizationPercentage).toBe(75);
  });

  it("failures: the table, the reason/org/run filters and the CSV (retry.csv's columns)", async () => {
    const rows = ledgerRows(f).filter((r) => r.status === "failed");
    const all = await json<{ total: number; rows: { externalId: string; reason: string; org: string | null }[]; facets: { reasons: { reason: string; count: number }[]; orgs: string[]; runs: number[] } }>("/api/failures");
    expect(all.total).toBe(rows.length);
    expect(all.rows.map((r) => r.externalId)).toEqual(rows.map((r) => r.external_id));
    expect(all.facets.reasons).toEqual(expect.arrayContaining([{ reason: "invalid_email", count: 2 }, { reason: "no_email", count: 1 }]));
    expect(all.facets.orgs).toEqual(["10", "20"]);

    const invalid = await json<{ rows: { externalId: string }[] }>("/api/failures?reason=invalid_email");
    expect(invalid.rows.map((r) => r.externalId)).toEqual(["5", "6"]);
    const org20 = await json<{ rows: { externalId: string }[] }>("/api/failures?org=20");
    expect(org20.rows.map((r) => r.externalId)).toEqual(["5", "7"]);
    const both = await json<{ rows: { externalId: string }[] }>("/api/failures?reason=invalid_email&org=10");
    expect(both.rows.map((r) => r.externalId)).toEqual(["6"]);
    expect((await json<{ total: number }>(`/api/failures?run=${all.facets.runs[0]}`)).total).toBe(3);
    expect((await json<{ total: number }>("/api/failures?run=999")).total).toBe(0);
    expect((await get("/api/failures?run=abc")).status).toBe(400);

    const csv = await get("/api/failures.csv?reason=invalid_email");
    expect(csv.headers.get("content-type")).toContain("text/csv");
    const lines = (await csv.text()).trim().split("\n");
    expect(lines[0]).toBe("location,externalId,email,reason,retryable");
    const byId = new Map(rows.map((r) => [r.external_id, r]));
    expect(lines.slice(1)).toEqual(["5", "6"].map((id) => {
      const r = byId.get(id)!;
      const reason = r.reason!.includes(",") || r.reason!.includes('"') ? `"${r.reason!.replace(/"/g, '""')}"` : r.reason;
      return `ledger,${id},${r.email},${reason},false`;
    }));
  });

  it("user lookup by email (any case), legacy id and target id; never a hash or digest", async () => {
    const byEmail = await json<{ users: Record<string, unknown>[] }>("/api/users?q=ALICE@example.com");
    expect(byEmail.users).toHaveLength(1);
    // Created by the first run's one request: one attempt (the intent is a row per request, not a write of the user's row).
    expect(byEmail.users[0]).toMatchObject({ externalId: "1", email: "alice@example.com", status: "created", path: "bulk", attempts: 1, lastError: null, hashFormat: "bcrypt", hasLoggedIn: true, org: "10" });
    const targetId = byEmail.users[0]!.targetId as string;
    expect((await json<{ users: { externalId: string }[] }>(`/api/users?q=${encodeURIComponent(targetId)}`)).users[0]!.externalId).toBe("1");
    const failed = await json<{ users: Record<string, unknown>[] }>("/api/users?q=5");
    expect(failed.users[0]).toMatchObject({ externalId: "5", status: "failed", lastError: expect.stringMatching(/^invalid_email/) });
    expect((await json<{ users: unknown[] }>("/api/users?q=nobody@nowhere.test")).users).toEqual([]);

    // Search everything: no hash, digest or password field or value anywhere.
    for (const q of ["1", "2", "3", "4", "5", "6", "7", "alice@example.com", "b", "c"]) {
      const text = await (await get(`/api/users?q=${encodeURIComponent(q)}`)).text();
      for (const h of f.hashes) expect(text).not.toContain(h);
      expect(text).not.toMatch(/digest|password"|"hash"/i);
    }
  });

  it("strategies and hash formats found", async () => {
    const s = await json<{ strategies: { strategy: string; count: number }[]; hashFormats: { format: string; count: number }[] }>("/api/strategies");
    const rows = ledgerRows(f);
    expect(s.hashFormats.find((h) => h.format === "bcrypt")!.count).toBe(count(rows, (r) => r.hash_format === "bcrypt"));
    expect(s.hashFormats.find((h) => h.format === "bcrypt")!.count).toBe(3); // ids 1-3 (4 has none; failed records keep no hash format)
    expect(s.strategies.reduce((a, b) => a + b.count, 0)).toBe(rows.length);
  });

  it("timeline buckets this run's outcomes in the current minute; reconcile says not run", async () => {
    const t = await json<{ points: { minute: string; created: number; failed: number; bulk: number }[] }>("/api/timeline");
    const rows = ledgerRows(f);
    expect(t.points.reduce((a, p) => a + p.created, 0)).toBe(count(rows, (r) => r.status === "created"));
    expect(t.points.reduce((a, p) => a + p.failed, 0)).toBe(3);
    expect(await json("/api/reconcile")).toEqual({ summary: null });
  });

  it("reconcile drift: the latest summary `authmigrate reconcile` stored for this target", async () => {
    const db = new Database(path.join(f.dir, "ledger.sqlite"));
    // The table and row shape of src/reconcile/summary-store.ts.
    db.exec("CREATE TABLE IF NOT EXISTS am_reconcile (target TEXT NOT NULL, finished_at TEXT NOT NULL, summary TEXT NOT NULL)");
    const ins = db.prepare("INSERT INTO am_reconcile (target, finished_at, summary) VALUES (?, ?, ?)");
    ins.run(targetKey(f.config.target), "2026-01-01T00:00:00.000Z", JSON.stringify({ finishedAt: "2026-01-01T00:00:00.000Z", driftedUsers: 9, counts: { missingInTarget: 9 } }));
    ins.run(targetKey(f.config.target), "2026-01-02T00:00:00.000Z", JSON.stringify({ finishedAt: "2026-01-02T00:00:00.000Z", driftedUsers: 2, counts: { missingInTarget: 1, fieldDrift: 1 } }));
    ins.run("other:target", "2026-01-03T00:00:00.000Z", JSON.stringify({ driftedUsers: 100 }));
    db.close();
    expect(await json("/api/reconcile")).toEqual({ summary: { finishedAt: "2026-01-02T00:00:00.000Z", driftedUsers: 2, counts: { missingInTarget: 1, fieldDrift: 1 } } });
  });

  it("auth_path ingest: counted, validated, visible in /api/auth-path and /metrics", async () => {
    const post = (body: unknown, headers: Record<string, string> = auth) => fetch(`${svc.url}/api/auth-path`, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body: JSON.stringify(body) });
    const before = (await json<{ totals: { legacy: number; session: number } }>("/api/auth-path")).totals;
    expect((await post({ type: "legacy", count: 3 })).status).toBe(202);
    expect((await post({ type: "session", count: 5 })).status).toBe(202);
    expect((await post({ type: "other", count: 1 })).status).toBe(400);
    expect((await post({ type: "legacy", count: -1 })).status).toBe(400);
    expect((await post({ type: "legacy", count: 1 }, {})).status).toBe(401);
    const after = await json<{ totals: { legacy: number; session: number }; perMinute: { legacy: number; session: number }[] }>("/api/auth-path");
    expect(after.totals).toEqual({ legacy: before.legacy + 3, session: before.session + 5 });
    expect(after.perMinute.reduce((a, p) => a + p.legacy, 0)).toBeGreaterThanOrEqual(3);
    const metrics = await (await get("/metrics")).text();
    expect(metrics).toContain(`auth_path_total{type="legacy"} ${before.legacy + 3}`);
  });

  it("SSE stream pushes overview events", async () => {
    const ac = new AbortController();
    const res = await fetch(`${svc.url}/api/events`, { headers: auth, signal: ac.signal });
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const reader = res.body!.getReader();
    let text = "";
    while (!/data: .*\n[\s\S]*data: /.test(text)) text += new TextDecoder().decode((await reader.read()).value);
    ac.abort();
    expect(text).toContain("event: overview");
    const first = JSON.parse(/data: (.*)\n/.exec(text)![1]!) as { migrated: number };
    expect(first.migrated).toBe(4);
  });

  it("lazy hook outcomes are counted and logged without the password", async () => {
    const login = (password: string) => fetch(`${svc.url}/hooks/verify`, { method: "POST", headers: { authorization: `Bearer ${HOOK_SECRET}`, "content-type": "application/json" }, body: JSON.stringify({ identifier: "alice@example.com", password }) });
    expect((await login(PW)).status).toBe(200);
    expect((await login("wrong-password-here")).status).toBe(401);
    const metrics = await (await get("/metrics")).text();
    expect(metrics).toMatch(/authmigrate_lazy_hook_total\{route="verify",outcome="ok"\} [1-9]/);
    expect(metrics).toMatch(/authmigrate_lazy_hook_total\{route="verify",outcome="invalid[^"]*"\} [1-9]/);
    const all = logs.join("\n");
    expect(all).not.toContain(PW);
    expect(all).not.toContain(DASH_TOKEN);
  });
});
