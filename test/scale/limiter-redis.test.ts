import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { SharedRateLimiter, createRunLimiter } from "../../src/engine/limiter-redis.js";
import { maxInWindow } from "./recording-sim.js";

const REDIS = "redis://127.0.0.1:6379";
const open: SharedRateLimiter[] = [];
function limiter(key: string, requestsPerSecond: number): SharedRateLimiter {
  const l = new SharedRateLimiter({ url: REDIS, key, requestsPerSecond });
  open.push(l);
  return l;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((l) => l.close()));
});

describe("SharedRateLimiter (Redis token bucket shared by processes)", () => {
  it("two limiters on one key share one limit: no 1 s window above it", async () => {
    const key = `test-${randomBytes(4).toString("hex")}`;
    const [a, b] = [limiter(key, 20), limiter(key, 20)];
    const grants: number[] = [];
    const t0 = performance.now();
    const worker = async (l: SharedRateLimiter): Promise<void> => {
      while (performance.now() - t0 < 2500) {
        await l.acquire();
        grants.push(performance.now());
      }
    };
    // 4 concurrent callers per limiter, as a worker's TaskPool would.
    await Promise.all([a, a, a, a, b, b, b, b].map(worker));
    // Send slots are exactly 1/20 s apart across both; the times seen here also carry this busy
    // test process's timer lateness, worth at most a request or two in a window.
    expect(maxInWindow(grants)).toBeLessThanOrEqual(22);
    // Each limiter alone would allow 20/s: together they got about 20/s, not 40.
    expect(grants.length).toBeLessThanOrEqual(2.6 * 20 + 1 + 8);
    expect(grants.length).toBeGreaterThanOrEqual(35);
    expect(a.snapshot().acquired + b.snapshot().acquired).toBe(grants.length);
  });

  it("a 429 with Retry-After seen by one process pauses the others", async () => {
    const key = `test-${randomBytes(4).toString("hex")}`;
    const [a, b] = [limiter(key, 100), limiter(key, 100)];
    await b.acquire();
    a.observe({ status: 429, headers: new Headers({ "retry-after": "1" }) });
    await new Promise((r) => setTimeout(r, 50)); // the pause is published asynchronously
    const t = performance.now();
    await b.acquire();
    expect(performance.now() - t).toBeGreaterThanOrEqual(850);
    expect(a.snapshot().throttled).toBe(1);
  });

  it("Redis unreachable: requests are held back with a clear error, never let through", async () => {
    const l = new SharedRateLimiter({ url: "redis://127.0.0.1:1", key: "x", requestsPerSecond: 10 });
    open.push(l);
    await expect(l.acquire()).rejects.toMatchObject({ code: "RATE_LIMITER_UNAVAILABLE", message: expect.stringContaining("redis 127.0.0.1:1") });
  });

  it("a shared limit needs a rate", () => {
    expect(() => createRunLimiter({ requestsPerSecond: undefined, redis: REDIS, key: "k" })).toThrow(/run.rateLimitRedis is set but there is no rate/);
    expect(createRunLimiter({ requestsPerSecond: undefined, redis: undefined, key: "k" })).toBeUndefined();
  });
});
