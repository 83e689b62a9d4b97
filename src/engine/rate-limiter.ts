/**
 * One adaptive rate limiter shared by every concurrent worker of a run (HttpClient calls
 * `acquire` before each request and `observe` after each response).
 *
 * - Token bucket (FIFO, one timer) at `rate`, seeded from the target's declared limit (the ceiling).
 * - 429 → multiplicative decrease (×0.5, not below `minPerSecond`, at most once per cooldown) and a
 *   global pause until `Retry-After` (or `X-RateLimit-Reset` / `RateLimit-Reset`, else 1 s).
 * - Success → additive increase back toward the ceiling (10× slower near the rate that last got a 429).
 * - `X-RateLimit-Remaining: 0` / `RateLimit-Remaining: 0` → pause until the matching Reset.
 * - `X-RateLimit-Limit` / `RateLimit-Limit` (per `RateLimit-Policy` window `w=`, else per second)
 *   lowers the ceiling, never raises it.
 */
import { resetHeaderMs, retryAfterMs } from "../targets/http/errors.js";
import type { RateLimiter } from "../targets/http/client.js";

export interface AdaptiveRateLimiterOptions {
  /** The ceiling: the target's declared limit. */
  requestsPerSecond: number;
  /** Requests that may go out back to back (default: a tenth of a second's worth, at least 1). */
  burst?: number;
  /** Floor of the multiplicative decrease (default: ceiling / 20). */
  minPerSecond?: number;
  /** Added to the rate after each success (default: ceiling / 100). */
  increasePerSuccess?: number;
  /** At most one decrease per this many ms: a volley of in-flight 429s counts once (default 1000). */
  decreaseCooldownMs?: number;
  /** Pause after a 429 that gives no delay (default 1000 ms). */
  defaultPauseMs?: number;
  /** Longest pause a server can impose (default 120 000 ms). */
  maxPauseMs?: number;
  /** Clock in ms (default Date.now; vitest fake timers fake it too). */
  now?: () => number;
}

export interface RateLimiterSnapshot {
  /** Current allowed rate (req/s). */
  rate: number;
  ceiling: number;
  burst: number;
  /** Requests let through by acquire(). */
  acquired: number;
  responses: number;
  /** 429 answers seen. */
  throttled: number;
  decreases: number;
  /** Global pauses started (429 or Remaining: 0). */
  pauses: number;
  /** Total time paused, ms. */
  pausedMs: number;
  pausedUntil: number | undefined;
  waiting: number;
}

interface Waiter {
  resolve(): void;
  reject(e: unknown): void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

function firstNumber(v: string | null): number | undefined {
  if (v === null) return undefined;
  const m = /-?\d+(\.\d+)?/.exec(v);
  return m ? Number(m[0]) : undefined;
}

export class AdaptiveRateLimiter implements RateLimiter {
  private rate: number;
  private ceiling: number;
  private readonly burst: number;
  private readonly min: number;
  private readonly increase: number;
  private readonly cooldownMs: number;
  private readonly defaultPauseMs: number;
  private readonly maxPauseMs: number;
  private readonly now: () => number;

  private tokens: number;
  private last: number;
  private pausedUntil = 0;
  private lastDecreaseAt = -Infinity;
  /** Rate at which the last 429 was seen: probing above 90% of it is 10× slower (forgotten after 30 s). */
  private throttledRate: number | undefined;
  private readonly queue: Waiter[] = [];
  private timer: NodeJS.Timeout | undefined;
  private timerAt = 0;
  private stats = { acquired: 0, responses: 0, throttled: 0, decreases: 0, pauses: 0, pausedMs: 0 };

  constructor(opts: AdaptiveRateLimiterOptions) {
    if (!(opts.requestsPerSecond > 0)) throw new RangeError("requestsPerSecond must be > 0");
    this.ceiling = opts.requestsPerSecond;
    this.rate = this.ceiling;
    this.burst = Math.max(1, opts.burst ?? Math.ceil(this.ceiling / 10));
    this.min = Math.min(this.ceiling, opts.minPerSecond ?? this.ceiling / 20);
    this.increase = opts.increasePerSuccess ?? this.ceiling / 100;
    this.cooldownMs = opts.decreaseCooldownMs ?? 1000;
    this.defaultPauseMs = opts.defaultPauseMs ?? 1000;
    this.maxPauseMs = opts.maxPauseMs ?? 120_000;
    this.now = opts.now ?? Date.now;
    this.tokens = this.burst;
    this.last = this.now();
  }

  /** A limiter for a target's declared `capabilities.rateLimit` (undefined when it declares none). */
  static forTarget(rateLimit: { requestsPerSecond: number; burst?: number } | undefined, extra: Partial<AdaptiveRateLimiterOptions> = {}): AdaptiveRateLimiter | undefined {
    return rateLimit ? new AdaptiveRateLimiter({ ...extra, requestsPerSecond: rateLimit.requestsPerSecond, ...(rateLimit.burst ? { burst: rateLimit.burst } : {}) }) : undefined;
  }

  acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const w: Waiter = { resolve, reject, signal, onAbort: undefined };
      if (signal) {
        w.onAbort = () => {
          const i = this.queue.indexOf(w);
          if (i >= 0) this.queue.splice(i, 1);
          reject(signal.reason);
          this.pump();
        };
        signal.addEventListener("abort", w.onAbort, { once: true });
      }
      this.queue.push(w);
      this.pump();
    });
  }

  observe(res: { status: number; headers: Headers }): void {
    const now = this.now();
    this.stats.responses++;
    const h = res.headers;

    const limit = firstNumber(h.get("x-ratelimit-limit") ?? h.get("ratelimit-limit"));
    if (limit !== undefined && limit > 0) {
      const policy = h.get("ratelimit-policy") ?? h.get("x-ratelimit-policy");
      const w = policy ? firstNumber(/w=(\d+(\.\d+)?)/.exec(policy)?.[1] ?? null) : undefined;
      const perSecond = limit / (w && w > 0 ? w : 1);
      if (perSecond < this.ceiling) {
        this.ceiling = perSecond;
        this.rate = Math.min(this.rate, this.ceiling);
      }
    }

    if (res.status === 429) {
      this.stats.throttled++;
      if (now - this.lastDecreaseAt >= this.cooldownMs) {
        this.lastDecreaseAt = now;
        this.stats.decreases++;
        this.throttledRate = this.rate;
        this.rate = Math.max(Math.min(this.min, this.ceiling), this.rate * 0.5);
      }
      this.pause(retryAfterMs(h, now) ?? this.defaultPauseMs);
      return;
    }
    if (res.status === 503) {
      const ms = retryAfterMs(h, now);
      if (ms !== undefined) this.pause(ms);
      return;
    }

    const remaining = firstNumber(h.get("x-ratelimit-remaining") ?? h.get("ratelimit-remaining"));
    if (remaining !== undefined && remaining <= 0) {
      const reset = firstNumber(h.get("x-ratelimit-reset") ?? h.get("ratelimit-reset"));
      if (reset !== undefined) this.pause(resetHeaderMs(reset, now));
    }
    if (res.status < 400 && this.rate < this.ceiling) {
      if (this.throttledRate !== undefined && now - this.lastDecreaseAt > 30_000) this.throttledRate = undefined;
      const near = this.throttledRate !== undefined && this.rate >= this.throttledRate * 0.9;
      this.rate = Math.min(this.ceiling, this.rate + (near ? this.increase / 10 : this.increase));
    }
  }

  /** Stop every worker for `ms` (e.g. a provider's body-level "slow down" signal). */
  pause(ms: number): void {
    const now = this.now();
    const until = now + Math.min(this.maxPauseMs, Math.max(0, ms));
    if (until <= this.pausedUntil || until <= now) return;
    // Count only the extension, so overlapping pauses are not double counted.
    this.stats.pausedMs += until - Math.max(now, this.pausedUntil);
    if (this.pausedUntil <= now) this.stats.pauses++;
    this.refill(now);
    this.pausedUntil = until;
    this.tokens = 0; // resume gently: no burst right after a pause
    this.pump();
  }

  snapshot(): RateLimiterSnapshot {
    const now = this.now();
    return {
      rate: this.rate,
      ceiling: this.ceiling,
      burst: this.burst,
      ...this.stats,
      pausedUntil: this.pausedUntil > now ? this.pausedUntil : undefined,
      waiting: this.queue.length,
    };
  }

  /**
   * `lateMs`: how long after its due time the wake-up timer fired. Timers fire whole milliseconds
   * late (and at whole-ms delays); the tokens earned meanwhile belong to waiters that were already
   * queued, so they may exceed `burst` by that much. Capping them away cost 2–5% of the declared
   * rate with `burst: 1` (Calimatic's evenly spaced requests). Idle time is still capped at `burst`.
   */
  private refill(now: number, lateMs = 0): void {
    const from = Math.max(this.last, this.pausedUntil);
    const cap = this.burst + (lateMs / 1000) * this.rate;
    if (now > from) this.tokens = Math.min(cap, this.tokens + ((now - from) / 1000) * this.rate);
    this.last = Math.max(this.last, now);
  }

  private pump(lateMs = 0): void {
    while (this.queue.length) {
      const now = this.now();
      if (now < this.pausedUntil) return this.schedule(this.pausedUntil - now);
      this.refill(now, lateMs);
      lateMs = 0;
      if (this.tokens < 1) return this.schedule(((1 - this.tokens) / this.rate) * 1000);
      this.tokens -= 1;
      const w = this.queue.shift()!;
      if (w.signal && w.onAbort) w.signal.removeEventListener("abort", w.onAbort);
      this.stats.acquired++;
      w.resolve();
    }
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  private schedule(ms: number): void {
    const at = this.now() + ms;
    if (this.timer && this.timerAt <= at + 1) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.pump(Math.max(0, this.now() - at));
      },
      Math.max(1, Math.ceil(ms)),
    );
  }
}
