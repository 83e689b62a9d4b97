/**
 * Where the hooks' rate limits live. In memory (the default) each `serve` process counts on its
 * own, so N instances behind a load balancer allow N× the attempts. With `serve.rateLimit.redis`
 * every instance shares one counter per IP and per identifier: a fixed window and lockout kept in
 * Redis by one Lua script (atomic, timed by Redis's clock).
 *
 * Redis unreachable or slow (> 250 ms): the call falls back to this process's in-memory limiter,
 * so sign-ins keep working and guessing is still limited per instance; the outage is logged once.
 * Keys hold SHA-256 prefixes of identifiers and IPs, never the values.
 */
import type { Redis } from "ioredis";
import { errorMessage } from "../errors.js";
import { describeRedis, ioredis } from "../engine/limiter-redis.js";
import type { Logger } from "./log.js";
import { identifierKey, Lockout, type RateRule } from "./security.js";

export interface RateLimitStore {
  /** Seconds until `key` may try again, 0 when it is not locked. */
  retryAfter(key: string): Promise<number>;
  /** Count one attempt; returns the lockout (seconds) it caused, or 0. */
  hit(key: string): Promise<number>;
  /** A success clears the key's count (not a lockout in force). */
  reset(key: string): Promise<void>;
}

export function memoryStore(rule: RateRule, now: () => number = Date.now): RateLimitStore {
  const l = new Lockout(rule, now);
  return {
    retryAfter: async (k) => l.retryAfter(k),
    hit: async (k) => l.hit(k),
    reset: async (k) => l.reset(k),
  };
}

/** KEYS: count, lock. ARGV: max, windowMs, lockoutMs. Returns the lockout in ms it caused, or 0. */
const HIT = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if n > tonumber(ARGV[1]) then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
  redis.call('DEL', KEYS[1])
  return tonumber(ARGV[3])
end
return 0`;

type HitRedis = Redis & { amRateHit(count: string, lock: string, max: number, windowMs: number, lockoutMs: number): Promise<number> };

const TIMEOUT_MS = 250;

/** Dashboard sign-in attempts per client address: token guessing is slowed down like hook passwords. */
export const DASHBOARD_LOGIN_RULE: RateRule = { max: 10, windowSec: 300, lockoutSec: 900 };

export interface SharedLimits {
  ip: RateLimitStore;
  identifier: RateLimitStore;
  /** The dashboard's `POST /login` (DASHBOARD_LOGIN_RULE). */
  dashboard: RateLimitStore;
  /**
   * Settles once connected, or after the first failure / 2 s: commands are not queued while
   * disconnected, so a server that starts taking requests before this would count them locally.
   */
  ready: Promise<void>;
  close(): Promise<void>;
}

/** The hook limits and the dashboard's login limit in Redis at `url`, each with its in-memory fallback. */
export function redisLimits(url: string, rules: { perIp: RateRule; perIdentifier: RateRule }, log: Logger, now: () => number = Date.now): SharedLimits {
  const redis = new (ioredis().Redis)(url, {
    // Fail fast instead of queueing while disconnected: a sign-in must not wait for Redis.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: TIMEOUT_MS,
    connectTimeout: 2000,
  }) as HitRedis;
  redis.on("error", () => {}); // reported through the fallback path, once per outage
  redis.defineCommand("amRateHit", { numberOfKeys: 2, lua: HIT });
  let down = false;
  const where = describeRedis(url);
  const ready = new Promise<void>((resolve) => {
    const t = setTimeout(resolve, 2000);
    t.unref();
    const done = () => {
      clearTimeout(t);
      resolve();
    };
    redis.once("ready", done);
    redis.once("error", done);
  });
  const fallback = <T>(scope: string, e: unknown, local: () => Promise<T>): Promise<T> => {
    if (!down) {
      down = true;
      log({ event: "rate_limit_store_unavailable", store: where, scope, message: errorMessage(e).slice(0, 160) });
    }
    return local();
  };
  const ok = () => {
    if (down) log({ event: "rate_limit_store_recovered", store: where });
    down = false;
  };
  const store = (scope: "ip" | "id" | "dash", rule: RateRule): RateLimitStore => {
    const local = memoryStore(rule, now);
    const keys = (k: string) => {
      const h = identifierKey(k);
      return { count: `authmigrate:rl:${scope}:${h}:n`, lock: `authmigrate:rl:${scope}:${h}:lock` };
    };
    return {
      async retryAfter(k) {
        try {
          const ms = await redis.pttl(keys(k).lock);
          ok();
          return ms > 0 ? Math.max(1, Math.ceil(ms / 1000)) : 0;
        } catch (e) {
          return fallback(scope, e, () => local.retryAfter(k));
        }
      },
      async hit(k) {
        const { count, lock } = keys(k);
        try {
          const ms = Number(await redis.amRateHit(count, lock, rule.max, rule.windowSec * 1000, rule.lockoutSec * 1000));
          ok();
          return ms > 0 ? rule.lockoutSec : 0;
        } catch (e) {
          return fallback(scope, e, () => local.hit(k));
        }
      },
      async reset(k) {
        try {
          await redis.del(keys(k).count);
          ok();
        } catch (e) {
          await fallback(scope, e, () => local.reset(k));
        }
      },
    };
  };
  return {
    ip: store("ip", rules.perIp),
    identifier: store("id", rules.perIdentifier),
    dashboard: store("dash", DASHBOARD_LOGIN_RULE),
    ready,
    close: async () => {
      redis.disconnect();
    },
  };
}
