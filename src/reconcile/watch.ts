import { setTimeout as sleep } from "node:timers/promises";
import { errorMessage } from "../errors.js";
import { reconcile, type ReconcileOptions } from "./reconcile.js";
import type { ReconcileReport } from "./types.js";

/**
 * `reconcile --watch`: one reconcile every `intervalSeconds` (measured start to start, never two
 * at once) until the signal aborts. A failed round is reported and the next one still runs: a
 * target outage must not end the watch.
 */
export async function watchReconcile(
  opts: ReconcileOptions & { intervalSeconds: number; onReport: (r: ReconcileReport) => void; onError: (message: string) => void },
): Promise<number> {
  let rounds = 0;
  while (!opts.signal?.aborted) {
    const started = Date.now();
    try {
      opts.onReport(await reconcile(opts));
    } catch (e) {
      opts.onError(errorMessage(e));
    }
    rounds++;
    const wait = opts.intervalSeconds * 1000 - (Date.now() - started);
    if (wait > 0) await sleep(wait, undefined, opts.signal ? { signal: opts.signal } : undefined).catch(() => undefined);
  }
  return rounds;
}
