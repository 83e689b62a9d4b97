import { randomBytes } from "node:crypto";
import { faults, rateLimit, serveSimulator, type FaultMiddleware, type RateLimitMiddleware } from "../kit.js";
import { eventId, WebhookEmitter, type SimulatorWebhookOptions } from "../webhook-emitter.js";
import type { RunningSimulator, SimulatorDef, SimulatorStartOptions } from "../index.js";
import { buildApp } from "./app.js";
import { WorkosStore, type StoreOptions } from "./store.js";

/**
 * Local WorkOS User Management simulator (targets.md §3, seed 002). Real HTTP on 127.0.0.1:
 *
 *   const sim = await workosSimulator.start({ port: 0 });
 *   // target: { type: "workos", apiKey: sim.apiKey, clientId: sim.clientId, baseUrl: sim.url }
 *   sim.store.users / orgs / memberships / outbox …
 *   await sim.close();
 */

export interface WorkosSimulatorOptions extends SimulatorStartOptions, StoreOptions, SimulatorWebhookOptions {
  /** Per-second write / read rates (default: AuthKit's 500 writes and 1,000 reads per 10 s). `rateLimit` sets both. */
  writesPerSecond?: number;
  readsPerSecond?: number;
  /** See AppOptions.exposePasswordState (default true). */
  exposePasswordState?: boolean;
}

export interface RunningWorkosSimulator extends RunningSimulator {
  url: string;
  apiKey: string;
  clientId: string;
  store: WorkosStore;
  faults: FaultMiddleware;
  limits: { reads: RateLimitMiddleware; writes: RateLimitMiddleware };
  /** Present with `webhookUrl`: every signed delivery attempt (WorkOS-Signature). */
  webhooks: WebhookEmitter | undefined;
}

const rateBody = () => ({ message: "Rate limit exceeded.", code: "rate_limit_exceeded" });

export async function startWorkosSimulator(opts: WorkosSimulatorOptions = {}): Promise<RunningWorkosSimulator> {
  const apiKey = opts.credentials?.apiKey ?? `sk_test_${randomBytes(16).toString("hex")}`;
  const clientId = opts.credentials?.clientId ?? `client_${randomBytes(12).toString("hex").toUpperCase()}`;
  const store = new WorkosStore({
    ...(opts.duplicateEmail ? { duplicateEmail: opts.duplicateEmail } : {}),
    ...(opts.roles ? { roles: opts.roles } : {}),
    ...(opts.requireVerifiedEmail !== undefined ? { requireVerifiedEmail: opts.requireVerifiedEmail } : {}),
    ...(opts.multipleRoles !== undefined ? { multipleRoles: opts.multipleRoles } : {}),
    ...(opts.hashTypes ? { hashTypes: opts.hashTypes } : {}),
  });
  const writesPerSecond = opts.rateLimit ?? opts.writesPerSecond ?? 50;
  const readsPerSecond = opts.rateLimit ?? opts.readsPerSecond ?? 100;
  const limits = {
    // Windows of 10 s in the docs: the bucket holds one window's worth unless a rate was forced.
    writes: rateLimit({ requestsPerSecond: writesPerSecond, burst: opts.rateLimit ?? opts.writesPerSecond ?? 500, style: "retry-after", body: rateBody }),
    reads: rateLimit({ requestsPerSecond: readsPerSecond, burst: opts.rateLimit ?? opts.readsPerSecond ?? 1000, style: "retry-after", body: rateBody }),
  };
  const f = faults({
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    ...opts.faults,
    body: opts.faults?.body ?? ((status) => (status === 429 ? rateBody() : { message: `Simulated failure (${status}).`, code: status >= 500 ? "server_error" : "simulated_error" })),
  });
  const webhooks = opts.webhookUrl
    ? new WebhookEmitter({ url: opts.webhookUrl, scheme: "workos", secret: opts.webhookSecret ?? "", ...(opts.webhookRetryDelaysMs ? { retryDelaysMs: opts.webhookRetryDelaysMs } : {}) })
    : undefined;
  // WorkOS event: {id, event, data: <user>, created_at} (webhooks.md §3).
  const emit = webhooks
    ? (event: string, user: object) => {
        const id = eventId("event_01");
        webhooks.send({ id, body: JSON.stringify({ id, event, data: { object: "user", ...user }, created_at: new Date().toISOString(), context: {} }) });
      }
    : undefined;
  const app = buildApp(store, { apiKey, clientId, faults: f, limits, exposePasswordState: opts.exposePasswordState ?? true, ...(emit ? { emit } : {}) });
  const served = await serveSimulator(app, { ...(opts.port !== undefined ? { port: opts.port } : {}) });
  return {
    url: served.url,
    apiKey,
    clientId,
    credentials: { apiKey, clientId },
    store,
    faults: f,
    limits,
    webhooks,
    close: async () => {
      await webhooks?.close();
      await served.close();
    },
  };
}

export const workosSimulator: SimulatorDef & { start(opts: WorkosSimulatorOptions): Promise<RunningWorkosSimulator> } = {
  id: "workos",
  description: "WorkOS User Management: users (hash import), organizations, memberships, password reset, password authenticate",
  start: startWorkosSimulator,
};

export { WorkosStore } from "./store.js";
export type { DuplicateEmailStyle, SimMembership, SimOrg, SimUser, StoreOptions } from "./store.js";
