import { Hono } from "hono";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AdaptiveRateLimiter } from "../../src/engine/rate-limiter.js";
import { rateLimit, serveSimulator } from "../../src/simulators/kit.js";
import { HttpClient } from "../../src/targets/http/client.js";

const H = (h: Record<string, string> = {}) => new Headers(h);

describe("AdaptiveRateLimiter (fake timers)", () => {
  beforeEach(() => void vi.useFakeTimers({ now: 1_700_000_000_000 }));
  afterEach(() => void vi.useRealTimers());

  async function runWorkers(l: AdaptiveRateLimiter, workers: number, ms: number): Promise<number> {
    let n = 0;
    let stop = false;
    const loops = Array.from({ length: workers }, async () => {
      while (!stop) {
        await l.acquire();
        if (!stop) n++;
      }
    });
    await vi.advanceTimersByTimeAsync(ms);
    stop = true;
    await vi.advanceTimersByTimeAsync(5_000);
    await Promise.all(loops);
    return n;
  }

  it("lets the declared rate through, shared by concurrent workers", async () => {
    const l = new AdaptiveRateLimiter({ requestsPerSecond: 10, burst: 1 });
    const n = await runWorkers(l, 4, 2_000);
    expect(n).toBeGreaterThanOrEqual(18);
    expect(n).toBeLessThanOrEqual(23);
  });

  it("a timer that fires late (whole-ms timers, 33.3 ms spacing) costs no capacity: exactly the declared rate", async () => {
    // burst 1 (evenly spaced, like Calimatic's 2 s sleep): each wake-up is ~0.7 ms after the token
    // was due; capping the bucket at 1 used to drop that fraction every time (~2% here, ~4–5% with
    // real timers at 50/s).
    const l = new AdaptiveRateLimiter({ requestsPerSecond: 30, burst: 1 });
    const n = await runWorkers(l, 1, 10_000);
    expect(n).toBeGreaterThanOrEqual(299);
    expect(n).toBeLessThanOrEqual(301);
  });

  it("on 429: halves the rate once per volley and pauses everyone until Retry-After", async () => {
    const l = new AdaptiveRateLimiter({ requestsPerSecond: 10, burst: 1 });
    await l.acquire();
    for (let i = 0; i < 4; i++) l.observe({ status: 429, headers: H({ "retry-after": "2" }) });
    const s = l.snapshot();
    expect(s.rate).toBe(5);
    expect(s.throttled).toBe(4);
    expect(s.decreases).toBe(1);
    expect(s.pauses).toBe(1);
    expect(s.pausedUntil).toBe(Date.now() + 2_000);
    let got = false;
    void l.acquire().then(() => (got = true));
    await vi.advanceTimersByTimeAsync(1_900);
    expect(got).toBe(false);
    await vi.advanceTimersByTimeAsync(400);
    expect(got).toBe(true);
    // Not below the floor.
    for (let i = 0; i < 10; i++) {
      await vi.advanceTimersByTimeAsync(1_100);
      l.observe({ status: 429, headers: H() });
    }
    expect(l.snapshot().rate).toBe(0.5);
  });

  it("increases additively back to (never above) the ceiling on success", async () => {
    const l = new AdaptiveRateLimiter({ requestsPerSecond: 50 });
    l.observe({ status: 429, headers: H({ "retry-after": "0" }) });
    expect(l.snapshot().rate).toBe(25);
    for (let i = 0; i < 10; i++) l.observe({ status: 200, headers: H() });
    expect(l.snapshot().rate).toBeCloseTo(30);
    // Probing slows down near the rate that got the 429 (50 here): +0.05 per success above 45.
    for (let i = 0; i < 40; i++) l.observe({ status: 201, headers: H() });
    expect(l.snapshot().rate).toBeGreaterThan(45);
    expect(l.snapshot().rate).toBeLessThan(46);
    for (let i = 0; i < 200; i++) l.observe({ status: 201, headers: H() });
    expect(l.snapshot().rate).toBe(50);
  });

  it("pauses until Reset when Remaining hits 0 (IETF delta and X- epoch)", async () => {
    const l = new AdaptiveRateLimiter({ requestsPerSecond: 100 });
    l.observe({ status: 200, headers: H({ "ratelimit-remaining": "0", "ratelimit-reset": "3" }) });
    expect(l.snapshot().pausedUntil).toBe(Date.now() + 3_000);
    await vi.advanceTimersByTimeAsync(3_000);
    l.observe({ status: 200, headers: H({ "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(Date.now() / 1000 + 2) }) });
    expect(l.snapshot().pausedUntil).toBe(Date.now() + 2_000);
    expect(l.snapshot().pauses).toBe(2);
    l.observe({ status: 200, headers: H({ "x-ratelimit-remaining": "7", "x-ratelimit-reset": String(Date.now() / 1000 + 60) }) });
    expect(l.snapshot().pausedUntil).toBe(Date.now() + 2_000);
  });

  it("lowers (never raises) the ceiling from Limit headers, per policy window", async () => {
    const l = new AdaptiveRateLimiter({ requestsPerSecond: 100 });
    l.observe({ status: 200, headers: H({ "x-ratelimit-limit": "500" }) });
    expect(l.snapshot().ceiling).toBe(100);
    l.observe({ status: 200, headers: H({ "x-ratelimit-limit": "40" }) });
    expect(l.snapshot()).toMatchObject({ ceiling: 40, rate: 40 });
    l.observe({ status: 200, headers: H({ "ratelimit-limit": "600", "ratelimit-policy": "600;w=60" }) });
    expect(l.snapshot().ceiling).toBe(10);
  });

  it("rejects a waiting acquire when its signal aborts, without blocking the others", async () => {
    const l = new AdaptiveRateLimiter({ requestsPerSecond: 1, burst: 1 });
    await l.acquire();
    const ac = new AbortController();
    const a = l.acquire(ac.signal).catch((e: unknown) => e);
    let bDone = false;
    const b = l.acquire().then(() => (bDone = true));
    ac.abort(new Error("stop"));
    expect(((await a) as Error).message).toBe("stop");
    await vi.advanceTimersByTimeAsync(1_100);
    await b;
    expect(bDone).toBe(true);
    expect(l.snapshot().waiting).toBe(0);
  });
});

describe("AdaptiveRateLimiter + HttpClient against a rate-limited simulator (real time)", () => {
  it("adapts to a server slower than declared: few 429s, close to the real limit", async () => {
    const rl = rateLimit({ requestsPerSecond: 20, burst: 20, style: "retry-after" });
    const app = new Hono();
    app.use(rl);
    app.get("/x", (c) => c.json({ ok: true }));
    const sim = await serveSimulator(app, { port: 0 });
    try {
      // Declared 40/s, real 20/s; Retry-After is whole seconds, so 429s are waited out.
      const limiter = new AdaptiveRateLimiter({ requestsPerSecond: 40 });
      const http = new HttpClient({ name: "sim", baseUrl: sim.url, limiter });
      const deadline = Date.now() + 2_500;
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          while (Date.now() < deadline) await http.get("/x").catch(() => undefined);
        }),
      );
      const s = rl.stats();
      const ok = s.byStatus[200] ?? 0;
      const tooMany = s.byStatus[429] ?? 0;
      expect(ok).toBeGreaterThan(20); // burst + something; generous
      expect(ok).toBeLessThanOrEqual(20 + 20 * 3.5);
      expect(tooMany / s.requests).toBeLessThan(0.3);
      expect(limiter.snapshot().throttled).toBe(tooMany);
    } finally {
      await sim.close();
    }
  });
});
