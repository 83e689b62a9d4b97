/**
 * npm run bench:engine: 4 concurrent workers sharing one AdaptiveRateLimiter + HttpClient (and the
 * engine's withRetry loop) against a kit simulator limited to 50 req/s, ~20 s per scenario.
 * Goals (docs/benchmarks.md, "Rate limiter"): achieved rate / limit ≥ 0.97 and < 1% of requests
 * answered 429 when the declared limit is right.
 *
 * BENCH_SECONDS (default 20), BENCH_LATENCY_MS (simulated server latency, default 5).
 */
import { Hono } from "hono";
import { AdaptiveRateLimiter } from "../src/engine/rate-limiter.js";
import { withRetry } from "../src/engine/retry.js";
import { rateLimit, serveSimulator, type RateLimitStyle } from "../src/simulators/kit.js";
import { HttpClient } from "../src/targets/http/client.js";

const LIMIT = 50;
const WORKERS = 4;
const seconds = Number(process.env.BENCH_SECONDS ?? 20);
const latencyMs = Number(process.env.BENCH_LATENCY_MS ?? 5);

interface Scenario {
  name: string;
  style: RateLimitStyle;
  /** What the target declares (seeds the limiter's ceiling). */
  declared: number;
}

const scenarios: Scenario[] = [
  { name: "Retry-After only (WorkOS/Clerk)", style: "retry-after", declared: LIMIT },
  { name: "X-RateLimit-* (Auth0)", style: "x-ratelimit", declared: LIMIT },
  { name: "IETF RateLimit-*", style: "ratelimit", declared: LIMIT },
  { name: "declared 2x too high, Retry-After", style: "retry-after", declared: LIMIT * 2 },
  { name: "declared 2x too high, X-RateLimit-*", style: "x-ratelimit", declared: LIMIT * 2 },
];

async function run(s: Scenario) {
  const rl = rateLimit({ requestsPerSecond: LIMIT, burst: LIMIT, style: s.style });
  const app = new Hono();
  app.use(rl);
  app.post("/users", async (c) => {
    if (latencyMs) await new Promise((r) => setTimeout(r, latencyMs));
    return c.json({ id: "u" }, 201);
  });
  const sim = await serveSimulator(app, { port: 0 });
  const limiter = new AdaptiveRateLimiter({ requestsPerSecond: s.declared });
  const http = new HttpClient({ name: "bench", baseUrl: sim.url, headers: { authorization: "Bearer sk_bench" }, limiter });
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  let ok = 0;
  let failed = 0;
  await Promise.all(
    Array.from({ length: WORKERS }, async () => {
      while (performance.now() < deadline) {
        try {
          await withRetry(() => http.post("/users", { email: "a@b.c" }), { retries: 8, baseDelayMs: 100, maxDelayMs: 5_000 });
          ok++;
        } catch {
          failed++;
        }
      }
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  await sim.close();
  const st = rl.stats();
  const snap = limiter.snapshot();
  return {
    scenario: s.name,
    declared: s.declared,
    rate: ok / elapsed,
    ratio: ok / elapsed / LIMIT,
    requests: st.requests,
    tooMany: st.byStatus[429] ?? 0,
    frac429: (st.byStatus[429] ?? 0) / st.requests,
    failed,
    pauses: snap.pauses,
    finalRate: snap.rate,
    ceiling: snap.ceiling,
  };
}

console.log(`limit ${LIMIT} req/s, ${WORKERS} workers, ${seconds} s per scenario, server latency ${latencyMs} ms, node ${process.version}`);
console.log("scenario                               declared  achieved/s  ratio   requests  429s  429 %   pauses  final rate");
for (const s of scenarios) {
  const r = await run(s);
  console.log(
    [
      r.scenario.padEnd(38),
      String(r.declared).padStart(8),
      r.rate.toFixed(1).padStart(11),
      r.ratio.toFixed(3).padStart(6),
      String(r.requests).padStart(10),
      String(r.tooMany).padStart(5),
      (r.frac429 * 100).toFixed(2).padStart(6),
      String(r.pauses).padStart(8),
      `${r.finalRate.toFixed(1)} (ceiling ${r.ceiling})`.padStart(20),
    ].join(" "),
  );
  if (r.failed) console.log(`  ${r.failed} requests failed after retries`);
}
