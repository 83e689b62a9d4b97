/**
 * One rate limit for every process and machine that migrates into the same target: a token
 * bucket of depth 1 kept in Redis as a send schedule (GCRA), one slot reserved per request by a
 * small Lua script (atomic on the Redis server, timed by the server's own clock so machines with
 * skewed clocks agree).
 *
 * - Slots are `1 / (requestsPerSecond × factor)` apart: no 1 s window gets more grants than the
 *   rate, and no slot is lost while callers wait, so a busy run keeps the full rate.
 * - A 429 / `Retry-After` / `RateLimit-Remaining: 0` seen by ANY process sets a shared "paused
 *   until" key: every process waits, and the schedule resumes after it (no burst after a pause).
 * - A 429 also halves the shared `factor` (at most once per second, not below 1/20); it grows back
 *   linearly to 1 over 20 s.
 *
 * It extends AdaptiveRateLimiter only to keep its header parsing and snapshot shape (the run's
 * heartbeat reads it); every grant comes from Redis. Redis unreachable → requests fail with
 * RATE_LIMITER_UNAVAILABLE (fail closed: never exceed the target's limit).
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Redis } from "ioredis";
import { lazyRequire } from "../util/lazy-require.js";
import { AuthmigrateError, errorMessage } from "../errors.js";
import { AdaptiveRateLimiter, type RateLimiterSnapshot } from "./rate-limiter.js";

/**
 * GCRA (a token bucket of depth 1 as a schedule): `tat` is the next free send slot. A request
 * reserves the slot max(now, tat, paused-until) and moves `tat` one interval on, so grants are
 * spaced exactly 1/rate apart across every process (no 1 s window above the rate) and no slot is
 * lost to polling delays (the run keeps the full rate). Slots further than `horizon` ms ahead are
 * not reserved: the caller sleeps and asks again, so a pause set meanwhile is honoured.
 * ARGV: rate/s, horizon ms. Returns {ms until the slot, 1 if reserved}.
 */
const ACQUIRE_LUA = `
local rate = tonumber(ARGV[1])
local horizon = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local pause = tonumber(redis.call('GET', KEYS[2]) or '0')
local h = redis.call('HMGET', KEYS[1], 'tat', 'f0', 'cut')
local tat = tonumber(h[1]) or now
local f0 = tonumber(h[2]) or 1
local cut = tonumber(h[3]) or 0
local factor = math.min(1, f0 + (1 - f0) * (now - cut) / 20000)
local interval = 1000 / (rate * factor)
local slot = math.max(now, tat, pause)
if slot - now > horizon then return {math.ceil(slot - now), 0} end
redis.call('HSET', KEYS[1], 'tat', tostring(slot + interval))
redis.call('PEXPIRE', KEYS[1], 3600000)
return {math.ceil(slot - now), 1}
`;

/** ARGV: pause ms, 1 if this was a 429 (halve the rate), minimum factor. Later slots start after the pause. */
const PAUSE_LUA = `
local ms = tonumber(ARGV[1])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local untilMs = now + ms
local cur = tonumber(redis.call('GET', KEYS[2]) or '0')
if untilMs > cur then redis.call('SET', KEYS[2], tostring(untilMs), 'PX', math.ceil(ms) + 1000) end
local h = redis.call('HMGET', KEYS[1], 'tat', 'f0', 'cut')
local tat = tonumber(h[1]) or now
redis.call('HSET', KEYS[1], 'tat', tostring(math.max(tat, untilMs)))
if ARGV[2] == '1' then
  local f0 = tonumber(h[2]) or 1
  local cut = tonumber(h[3]) or 0
  if now - cut >= 1000 then
    local factor = math.min(1, f0 + (1 - f0) * (now - cut) / 20000)
    redis.call('HSET', KEYS[1], 'f0', tostring(math.max(tonumber(ARGV[3]), factor * 0.5)), 'cut', tostring(now))
  end
end
redis.call('PEXPIRE', KEYS[1], 3600000)
return 1
`;

/** How far ahead a send slot may be reserved (bounds what can go out during a pause another process starts). */
const HORIZON_MS = 500;

export interface SharedRateLimiterOptions {
  /** `redis://[user:pass@]host:port[/db]` */
  url: string;
  /** Names the bucket: every process with the same key shares one limit (the target key). */
  key: string;
  requestsPerSecond: number;
}

/** ioredis, loaded only when a limit is shared through Redis (util/lazy-require.ts); serve's rate-store uses it too. */
export const ioredis = lazyRequire<typeof import("ioredis")>("ioredis");

type ScriptRedis = Redis & {
  amAcquire(bucket: string, pause: string, rate: number, horizonMs: number): Promise<[number, number]>;
  amPause(bucket: string, pause: string, ms: number, cut: string, minFactor: number): Promise<number>;
};

/** `redis://host:port/db` without credentials, for messages. */
export function describeRedis(url: string): string {
  try {
    const u = new URL(url);
    return `redis ${u.hostname}:${u.port || 6379}${u.pathname && u.pathname !== "/" ? u.pathname : ""}`;
  } catch {
    return "redis (unparseable URL)";
  }
}

export class SharedRateLimiter extends AdaptiveRateLimiter {
  private readonly redis: ScriptRedis;
  private readonly keys: [string, string];
  private readonly limit: number;
  private readonly where: string;
  private grants = 0;
  private waiters = 0;
  private waitedMs = 0;
  private missedSlots = 0;

  constructor(opts: SharedRateLimiterOptions) {
    super({ requestsPerSecond: opts.requestsPerSecond });
    this.limit = opts.requestsPerSecond;
    this.where = describeRedis(opts.url);
    // Braces: both keys hash to one slot, so the scripts also work on Redis Cluster.
    this.keys = [`authmigrate:rl:{${opts.key}}:bucket`, `authmigrate:rl:{${opts.key}}:pause`];
    this.redis = new (ioredis().Redis)(opts.url, { lazyConnect: true, maxRetriesPerRequest: 2, connectTimeout: 5000, enableAutoPipelining: true }) as ScriptRedis;
    // Errors surface on the command that needs Redis; the client's own reconnect noise is not ours to print.
    this.redis.on("error", () => undefined);
    this.redis.defineCommand("amAcquire", { numberOfKeys: 2, lua: ACQUIRE_LUA });
    this.redis.defineCommand("amPause", { numberOfKeys: 2, lua: PAUSE_LUA });
  }

  override async acquire(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    this.waiters++;
    const started = Date.now();
    try {
      for (;;) {
        let wait: number;
        let reserved: number;
        try {
          [wait, reserved] = (await this.redis.amAcquire(this.keys[0], this.keys[1], this.limit, HORIZON_MS)).map(Number) as [number, number];
        } catch (e) {
          throw new AuthmigrateError("RATE_LIMITER_UNAVAILABLE", `the shared rate limiter (${this.where}) did not answer: ${errorMessage(e)}`, {
            hint: "start Redis or fix run.rateLimitRedis; requests are held back rather than risk exceeding the target's limit",
            retryable: true,
          });
        }
        if (reserved) {
          // Our slot: go at exactly that time (it is ours alone, across every process).
          const due = performance.now() + wait;
          if (wait > 0) await sleep(wait, undefined, signal ? { signal } : {});
          // Woken far too late (a stalled event loop): sending now would bunch with the slots
          // after ours and overshoot the target's window; let the slot go and take a new one.
          if (performance.now() - due > Math.max(50, 2000 / this.limit)) {
            this.missedSlots++;
            continue;
          }
          this.grants++;
          return;
        }
        // Too far ahead to reserve: come back when it is within the horizon (jitter spreads callers).
        await sleep(Math.min(1000, Math.max(10, wait - HORIZON_MS)) * (1 + Math.random() * 0.1), undefined, signal ? { signal } : {});
      }
    } finally {
      this.waiters--;
      this.waitedMs += Date.now() - started;
    }
  }

  override observe(res: { status: number; headers: Headers }): void {
    // The base class parses Retry-After / RateLimit-* and calls this.pause(), which we share.
    if (res.status === 429) this.shared(1000, true);
    super.observe(res);
  }

  override pause(ms: number): void {
    super.pause(ms);
    this.shared(ms, false);
  }

  private shared(ms: number, cut: boolean): void {
    this.redis.amPause(this.keys[0], this.keys[1], Math.max(0, Math.min(120_000, ms)), cut ? "1" : "0", 0.05).catch(() => undefined);
  }

  override snapshot(): RateLimiterSnapshot & { shared: string; waitedMs: number; missedSlots: number } {
    return { ...super.snapshot(), acquired: this.grants, waiting: this.waiters, burst: 1, shared: this.where, waitedMs: this.waitedMs, missedSlots: this.missedSlots };
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

/** The run's limiter: shared through Redis when `run.rateLimitRedis` is set, else per process. */
export function createRunLimiter(opts: { requestsPerSecond: number | undefined; redis: string | undefined; key: string }): AdaptiveRateLimiter | undefined {
  if (opts.redis) {
    if (!opts.requestsPerSecond) {
      throw new AuthmigrateError("CONFIG_INVALID", "run.rateLimitRedis is set but there is no rate to share: this target declares no rate limit", {
        hint: "set run.rateLimit (requests per second allowed by the target, for all workers together)",
      });
    }
    return new SharedRateLimiter({ url: opts.redis, key: opts.key, requestsPerSecond: opts.requestsPerSecond });
  }
  return opts.requestsPerSecond ? new AdaptiveRateLimiter({ requestsPerSecond: opts.requestsPerSecond }) : undefined;
}
