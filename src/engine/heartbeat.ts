import type { Ledger } from "../ledger/types.js";
import type { ProgressTracker } from "./progress.js";
import type { AdaptiveRateLimiter } from "./rate-limiter.js";

/**
 * While a run works, its progress and request rate are written to its ledger row every few
 * seconds, so another process (the `serve` dashboard) can show the rate against the target's
 * limit and an ETA without talking to the run. Failures to write are ignored: a heartbeat must
 * never slow down or fail the migration.
 */
export function startHeartbeat(ledger: Ledger, runId: number, tracker: ProgressTracker, limiter: AdaptiveRateLimiter | undefined, everyMs = 2000): { stop(): Promise<void> } {
  let prev = { at: Date.now(), acquired: 0, throttled: 0 };
  let inFlight: Promise<void> = Promise.resolve();
  const beat = (): void => {
    const at = Date.now();
    const lim = limiter?.snapshot();
    const secs = Math.max(0.001, (at - prev.at) / 1000);
    const requests = lim
      ? {
          requestRate: (lim.acquired - prev.acquired) / secs,
          throttledRate: (lim.throttled - prev.throttled) / secs,
          limit: lim.ceiling,
          allowed: lim.rate,
          acquired: lim.acquired,
          throttled: lim.throttled,
        }
      : undefined;
    if (lim) prev = { at, acquired: lim.acquired, throttled: lim.throttled };
    const p = tracker.snapshot();
    inFlight = inFlight
      .then(() => ledger.runProgress(runId, { processed: p.processed, total: p.total ?? null, rate: p.rate, etaSeconds: p.etaSeconds ?? null, counts: p.counts, ...(requests ? { requests } : {}) }))
      .catch(() => undefined);
  };
  beat();
  const timer = setInterval(beat, everyMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      beat();
      await inFlight;
    },
  };
}
