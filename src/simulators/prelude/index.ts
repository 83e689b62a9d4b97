/**
 * Prelude Session/Auth Management API simulator (targets.md §4, seed 003). Real HTTP on 127.0.0.1:
 *
 *   const sim = await startPrelude();
 *   // target: { type: "prelude", appId: sim.appId, apiKey: sim.apiKey, baseUrl: sim.url }
 *   sim.store.users / creates / lazyMigrate(…) / beforeCreate = …
 *   await sim.close();
 *
 * Out of scope: sign-in / sessions (Prelude passwords are not imported), migration config, webhooks.
 * Endpoints and shapes not in the public reference are marked ASSUMED in ./store.ts and
 * docs/targets/prelude.md.
 */
import { randomBytes } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import type { RunningSimulator, SimulatorDef, SimulatorStartOptions } from "../index.js";
import { faults, rateLimit, serveSimulator, statusCounter, type FaultMiddleware, type RateLimitMiddleware, type SimulatorStats } from "../kit.js";
import { preludeApp } from "./app.js";
import { PreludeStore, type ErrorStatuses, type PreludeStoreOptions } from "./store.js";

export { PreludeStore, SimError, DEFAULT_ERROR_STATUSES, DEFAULT_OAUTH_PROVIDERS, MAX_BATCH_LOOKUP, MAX_EXTERNAL_ID, MAX_LIST_LIMIT } from "./store.js";
export type { SimUser, SimIdentifier, SimProfile, IdentifierType, ErrorStatuses, CreateUserBody } from "./store.js";
export { preludeApp } from "./app.js";

export interface PreludeSimulatorOptions extends SimulatorStartOptions, PreludeStoreOptions {
  /** Statuses of NotFound / *AlreadyExists / invalid (not public; default 404 / 409 / 400). */
  errorStatuses?: Partial<ErrorStatuses>;
  /** Bucket size of the rate limiter (default one second's worth). */
  rateLimitBurst?: number;
}

export interface RunningPrelude extends RunningSimulator {
  url: string;
  appId: string;
  apiKey: string;
  credentials: { appId: string; apiKey: string };
  store: PreludeStore;
  faults: FaultMiddleware;
  /** Present when `rateLimit` was given (Prelude documents no limit: unlimited by default). */
  limiter: RateLimitMiddleware | undefined;
  stats(): SimulatorStats;
}

const errorBody = (status: number) =>
  status === 429 ? { code: "RateLimited", message: "too many requests" } : { code: status >= 500 ? "Internal" : "Simulated", message: `simulated failure (${status})` };

export async function startPrelude(opts: PreludeSimulatorOptions = {}): Promise<RunningPrelude> {
  const appId = opts.credentials?.appId ?? randomBytes(4).toString("hex").slice(0, 7);
  const apiKey = opts.credentials?.apiKey ?? `sk_${randomBytes(16).toString("hex")}`;
  const store = new PreludeStore({ ...(opts.oauthProviders ? { oauthProviders: opts.oauthProviders } : {}), ...(opts.now ? { now: opts.now } : {}) });
  const counter = statusCounter();
  const f = faults({ ...(opts.seed !== undefined ? { seed: opts.seed } : {}), ...opts.faults, body: opts.faults?.body ?? errorBody });
  const middleware: MiddlewareHandler[] = [counter, f];
  const limiter =
    opts.rateLimit && opts.rateLimit > 0
      ? rateLimit({
          requestsPerSecond: opts.rateLimit,
          ...(opts.rateLimitBurst !== undefined ? { burst: opts.rateLimitBurst } : {}),
          style: "retry-after",
          body: (s) => ({ code: "RateLimited", message: `too many requests, retry in ${s}s` }),
        })
      : undefined;
  if (limiter) middleware.push(limiter);
  const app = preludeApp(store, { appId, apiKey, middleware, ...(opts.errorStatuses ? { errorStatuses: opts.errorStatuses } : {}) });
  const served = await serveSimulator(app, { ...(opts.port !== undefined ? { port: opts.port } : {}) });
  return { url: served.url, appId, apiKey, credentials: { appId, apiKey }, store, faults: f, limiter, stats: () => counter.stats(), close: () => served.close() };
}

export const preludeSimulator: SimulatorDef & { start(opts: PreludeSimulatorOptions): Promise<RunningPrelude> } = {
  id: "prelude",
  description: "Prelude Session/Auth Management API: users with external_id + identifiers, batch_lookup (≤100), external_id, profile, identifiers, delete",
  start: startPrelude,
};
