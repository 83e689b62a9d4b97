/**
 * npm run bench:hooks: `authmigrate serve`'s generic hook (`POST /hooks/verify`) under a bounded,
 * open-loop load on loopback.
 *
 * 1. Baseline: `GET /healthz` at BENCH_RATE (default 500) req/s for BENCH_SECONDS (default 10) s —
 *    the HTTP stack alone, measured in the same run.
 * 2. The hook at the same rate with a cheap hash (Django salted SHA-1): each request is a real
 *    legacy lookup in SQLite + mapping + verify + ledger write. Prints p50/p99 (goal p99 ≤ 5 ms)
 *    and the ratio to the baseline.
 * 3. bcrypt cost 10 throughput (closed loop, 2 × cores in flight) with the hash worker pool, vs the
 *    same load verified on the main thread (AUTHMIGRATE_HASH_POOL=0).
 *
 * Requests are sent on schedule (open loop) so a slow server shows up as latency, not as a lower
 * offered rate; latency is measured from the scheduled send time.
 */
import { fork } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import path from "node:path";
import { hashSync } from "@node-rs/bcrypt";
import Database from "better-sqlite3";
import { httpClient, openLoop } from "./open-loop.js";

const RATE = Number(process.env.BENCH_RATE ?? 500);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CHEAP_USERS = 5000;
const BCRYPT_USERS = 64;
const SECRET = "bench-secret-bench-secret-0123456789";
const PW = (i: number) => `pw-${i}-bench`;

const dir = mkdtempSync(path.join(tmpdir(), "am-bench-hooks-"));
const db = new Database(path.join(dir, "legacy.db"));
db.exec("CREATE TABLE Users (Id INTEGER PRIMARY KEY, Email TEXT, FirstName TEXT, LastName TEXT, PasswordHash TEXT, IsActive INTEGER)");
db.exec("CREATE INDEX users_email ON Users (lower(trim(Email)))");
const ins = db.prepare("INSERT INTO Users VALUES (?, ?, 'Bench', 'User', ?, 1)");
db.transaction(() => {
  for (let i = 1; i <= CHEAP_USERS; i++) {
    const salt = `s${i}`;
    ins.run(i, `u${i}@example.com`, `sha1$${salt}$${createHash("sha1").update(salt + PW(i)).digest("hex")}`);
  }
  for (let i = CHEAP_USERS + 1; i <= CHEAP_USERS + BCRYPT_USERS; i++) ins.run(i, `u${i}@example.com`, hashSync(PW(i), 10));
})();
db.close();

// The service runs in its own process, from the built code (npm run build first): with the
// generator in the same process, /healthz alone had a p99 of ~27 ms — the generator's own work.
const child = path.resolve("bench/hooks-server.mjs");

interface Server { url: string; close(): Promise<void> }
async function startServer(env: NodeJS.ProcessEnv = {}): Promise<Server> {
  // Each server gets its own copy of the legacy DB, ledger and target: a second server must not
  // find the first one's migrated users.
  const own = mkdtempSync(path.join(dir, "server-"));
  copyFileSync(path.join(dir, "legacy.db"), path.join(own, "legacy.db"));
  const proc = fork(child, [own, SECRET], { execArgv: process.env.BENCH_SERVER_ARGS ? process.env.BENCH_SERVER_ARGS.split(" ") : [], env: { ...process.env, ...env }, stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const url = await new Promise<string>((resolve, reject) => {
    proc.once("message", (m) => resolve((m as { url: string }).url));
    proc.once("exit", (code) => reject(new Error(`bench server exited with ${code} before listening`)));
  });
  return {
    url,
    close: () => new Promise((resolve) => {
      proc.once("exit", () => resolve());
      proc.send("close");
    }),
  };
}

let svc = await startServer();

const headers = { authorization: `Bearer ${SECRET}`, "content-type": "application/json" };
let client = httpClient(svc.url);
const verify = (i: number) => client("POST", "/hooks/verify", headers, JSON.stringify({ identifier: `u${i}@example.com`, password: PW(i) }));

// Warm-up: JIT, SQLite page cache, the hash pool's workers.
for (let i = 1; i <= 200; i++) await (await verify(i)).arrayBuffer();

const base = await openLoop(RATE, SECONDS, () => client("GET", "/healthz"));
const hook = await openLoop(RATE, SECONDS, (k) => verify((k % CHEAP_USERS) + 1));

async function closedLoop(n: number, inFlight: number): Promise<number> {
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < n) {
        const i = CHEAP_USERS + 1 + (next++ % BCRYPT_USERS);
        const res = await verify(i);
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`bcrypt verify answered ${res.status}`);
      }
    }),
  );
  return n / ((performance.now() - start) / 1000);
}
const inFlight = 2 * cpus().length;
const pooled = await closedLoop(BCRYPT_USERS * 4, inFlight);
await svc.close();
svc = await startServer({ AUTHMIGRATE_HASH_POOL: "0" });
client = httpClient(svc.url);
const mainThread = await closedLoop(BCRYPT_USERS * 2, inFlight);
await svc.close();

rmSync(dir, { recursive: true, force: true });

const f = (n: number) => n.toFixed(2);
console.log(`serve hooks on loopback, ${RATE} req/s for ${SECONDS} s, ${cpus().length} cores`);
console.log(`  baseline GET /healthz      p50 ${f(base.p50)} ms  p99 ${f(base.p99)} ms  max ${f(base.max)} ms  achieved ${base.achieved.toFixed(0)} req/s  errors ${base.errors}`);
console.log(`  POST /hooks/verify (sha1)  p50 ${f(hook.p50)} ms  p99 ${f(hook.p99)} ms  max ${f(hook.max)} ms  achieved ${hook.achieved.toFixed(0)} req/s  errors ${hook.errors}`);
console.log(`  hook p99 / baseline p99 = ${f(hook.p99 / base.p99)}   goal p99 ≤ 5 ms: ${hook.p99 <= 5 ? "met" : "NOT met"}`);
console.log(`  bcrypt-10 verifies/s: worker pool ${pooled.toFixed(1)}  main thread ${mainThread.toFixed(1)}  ratio ${f(pooled / mainThread)}`);
