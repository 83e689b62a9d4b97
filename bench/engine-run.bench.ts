/**
 * npm run bench:engine-run: the whole engine (`runMigration`: SQLite source → mapping → ledger →
 * Calimatic target) against the Calimatic simulator limited to 50 requests/s, 500-user batches.
 *
 * 1. One run of BENCH_USERS (default 100 000) users, `run.rateLimit: 50`.
 * 2. BENCH_WORKERS (default 4) concurrent `runMigration`s over disjoint user sets (split with
 *    `only`, one ledger each) sharing the same simulator, each declaring `run.rateLimit: 50`
 *    (every run has its own limiter — the limiter is per process/run, not shared), then again
 *    with the limit divided between them (`run.rateLimit: 50 / workers`).
 *
 * 3. The same 4 runs sharing ONE limit through Redis (`run.rateLimitRedis`), each declaring 50.
 * BENCH_SCENARIOS picks some of them (imports, resets, workers, divided, redis).
 *
 * Prints achieved request rate ÷ limit (goal ≥ 0.97) and the fraction of requests answered 429
 * (goal < 1%), from the simulator's own counters. The simulator stands in for a remote provider:
 * it runs in its own process (bench/calimatic-child.mjs, built code), so its CPU is not the
 * engine's; its counters come over IPC.
 */
import { fork, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import path from "node:path";
import { parseConfig } from "../src/config/load.js";
import type { ConfigInput } from "../src/config/schema.js";
import { runMigration, type RunReport } from "../src/engine/run.js";
import type { SimulatorStats } from "../src/simulators/kit.js";
import { generateSynthetic } from "./synthetic.js";

const USERS = Number(process.env.BENCH_USERS ?? 100_000);
const WORKERS = Number(process.env.BENCH_WORKERS ?? 4);
const LIMIT = 50;
const BATCH = 500;

const dir = mkdtempSync(path.join(tmpdir(), "am-bench-run-"));
const legacy = path.join(dir, "legacy.db");

/**
 * `resets: false` → `passwords.reset: "none"`: only import calls (the ones the run's limiter paces).
 * With resets, users without a hash (¼ of the synthetic data) get a reset email after the imports,
 * one `POST /users/{id}/reset-password` each, paced by the target's own `requestsPerSecond`.
 */
function config(sim: RemoteSimulator, rateLimit: number, resets = false, rateLimitRedis?: string): ConfigInput {
  return {
    source: { type: "sqlite", path: legacy, table: "Users", orderBy: ["Id"] },
    mapping: {
      fields: { externalId: "Id", email: "Email", givenName: "FirstName", familyName: "LastName", password: "PasswordHash", phone: "PhoneNumber", active: "IsActive", createdAt: "CreatedDate", role: "RoleId" },
      roles: { map: { "1": "org_owner", "2": "org_admin", "3": "member" }, default: "member" },
    },
    target: { type: "calimatic", baseUrl: sim.url, clientId: sim.credentials.clientId, clientSecret: sim.credentials.clientSecret, requestsPerSecond: LIMIT },
    passwords: { reset: resets ? "missing" : "none", temporaryPasswordsFile: "out/temp.csv" },
    ledger: { url: "ledger.sqlite" },
    run: { batchSize: BATCH, concurrency: 4, rateLimit, outDir: "out", ...(rateLimitRedis ? { rateLimitRedis } : {}) },
  };
}

interface RemoteSimulator {
  url: string;
  credentials: { clientId: string; clientSecret: string };
  stats(): Promise<SimulatorStats>;
  /** When each password-reset mail was sent (ms since epoch). */
  resetTimes(): Promise<number[]>;
  close(): Promise<void>;
}

/** Starts bench/calimatic-child.mjs (built code: `npm run bench:engine-run` builds first). */
async function startSimulator(): Promise<RemoteSimulator> {
  const child: ChildProcess = fork(path.resolve("bench/calimatic-child.mjs"), [String(LIMIT)], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  type Msg = { type: "ready"; url: string; credentials: RemoteSimulator["credentials"] } | { type: "stats"; stats: SimulatorStats; resets: number[] };
  const next = <T extends Msg["type"]>(type: T): Promise<Extract<Msg, { type: T }>> =>
    new Promise((resolve, reject) => {
      const onMessage = (m: Msg): void => {
        if (m.type !== type) return;
        child.off("message", onMessage);
        child.off("exit", onExit);
        resolve(m as Extract<Msg, { type: T }>);
      };
      const onExit = (code: number | null): void => reject(new Error(`simulator exited (${code})`));
      child.on("message", onMessage);
      child.once("exit", onExit);
    });
  const ready = await next("ready");
  const ask = async (): Promise<Extract<Msg, { type: "stats" }>> => {
    const answer = next("stats");
    child.send("stats");
    return answer;
  };
  return {
    url: ready.url,
    credentials: ready.credentials,
    stats: async () => (await ask()).stats,
    resetTimes: async () => (await ask()).resets,
    close: async () => {
      const exited = new Promise((r) => child.once("exit", r));
      child.send("close");
      await exited;
    },
  };
}

interface Measure {
  label: string;
  users: number;
  seconds: number;
  requests: number;
  ok: number;
  throttled: number;
  /** Requests answered (any status) per second ÷ limit, over the time requests were being sent. */
  ratio: number;
  created: number;
  failed: number;
}

/** Runs `fn` while sampling the simulator's counters: the rate is measured from the first to the last request. */
async function measure(label: string, sim: RemoteSimulator, users: number, fn: () => Promise<RunReport[]>): Promise<Measure> {
  const base = await sim.stats();
  let first: number | undefined;
  let last = 0;
  let seen = base.requests;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const n = (await sim.stats()).requests;
      if (n > seen) {
        first ??= Date.now();
        last = Date.now();
        seen = n;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  const t0 = Date.now();
  const reports = await fn();
  sampling = false;
  await sampler;
  const s = await sim.stats();
  const requests = s.requests - base.requests;
  const throttled = (s.byStatus[429] ?? 0) - (base.byStatus[429] ?? 0);
  const ok = Object.entries(s.byStatus).reduce((n, [k, v]) => n + (Number(k) >= 200 && Number(k) < 300 ? v - (base.byStatus[Number(k)] ?? 0) : 0), 0);
  // One sample period of slack on each side; at least one second.
  const window = Math.max(1, ((last || Date.now()) - (first ?? t0)) / 1000 + 0.02);
  return {
    label,
    users,
    seconds: (Date.now() - t0) / 1000,
    requests,
    ok,
    throttled,
    ratio: requests / window / LIMIT,
    created: reports.reduce((n, r) => n + (r.counts.created ?? 0), 0),
    failed: reports.reduce((n, r) => n + (r.counts.failed ?? 0), 0),
  };
}

function print(m: Measure): void {
  console.log(
    `${m.label.padEnd(44)} ${String(m.users).padStart(7)} users ${m.seconds.toFixed(1).padStart(6)} s  ${String(m.requests).padStart(5)} req (${m.ok} 2xx, ${m.throttled} 429 = ${((100 * m.throttled) / Math.max(1, m.requests)).toFixed(2)}%)  rate/limit ${m.ratio.toFixed(3)}  created ${m.created} failed ${m.failed}`,
  );
}

async function oneRun(resets: boolean, users: number): Promise<Measure> {
  const sim = await startSimulator();
  try {
    const cwd = mkdtempSync(path.join(dir, "single-"));
    const cfg = parseConfig(config(sim, LIMIT, resets));
    const only = users < USERS ? (rec: { externalId?: string }) => Number(rec.externalId) <= users : undefined;
    const m = await measure(`1 run, run.rateLimit ${LIMIT}${resets ? " + reset emails" : ", imports only"}`, sim, users, async () => [await runMigration({ config: cfg, cwd, ...(only ? { only } : {}) })]);
    if (resets) {
      // The whole-run ratio above includes the import phase (CPU-bound, few requests); the resets
      // alone are what the target's limiter paces: their rate from the first to the last mail.
      const at = await sim.resetTimes();
      const span = (Math.max(...at) - Math.min(...at)) / 1000;
      if (at.length > 1 && span > 0) console.log(`${"  reset phase alone".padEnd(44)} ${String(at.length).padStart(7)} mails ${span.toFixed(1).padStart(6)} s  rate/limit ${((at.length - 1) / span / LIMIT).toFixed(3)}`);
    }
    return m;
  } finally {
    await sim.close();
  }
}

async function workers(perWorkerLimit: number, redis?: string): Promise<Measure> {
  const sim = await startSimulator();
  try {
    const cfg = parseConfig(config(sim, perWorkerLimit, false, redis));
    return await measure(`${WORKERS} runs, run.rateLimit ${perWorkerLimit} ${redis ? "shared in Redis" : "each"}`, sim, USERS, () =>
      Promise.all(
        Array.from({ length: WORKERS }, (_, w) => {
          const cwd = mkdtempSync(path.join(dir, `worker${w}-`));
          return runMigration({ config: cfg, cwd, only: (rec) => Number(rec.externalId) % WORKERS === w });
        }),
      ),
    );
  } finally {
    await sim.close();
  }
}

console.log(`engine run bench: ${USERS} users, ${BATCH}-user batches, Calimatic simulator limited to ${LIMIT} req/s; node ${process.version}, ${cpus().length} cores`);
const t = Date.now();
generateSynthetic(legacy, USERS);
console.log(`generated ${USERS} legacy users in ${((Date.now() - t) / 1000).toFixed(1)} s`);
/** BENCH_SCENARIOS (comma-separated, default all): imports, resets, workers, divided, redis. */
const scenarios = new Set((process.env.BENCH_SCENARIOS ?? "imports,resets,workers,divided,redis").split(","));
try {
  if (scenarios.has("imports")) print(await oneRun(false, USERS));
  // Reset emails are one request per user: capped so the bench stays minutes, not hours.
  if (scenarios.has("resets")) print(await oneRun(true, Math.min(USERS, Number(process.env.BENCH_RESET_USERS ?? 10_000))));
  if (scenarios.has("workers")) print(await workers(LIMIT));
  if (scenarios.has("divided")) print(await workers(LIMIT / WORKERS));
  // One limit for every run (run.rateLimitRedis): together they stay under it whatever each declares.
  if (scenarios.has("redis")) print(await workers(LIMIT, process.env.BENCH_REDIS ?? "redis://127.0.0.1:6379"));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
