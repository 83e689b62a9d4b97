/**
 * npm run bench:webhooks: `authmigrate serve`'s `POST /webhooks/:provider` under a bounded,
 * open-loop load of valid Svix-signed (Clerk) deliveries on loopback.
 *
 * 1. Baseline: `GET /healthz` at BENCH_RATE (default 200) req/s for BENCH_SECONDS (default 15) s —
 *    the HTTP stack alone, measured in the same run.
 * 2. Webhooks at the same rate: every request is a distinct `user.updated` event, verified
 *    (standardwebhooks HMAC), stored in the inbox (unique event id) and acknowledged; the worker
 *    applies each to a 10,000-row legacy SQLite table concurrently. Prints p50/p99 ack latency
 *    (goal p99 < 50 ms), the ratio to the baseline, and how far processing lagged behind.
 * 3. Processing capacity: BENCH_BURST (default 5000) events sent as fast as 32 connections allow,
 *    then the time until the inbox is empty → events applied per second.
 *
 * BENCH_LEDGER_URL=postgres://… puts the inbox (and ledger) in PostgreSQL instead of SQLite.
 * Latency counts from each request's scheduled send time (open loop), so a slow server shows up
 * as latency rather than as a lower offered rate. Generator and server share one process (and the
 * machine's cores), as in bench:hooks.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { parseConfig } from "../src/config/load.js";
import { startService } from "../src/server/service.js";
import { clerkUserEvent } from "../src/simulators/clerk-webhooks.js";
import { eventId, newWebhookSecret, signHeaders } from "../src/simulators/webhook-emitter.js";
import { openLoop } from "./open-loop.js";

const RATE = Number(process.env.BENCH_RATE ?? 200);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const BURST = Number(process.env.BENCH_BURST ?? 5000);
const USERS = 10_000;
const SECRET = newWebhookSecret();

const dir = mkdtempSync(path.join(tmpdir(), "am-bench-webhooks-"));
const db = new Database(path.join(dir, "legacy.db"));
db.exec("CREATE TABLE Users (Id INTEGER PRIMARY KEY, Email TEXT, FirstName TEXT, LastName TEXT, PasswordHash TEXT, IsActive INTEGER, TargetId TEXT, UpdatedAt TEXT)");
db.exec("CREATE UNIQUE INDEX users_target ON Users (TargetId)");
const ins = db.prepare("INSERT INTO Users VALUES (?, ?, 'Bench', 'User', NULL, 1, ?, NULL)");
db.transaction(() => {
  for (let i = 1; i <= USERS; i++) ins.run(i, `u${i}@example.com`, `user_${i}`);
})();
db.close();

const config = parseConfig({
  source: { type: "sqlite", path: "legacy.db", table: "Users", orderBy: ["Id"] },
  mapping: { fields: { externalId: "Id", email: "Email", givenName: "FirstName", familyName: "LastName", password: "PasswordHash", active: "IsActive" } },
  target: { type: "file", path: "out/users.ndjson" },
  ledger: { url: process.env.BENCH_LEDGER_URL ?? "ledger.sqlite" },
  serve: {
    secret: "bench-secret-bench-secret-0123456789",
    port: 0,
    routes: { verify: false },
    webhooks: {
      providers: { clerk: { secret: SECRET } },
      // BENCH_THREAD=0: apply in the serve process instead of the worker thread (for comparison).
      worker: { thread: process.env.BENCH_THREAD !== "0" },
      apply: {
        legacy: { table: "Users", keyColumn: "Id", targetIdColumn: "TargetId", columns: { email: "Email", givenName: "FirstName", familyName: "LastName", updatedAt: "UpdatedAt" } },
        ledger: true,
      },
    },
  },
});

const svc = await startService(config, dir, { log: () => {} });
const inbox = svc.webhooks!.inbox;
const url = `${svc.url}/webhooks/clerk`;


let seq = 0;
/** A distinct, validly signed user.updated for one of the legacy users. */
function delivery(): { headers: Record<string, string>; body: string } {
  const i = (seq++ % USERS) + 1;
  const body = JSON.stringify(clerkUserEvent("user.updated", { id: `user_${i}`, externalId: String(i), email: `u${i}@example.com`, firstName: `First${seq}`, lastName: "User" }));
  return { headers: { "content-type": "application/json", ...signHeaders({ scheme: "svix", secret: SECRET, id: eventId("msg_"), body, nowMs: Date.now() }) }, body };
}
const post = () => {
  const d = delivery();
  return fetch(url, { method: "POST", headers: d.headers, body: d.body });
};

async function drained(): Promise<number> {
  for (;;) {
    const c = await inbox.counts();
    if (c.pending === 0) return performance.now();
    await new Promise((r) => setTimeout(r, 5));
  }
}

// Warm-up: JIT, SQLite page cache, the worker.
for (let i = 0; i < 200; i++) await (await post()).arrayBuffer();
await drained();

const base = await openLoop(RATE, SECONDS, () => fetch(`${svc.url}/healthz`));
const before = (await inbox.counts()).done;
const loadStart = performance.now();
const hook = await openLoop(RATE, SECONDS, post);
const loadEnd = performance.now();
const drainedAt = await drained();
const applied = (await inbox.counts()).done - before;

// Capacity: a burst acknowledged as fast as 32 connections allow, then applied.
const burstStart = performance.now();
let next = 0;
let burstErrors = 0;
await Promise.all(
  Array.from({ length: 32 }, async () => {
    while (next++ < BURST) {
      const res = await post();
      await res.arrayBuffer();
      if (res.status !== 200) burstErrors++;
    }
  }),
);
const burstAcked = performance.now();
const burstDrained = await drained();
const counts = await inbox.counts();

await svc.close();
rmSync(dir, { recursive: true, force: true });

const f = (n: number) => n.toFixed(2);
console.log(`load average at the end: ${loadavg().map((l) => l.toFixed(1)).join(" ")} (a busy machine inflates latency; compare with the baseline)`);
console.log(`serve webhooks on loopback (${process.env.BENCH_LEDGER_URL ? "PostgreSQL" : "SQLite"} inbox, SQLite legacy), ${RATE} req/s for ${SECONDS} s, ${cpus().length} cores`);
console.log(`  baseline GET /healthz          p50 ${f(base.p50)} ms  p99 ${f(base.p99)} ms  max ${f(base.max)} ms  achieved ${base.achieved.toFixed(0)} req/s  errors ${base.errors}`);
console.log(`  POST /webhooks/clerk (ack)     p50 ${f(hook.p50)} ms  p99 ${f(hook.p99)} ms  max ${f(hook.max)} ms  achieved ${hook.achieved.toFixed(0)} req/s  errors ${hook.errors}`);
console.log(`  ack p99 / baseline p99 = ${f(hook.p99 / base.p99)}   goal p99 < 50 ms: ${hook.p99 < 50 ? "met" : "NOT met"}`);
console.log(`  CPU per request (process, all threads): healthz ${f(base.cpuMs)} ms, webhook incl. apply ${f(hook.cpuMs)} ms → ${(1000 / hook.cpuMs).toFixed(0)} req/s per core`);
console.log(`  applied during the load: ${applied} events in ${((drainedAt - loadStart) / 1000).toFixed(2)} s (inbox empty ${f(drainedAt - loadEnd)} ms after the last ack)`);
console.log(`  burst of ${BURST}: acked ${(BURST / ((burstAcked - burstStart) / 1000)).toFixed(0)} req/s, applied ${(BURST / ((burstDrained - burstStart) / 1000)).toFixed(0)} events/s end to end  errors ${burstErrors}`);
const errorKinds: Record<string, number> = { ...base.errorKinds };
for (const [k, n] of Object.entries(hook.errorKinds)) errorKinds[k] = (errorKinds[k] ?? 0) + n;
if (Object.keys(errorKinds).length) console.log(`  errors by kind: ${JSON.stringify(errorKinds)}`);
console.log(`  inbox: done ${counts.done}  pending ${counts.pending}  dead ${counts.dead}`);
