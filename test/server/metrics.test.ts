/**
 * /metrics after a real run against the Calimatic simulator (with a rate limit below what the run
 * asks for, so 429s happen): users by status equal the ledger, HTTP requests/429s/latency equal
 * what the simulator answered, the run's heartbeat gauges equal the run report.
 */
import Database from "better-sqlite3";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import { generateLegacyDb } from "../../src/demo/generate-legacy.js";
import { runMigration, type RunReport } from "../../src/engine/run.js";
import { targetKey } from "../../src/ledger/index.js";
import { startService, type RunningService } from "../../src/server/service.js";
import { startCalimatic, type RunningCalimatic } from "../../src/simulators/calimatic/index.js";
import { tempDir } from "../helpers.js";
import { calimaticConfig, demoOrgs, demoSource } from "../proof/shared.js";

const TOKEN = "metrics-test-token-0123456789";
let dir: string;
let sim: RunningCalimatic;
let svc: RunningService;
let report: RunReport;
let text: string;

/** Sum of a metric's samples whose labels contain every `labels` pair. */
function metric(name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  let found = false;
  for (const line of text.split("\n")) {
    const m = /^([a-zA-Z_:][\w:]*)(\{([^}]*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const ls = Object.fromEntries([...(m[3] ?? "").matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => ls[k] === v)) {
      sum += Number(m[4]);
      found = true;
    }
  }
  if (!found) throw new Error(`metric ${name} ${JSON.stringify(labels)} not found`);
  return sum;
}

beforeAll(async () => {
  dir = tempDir("am-metrics-");
  generateLegacyDb({ file: path.join(dir, "legacy.db"), users: 300 });
  // The simulator allows 5 req/s with a burst of 2; the run asks for 20: it gets 429s and adapts.
  sim = await startCalimatic({ bcryptCost: 4, rateLimit: 5, rateLimitBurst: 2 });
  const config = parseConfig({
    ...calimaticConfig(sim, { source: demoSource(dir), orgs: demoOrgs(dir), run: { rateLimit: 20, batchSize: 25, concurrency: 2, outDir: "out" } }),
    serve: { secret: "hook-secret-0123456789-xyz", dashboard: { token: TOKEN } },
  });
  report = await runMigration({ config, cwd: dir });
  svc = await startService(config, dir, { port: 0, log: () => {} });
  const res = await fetch(`${svc.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("text/plain");
  text = await res.text();
  key = targetKey(config.target);
  ledgerCounts = Object.fromEntries(
    (new Database(path.join(dir, "ledger.sqlite"), { readonly: true }).prepare("SELECT status, COUNT(*) AS n FROM am_users WHERE target = ? GROUP BY status").all(key) as { status: string; n: number }[]).map((r) => [r.status, r.n]),
  );
}, 120_000);
let ledgerCounts: Record<string, number>;
let key: string;

afterAll(async () => {
  await svc?.close();
  await sim?.close();
});

describe("/metrics after a run", () => {
  it("users by status are the ledger's counts", () => {
    for (const status of ["created", "updated", "skipped", "failed", "pending", "rolled_back"]) {
      expect(metric("authmigrate_users", { status }), status).toBe(ledgerCounts[status] ?? 0);
    }
    expect(ledgerCounts.created).toBe(report.counts.created);
    expect(ledgerCounts.created).toBeGreaterThan(250);
  });

  it("HTTP requests, 429s and the latency histogram count what the simulator answered", () => {
    const stats = sim.stats();
    expect(stats.byStatus[429] ?? 0).toBeGreaterThan(0);
    expect(metric("authmigrate_http_requests_total", { target: "calimatic" })).toBe(stats.requests);
    expect(metric("authmigrate_http_requests_total", { target: "calimatic", status: "429" })).toBe(stats.byStatus[429]);
    expect(metric("authmigrate_http_429_total", { target: "calimatic" })).toBe(stats.byStatus[429]);
    expect(metric("authmigrate_http_request_duration_seconds_count", { target: "calimatic" })).toBe(stats.requests);
    expect(metric("authmigrate_http_request_duration_seconds_bucket", { target: "calimatic", method: "POST", le: "+Inf" })).toBe(metric("authmigrate_http_request_duration_seconds_count", { target: "calimatic", method: "POST" }));
    // 429s that reached the engine's retry loop were retried (others were absorbed by the target's own polling).
    expect(metric("authmigrate_retries_total")).toBeGreaterThan(0);
    expect(metric("authmigrate_retries_total")).toBeLessThanOrEqual(stats.byStatus[429]! + (stats.byStatus[500] ?? 0) + (stats.byStatus[503] ?? 0));
  });

  it("the run's heartbeat: processed and total, requests and 429s as the run's limiter saw them", () => {
    expect(metric("authmigrate_run_processed")).toBe(report.counts.total);
    expect(metric("authmigrate_run_total")).toBe(300);
    expect(metric("authmigrate_run_request_limit")).toBe(20);
    expect(metric("authmigrate_run_request_rate")).toBe(0); // finished
    expect(metric("authmigrate_run_429")).toBe(report.rateLimiter!.throttled);
    expect(metric("authmigrate_run_requests")).toBe(report.rateLimiter!.acquired);
  });

  it("exposes auth_path_total, webhook deliveries and outbox depth, with healthz open", async () => {
    expect(metric("auth_path_total", { type: "legacy" })).toBe(0);
    expect(metric("auth_path_total", { type: "session" })).toBe(0);
    expect(text).toContain("# TYPE authmigrate_webhook_deliveries_total counter");
    expect(metric("authmigrate_outbox_depth")).toBe(0);
    // An app enqueues mirror changes into the outbox in the same ledger database: serve's gauge counts them.
    const { openOutboxStore } = await import("../../src/mirror/outbox.js");
    const store = openOutboxStore("ledger.sqlite", key, dir);
    try {
      for (const id of ["1", "2", "2"]) await store.enqueue({ action: "email", externalId: id, email: `new${id}@example.com` });
    } finally {
      await store.close();
    }
    const again = await (await fetch(`${svc.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
    expect(again).toContain("authmigrate_outbox_depth 3");
    const health = await fetch(`${svc.url}/healthz`);
    expect(health.status).toBe(200);
    expect(((await health.json()) as { routes: string[] }).routes).toContain("GET /metrics");
  });
});
