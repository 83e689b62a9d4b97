/**
 * npm run bench:dashboard: the dashboard's queries on a SQLite ledger of BENCH_USERS (default
 * 300 000) users, each timed as a ratio to a baseline measured in the same run: one plain scan of
 * the target's rows (`SELECT COUNT(*), SUM(length(email)) …`), the least any whole-ledger
 * aggregate can cost. Goals: the lookup ≪ 1× (index probes); the overview, which the live page
 * refreshes every `refreshMs` (shared by every viewer), well under that period — see
 * docs/dashboard.md#performance for measured numbers.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { SqliteLedger } from "../src/ledger/index.js";
import { openReadDb } from "../src/server/dashboard/db.js";
import { failures, findUsers, overview, strategies, timeline } from "../src/server/dashboard/queries.js";

const N = Number(process.env.BENCH_USERS ?? 300_000);
const dir = mkdtempSync(path.join(tmpdir(), "am-bench-dash-"));
const file = path.join(dir, "ledger.sqlite");
const ledger = new SqliteLedger(file, "t");
const run = await ledger.startRun("run");
const statuses = ["created", "created", "created", "created", "skipped", "failed"] as const;
for (let i = 0; i < N; i += 5000) {
  const rows = [];
  for (let j = i; j < Math.min(N, i + 5000); j++) {
    const status = statuses[j % statuses.length]!;
    rows.push({
      externalId: String(j).padStart(8, "0"), email: `u${j}@x.com`, digest: "d", targetId: status === "failed" ? null : `t${j}`, status,
      reason: status === "failed" ? "invalid_email" : j % 10 === 1 ? "lazy_login" : null, strategy: "native",
      facts: { emailVerified: j % 2 === 0, hasLoggedIn: j % 3 === 0, org: String(j % 50), hashFormat: "bcrypt" },
    });
  }
  await ledger.recordUsers(run.id, rows);
}
await ledger.runProgress(run.id, { processed: N, total: N, rate: 1, etaSeconds: 0, counts: {} });
const db = openReadDb(file, dir);
const s = { ledger, db, target: "t" };

async function best(fn: () => Promise<unknown>, times = 3): Promise<number> {
  let min = Infinity;
  for (let i = 0; i < times; i++) {
    const t0 = performance.now();
    await fn();
    min = Math.min(min, performance.now() - t0);
  }
  return min;
}

const baseline = await best(() => db.all("SELECT COUNT(*) AS n, SUM(length(email)) AS l FROM am_users WHERE target = ?", ["t"]));
console.log(`dashboard queries on ${N} ledger rows (best of 3); baseline full scan ${baseline.toFixed(0)} ms`);
for (const [name, fn] of [
  ["overview", () => overview(s)],
  ["timeline (24 h)", () => timeline(s)],
  ["strategies", () => strategies(s)],
  ["failures page (reason+org)", () => failures(s, { reason: "invalid_email", org: "7" })],
  ["user lookup (email)", () => findUsers(s, "u4242@x.com")],
  ["user lookup (legacy id)", () => findUsers(s, "00004242")],
] as const) {
  const ms = await best(fn);
  console.log(`${name.padEnd(28)} ${ms.toFixed(0).padStart(6)} ms  ${(ms / baseline).toFixed(2)}× scan`);
}
await db.close();
await ledger.close();
rmSync(dir, { recursive: true, force: true });
