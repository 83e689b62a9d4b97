/** The dashboard's SQL on a PostgreSQL ledger (the queries are written once for both backends). */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runMigration } from "../../src/engine/run.js";
import { startService, type RunningService } from "../../src/server/service.js";
import pg from "pg";
import { targetKey } from "../../src/ledger/index.js";
import { freshPgDatabase } from "../helpers.js";
import { DASH_TOKEN, dashFixture } from "./dashboard-fixture.js";

let svc: RunningService;
let drop: () => Promise<void>;
let url: string;
let key: string;
const json = async <T>(p: string): Promise<T> => {
  const res = await fetch(svc.url + p, { headers: { authorization: `Bearer ${DASH_TOKEN}` } });
  expect(res.status, p).toBe(200);
  return (await res.json()) as T;
};

beforeAll(async () => {
  const db = await freshPgDatabase("am_dash");
  drop = db.drop;
  url = db.url;
  const f = dashFixture(db.url);
  key = targetKey(f.config.target);
  await runMigration({ config: f.config, cwd: f.dir });
  svc = await startService(f.config, f.dir, { port: 0, log: () => {} });
}, 60_000);
afterAll(async () => {
  await svc?.close();
  await drop?.();
});

describe("dashboard on a PostgreSQL ledger", () => {
  it("workers of the latest scaled-out run: state by heartbeat age, chunks, rates (none before a scaled-out run)", async () => {
    expect(await json("/api/workers")).toEqual({ run: null });
    // What `run --workers` writes (src/engine/scale): a planned run, its chunks, two workers' heartbeats.
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      await c.query("INSERT INTO am_scale_runs (run_id, target, chunks, records, lease_seconds) VALUES (99, $1, 3, 30, 30)", [key]);
      await c.query("INSERT INTO am_chunks (run_id, seq, records, status) VALUES (99, 1, 10, 'done'), (99, 2, 10, 'leased'), (99, 3, 10, 'todo')");
      await c.query(`INSERT INTO am_workers (run_id, worker, host, pid, heartbeat_at, chunk, chunks_done, users_done, requests, users_per_second, requests_per_second)
        VALUES (99, 'w-alive', 'host-a', 11, now(), 2, 1, 10, 4, 12.5, 2.5), (99, 'w-dead', 'host-b', 12, now() - interval '5 minutes', 3, 0, 0, 0, 9, 1)`);
    } finally {
      await c.end();
    }
    const w = await json<{ run: { runId: number; chunks: { total: number; done: number; leased: number }; workers: { worker: string; state: string; chunksDone: number }[]; usersPerSecond: number } }>("/api/workers");
    expect(w.run).toMatchObject({ runId: 99, chunks: { total: 3, done: 1, leased: 1 }, usersPerSecond: 12.5 });
    expect(w.run.workers.map((x) => [x.worker, x.state, x.chunksDone])).toEqual([["w-alive", "alive", 1], ["w-dead", "dead", 0]]);
  });

  it("overview, timeline, failures + CSV, lookup, strategies, reconcile and /metrics", async () => {
    const o = await json<{ total: number; migrated: number; users: { failed: number; created: number }; status: { health: { hasLoggedIn: number; hasOrganization: number } }; run: { processed: number } }>("/api/overview");
    expect(o).toMatchObject({ total: 7, migrated: 4, users: { failed: 3, created: 4 }, run: { processed: 7 } });
    expect(o.status.health).toMatchObject({ hasLoggedIn: 2, hasOrganization: 3 });
    const t = await json<{ points: { created: number; failed: number }[] }>("/api/timeline");
    expect(t.points.reduce((a, p) => a + p.created, 0)).toBe(4);
    const fl = await json<{ total: number; rows: { externalId: string }[]; facets: { orgs: string[] } }>("/api/failures?reason=invalid_email&org=20");
    expect(fl.rows.map((r) => r.externalId)).toEqual(["5"]);
    const csv = await (await fetch(`${svc.url}/api/failures.csv`, { headers: { authorization: `Bearer ${DASH_TOKEN}` } })).text();
    expect(csv.trim().split("\n").map((l) => l.split(",")[1])).toEqual(["externalId", "5", "6", "7"]);
    const u = await json<{ users: { externalId: string; hasLoggedIn: boolean; path: string }[] }>("/api/users?q=CAROL@example.com");
    expect(u.users).toMatchObject([{ externalId: "3", hasLoggedIn: true, path: "bulk" }]);
    const s = await json<{ hashFormats: { format: string; count: number }[] }>("/api/strategies");
    expect(s.hashFormats.find((h) => h.format === "bcrypt")?.count).toBe(3);
    expect(await json("/api/reconcile")).toEqual({ summary: null });
    const metrics = await (await fetch(`${svc.url}/metrics`, { headers: { authorization: `Bearer ${DASH_TOKEN}` } })).text();
    expect(metrics).toContain('authmigrate_users{status="created"} 4');
    expect(metrics).toContain('authmigrate_users{status="failed"} 3');
  });
});
