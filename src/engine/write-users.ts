import { setTimeout as sleep } from "node:timers/promises";
import { errorMessage } from "../errors.js";
import type { TargetInstance, UserOutcome, UserWrite } from "../targets/types.js";
import { withRetry, type RetryOptions } from "./retry.js";

export interface WriteOptions {
  retry: RetryOptions;
  /** Rounds of per-user retry for users a target reported as retryable failures. */
  userRounds: number;
}

/**
 * Write one batch and make every user end in a final outcome:
 * - the whole request is retried on retryable errors (429, 5xx, timeouts, resets) by `withRetry`;
 * - users the target failed as `retryable` are retried on their own, with backoff;
 * - after that, a user is `failed` with the last reason — never silently dropped.
 */
export async function writeUsersReliably(instance: TargetInstance, batch: UserWrite[], opts: WriteOptions): Promise<Map<string, UserOutcome>> {
  const final = new Map<string, UserOutcome>();
  let pending = batch;
  for (let round = 0; pending.length > 0; round++) {
    let outcomes: UserOutcome[];
    try {
      outcomes = await withRetry(() => instance.writeUsers(pending), opts.retry);
    } catch (e) {
      const reason = `target_error:${errorMessage(e).slice(0, 200)}`;
      outcomes = pending.map((w) => ({ externalId: w.user.externalId, status: "failed", reason, retryable: true }));
      // The request itself kept failing: another round would just repeat the same retries.
      round = opts.userRounds;
    }
    const byId = new Map(outcomes.map((o) => [o.externalId, o]));
    const again: UserWrite[] = [];
    for (const w of pending) {
      const o = byId.get(w.user.externalId) ?? { externalId: w.user.externalId, status: "failed" as const, reason: "no_outcome_from_target", retryable: true };
      if (o.status === "failed" && o.retryable && round < opts.userRounds) again.push(w);
      else final.set(w.user.externalId, o);
    }
    pending = again;
    if (pending.length) {
      const delay = Math.min(opts.retry.maxDelayMs, opts.retry.baseDelayMs * 2 ** round);
      await sleep(Math.round(delay / 2 + Math.random() * (delay / 2)), undefined, opts.retry.signal ? { signal: opts.retry.signal } : undefined);
    }
  }
  return final;
}
