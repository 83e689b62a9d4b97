/**
 * Calimatic Auth simulator (seed 000): organizations, bulk import, resolve, reset-password,
 * migration-status and sign-in over real HTTP on 127.0.0.1, with an in-memory store tests can
 * read and seed. Endpoints not in the seed (marked "extension" in routes.ts and in
 * docs/targets/calimatic.md) exist so authmigrate can verify and roll back.
 */
import type { MiddlewareHandler } from "hono";
import { faults, rateLimit, serveSimulator, statusCounter, type FaultMiddleware, type RateLimitMiddleware, type SimulatorStats } from "../kit.js";
import type { RunningSimulator, SimulatorDef, SimulatorStartOptions } from "../index.js";
import { DEFAULT_CREDENTIALS, calimaticRoutes, type CalimaticCredentials } from "./routes.js";
import { CalimaticStore } from "./store.js";

export { CalimaticStore, SimError, MAX_IMPORT_USERS, MAX_NAME_LENGTH } from "./store.js";
export type { SimUser, SimOrg, OutboxMail, ImportResult, ImportStatus } from "./store.js";
export { DEFAULT_CREDENTIALS, calimaticRoutes } from "./routes.js";
export type { CalimaticCredentials } from "./routes.js";
export { parsePasswordHash, verifyStored } from "./passwords.js";

export interface CalimaticSimulatorOptions extends SimulatorStartOptions {
  /** bcrypt cost the simulator uses when it hashes (temporary passwords, PBKDF2 upgrade). Default 10. */
  bcryptCost?: number;
  /** Bucket size of the rate limiter (default: one second worth of requests, at least 1). */
  rateLimitBurst?: number;
  /** Keep every import request body in `store.imports` (store.ts StoreOptions). */
  recordImports?: boolean;
}

export interface RunningCalimatic extends RunningSimulator {
  credentials: CalimaticCredentials & Record<string, string>;
  store: CalimaticStore;
  /** Fault injection, adjustable at runtime (`faults.set({ failRate: 0.2 })`). */
  faults: FaultMiddleware;
  /** The rate limiter, present when `rateLimit` was given. */
  limiter: RateLimitMiddleware | undefined;
  /** Answered statuses (including faults and 429s). */
  stats(): SimulatorStats;
}

/** Calimatic's envelope for errors the kit produces (faults, 429). */
const errorBody = (code: string, message: string) => ({ success: false, error: { code, message } });

export async function startCalimatic(opts: CalimaticSimulatorOptions = {}): Promise<RunningCalimatic> {
  const credentials = { ...DEFAULT_CREDENTIALS, ...(opts.credentials ?? {}) } as CalimaticCredentials & Record<string, string>;
  const store = new CalimaticStore({ ...(opts.bcryptCost !== undefined ? { bcryptCost: opts.bcryptCost } : {}), recordImports: opts.recordImports ?? false });
  const counter = statusCounter();
  const f = faults({
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    ...opts.faults,
    body: opts.faults?.body ?? ((status) => (status === 429 ? errorBody("RATE_LIMITED", "Too many requests") : errorBody("INTERNAL_ERROR", `Simulated failure (${status})`))),
  });
  const middleware: MiddlewareHandler[] = [counter, f];
  // The seed documents no numeric limit (it sleeps 2 s between batches): unlimited unless asked.
  const limiter =
    opts.rateLimit && opts.rateLimit > 0
      ? rateLimit({
          requestsPerSecond: opts.rateLimit,
          ...(opts.rateLimitBurst !== undefined ? { burst: opts.rateLimitBurst } : {}),
          style: "retry-after",
          body: (s) => errorBody("RATE_LIMITED", `Too many requests, retry in ${s}s`),
        })
      : undefined;
  if (limiter) middleware.push(limiter);
  const app = calimaticRoutes(store, credentials, middleware);
  const served = await serveSimulator(app, { ...(opts.port !== undefined ? { port: opts.port } : {}) });
  return { url: served.url, credentials, store, faults: f, limiter, stats: () => counter.stats(), close: () => served.close() };
}

export const calimaticSimulator: SimulatorDef = {
  id: "calimatic",
  description: "Calimatic Auth: /api/v1 organizations, users/import (≤500), resolve, reset-password, migration-status, auth/sign-in",
  start: (opts) => startCalimatic(opts),
};
