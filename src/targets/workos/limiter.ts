import { setTimeout as sleep } from "node:timers/promises";
import type { RateLimiter } from "../http/client.js";
import { retryAfterMs } from "../http/errors.js";

/**
 * Token bucket shared by every request of one WorkOS target instance: `requestsPerSecond` with a
 * burst of the same size. A 429 pauses the bucket until its `Retry-After` has passed, so
 * concurrent batches wait together instead of each hammering the API.
 */
export class TokenBucket implements RateLimiter {
  private tokens: number;
  private at = Date.now();
  private pausedUntil = 0;

  constructor(
    private readonly rate: number,
    private readonly burst = Math.max(1, Math.round(rate)),
  ) {
    this.tokens = this.burst;
  }

  async acquire(signal?: AbortSignal): Promise<void> {
    for (;;) {
      signal?.throwIfAborted();
      const now = Date.now();
      if (now < this.pausedUntil) {
        await sleep(this.pausedUntil - now, undefined, signal ? { signal } : undefined);
        continue;
      }
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) / 1000) * this.rate);
      this.at = now;
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      await sleep(Math.ceil(((1 - this.tokens) / this.rate) * 1000), undefined, signal ? { signal } : undefined);
    }
  }

  observe(response: { status: number; headers: Headers }): void {
    if (response.status !== 429) return;
    const ms = retryAfterMs(response.headers) ?? 1000;
    this.pausedUntil = Math.max(this.pausedUntil, Date.now() + ms);
    this.tokens = 0;
  }
}
