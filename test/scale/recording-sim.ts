/**
 * The Calimatic simulator with an arrival log of import requests (the calls the run's rate
 * limiter paces) and an optional fixed latency per import: what test/scale and bench:scale
 * measure against. Runs in the calling process, on 127.0.0.1, port 0.
 */
import type { MiddlewareHandler } from "hono";
import { setTimeout as sleep } from "node:timers/promises";
import { serveSimulator } from "../../src/simulators/kit.js";
import { CalimaticStore, DEFAULT_CREDENTIALS, calimaticRoutes } from "../../src/simulators/calimatic/index.js";

export interface RecordingCalimatic {
  url: string;
  credentials: typeof DEFAULT_CREDENTIALS;
  store: CalimaticStore;
  /** Arrival time (ms, monotonic) of every import request, in order. */
  arrivals: number[];
  close(): Promise<void>;
}

export async function startRecordingCalimatic(opts: { latencyMs?: number } = {}): Promise<RecordingCalimatic> {
  const store = new CalimaticStore({ bcryptCost: 4, recordImports: true });
  const arrivals: number[] = [];
  const record: MiddlewareHandler = async (c, next) => {
    if (c.req.method === "POST" && c.req.path.endsWith("/users/import")) {
      arrivals.push(performance.now());
      if (opts.latencyMs) await sleep(opts.latencyMs);
    }
    await next();
  };
  const app = calimaticRoutes(store, DEFAULT_CREDENTIALS, [record]);
  const served = await serveSimulator(app);
  return { url: served.url, credentials: DEFAULT_CREDENTIALS, store, arrivals, close: () => served.close() };
}

/** Most requests that arrived within any window of `ms` (sliding, not aligned to clock seconds). */
export function maxInWindow(arrivals: readonly number[], ms = 1000): number {
  const t = [...arrivals].sort((a, b) => a - b);
  let best = 0;
  for (let lo = 0, hi = 0; hi < t.length; hi++) {
    while (t[hi]! - t[lo]! >= ms) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}
