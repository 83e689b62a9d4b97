import { setTimeout as sleep } from "node:timers/promises";
import { isAuthmigrateError } from "../errors.js";
import { retries as retriesMetric } from "../util/metrics.js";

export interface RetryOptions {
  retries: number;
  /** First backoff; doubles each attempt, with full jitter, capped at `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
  signal?: AbortSignal;
  onRetry?: (info: { attempt: number; delayMs: number; error: unknown }) => void;
}

export const DEFAULT_RETRY: RetryOptions = { retries: 5, baseDelayMs: 250, maxDelayMs: 30_000 };

/**
 * For a target's reads made one request at a time (lookups, lists): each request is retried on
 * its own, so one 429 among fifty lookups does not send all fifty again (engine/run.ts wraps the
 * whole lookupUsers call, which would redo the lookups that succeeded and meet the limit again).
 */
export const READ_RETRY: RetryOptions = { retries: 4, baseDelayMs: 250, maxDelayMs: 30_000 };

/** One read request of a target, retried on its own with READ_RETRY (stops waiting when `signal` aborts). */
export function retryRead<T>(fn: () => Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  return withRetry(fn, { ...READ_RETRY, ...(signal ? { signal } : {}) });
}

/** Retryable = an AuthmigrateError marked retryable (targets classify their errors), or a network error. */
export function isRetryable(e: unknown): boolean {
  if (isAuthmigrateError(e)) return e.retryable;
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return code === "ECONNRESET" || code === "ECONNREFUSED" || code === "ETIMEDOUT" || code === "EPIPE" || code === "UND_ERR_SOCKET";
}

/**
 * The one retry loop. Honours a server-given delay (`meta.retryAfterMs`, e.g. from Retry-After)
 * over its own backoff, so a 429 storm is waited out rather than amplified.
 */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions = DEFAULT_RETRY): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (e) {
      if (attempt >= opts.retries || !isRetryable(e) || opts.signal?.aborted) throw e;
      const serverDelay = isAuthmigrateError(e) ? Number(e.meta.retryAfterMs ?? NaN) : NaN;
      const backoff = Math.min(opts.maxDelayMs, opts.baseDelayMs * 2 ** attempt);
      const delayMs = Number.isFinite(serverDelay) ? serverDelay : Math.round(Math.random() * backoff);
      retriesMetric.inc({ code: isAuthmigrateError(e) ? e.code : ((e as NodeJS.ErrnoException | undefined)?.code ?? "error") });
      opts.onRetry?.({ attempt: attempt + 1, delayMs, error: e });
      await sleep(delayMs, undefined, opts.signal ? { signal: opts.signal } : undefined);
    }
  }
}

/** Run async tasks with at most `limit` in flight; `push` waits while the pool is full (backpressure). */
export class TaskPool {
  private readonly running = new Set<Promise<void>>();
  private firstError: unknown;

  constructor(private readonly limit: number) {}

  async push(task: () => Promise<void>): Promise<void> {
    while (this.running.size >= this.limit) await Promise.race(this.running);
    if (this.firstError) throw this.firstError;
    const p: Promise<void> = task()
      .catch((e: unknown) => {
        this.firstError ??= e;
      })
      .finally(() => this.running.delete(p));
    this.running.add(p);
  }

  async drain(): Promise<void> {
    while (this.running.size) await Promise.race(this.running);
    if (this.firstError) throw this.firstError;
  }
}
