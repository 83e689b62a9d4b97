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
import { generateKeyPairSync, randomBytes } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import type { RunningSimulator, SimulatorDef, SimulatorStartOptions } from "../index.js";
import { faults, rateLimit, serveSimulator, statusCounter, type FaultMiddleware, type RateLimitMiddleware, type SimulatorStats } from "../kit.js";
import { eventId, WebhookEmitter, type SimulatorWebhookOptions } from "../webhook-emitter.js";
import { preludeApp } from "./app.js";
import { PreludeStore, type ErrorStatuses, type PreludeStoreOptions } from "./store.js";

export { PreludeStore, SimError, DEFAULT_ERROR_STATUSES, DEFAULT_OAUTH_PROVIDERS, MAX_BATCH_LOOKUP, MAX_EXTERNAL_ID, MAX_LIST_LIMIT } from "./store.js";
export type { SimUser, SimIdentifier, SimProfile, IdentifierType, ErrorStatuses, CreateUserBody } from "./store.js";
export { preludeApp } from "./app.js";

export interface PreludeSimulatorOptions extends SimulatorStartOptions, PreludeStoreOptions, SimulatorWebhookOptions {
  /**
   * Webhook signatures: `rsassa-pss` (default; key served at `/.well-known/jwks.json`) or `hmac`
   * (`sha256=<b64>` keyed by `webhookSecret`). See webhooks.md §6.
   */
  webhookSignature?: "rsassa-pss" | "hmac";
  /** The `verification_token` registered with the webhook (sent in the activation handshake). */
  webhookVerificationToken?: string;
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
  /** Present with `webhookUrl`: batched, signed event deliveries. */
  webhooks: WebhookEmitter | undefined;
  /** `<url>/.well-known/jwks.json`: the key set receivers verify rsassa-pss signatures with. */
  jwksUri: string;
  /** Prelude's activation handshake against `webhookUrl`: true when it answered 200 with the same challenge. */
  activateWebhook(): Promise<boolean>;
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
  // The app's signing key pair (one per simulator): public half at /.well-known/jwks.json.
  const keys = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const jwk = { ...keys.publicKey.export({ format: "jwk" }), kid: randomBytes(8).toString("hex"), alg: "PS256", use: "sig" };
  const hmac = opts.webhookSignature === "hmac";
  const webhooks = opts.webhookUrl
    ? new WebhookEmitter({
        url: opts.webhookUrl,
        scheme: hmac ? "prelude-hmac" : "prelude-pss",
        ...(hmac ? { secret: opts.webhookSecret ?? "" } : { privateKey: keys.privateKey }),
        ...(opts.webhookRetryDelaysMs ? { retryDelaysMs: opts.webhookRetryDelaysMs } : {}),
      })
    : undefined;
  // Prelude posts batches: {app_id, events: [{id, type, occurred_at, payload: {user}}]} (event fields ASSUMED, docs/sync.md).
  const emit = webhooks
    ? (type: string, user: Record<string, unknown>) => {
        const id = eventId("evt_");
        webhooks.send({ id, body: JSON.stringify({ app_id: appId, events: [{ id, type, occurred_at: new Date().toISOString(), payload: { user } }] }) });
      }
    : undefined;
  const app = preludeApp(store, { appId, apiKey, middleware, jwks: { keys: [jwk] }, ...(emit ? { emit } : {}), ...(opts.errorStatuses ? { errorStatuses: opts.errorStatuses } : {}) });
  const served = await serveSimulator(app, { ...(opts.port !== undefined ? { port: opts.port } : {}) });
  const activateWebhook = async (): Promise<boolean> => {
    if (!opts.webhookUrl) throw new Error("activateWebhook needs webhookUrl");
    const challenge = String(Math.floor(Math.random() * 1e15));
    const u = new URL(opts.webhookUrl);
    u.search = new URLSearchParams({ event: "activate", verification_token: opts.webhookVerificationToken ?? "", challenge, app_id: appId }).toString();
    const res = await fetch(u, { signal: AbortSignal.timeout(10_000) });
    const text = await res.text();
    return res.status === 200 && new RegExp(`^\\s*\\{\\s*"challenge"\\s*:\\s*${challenge}\\s*\\}\\s*$`).test(text);
  };
  return {
    url: served.url, appId, apiKey, credentials: { appId, apiKey }, store, faults: f, limiter, stats: () => counter.stats(),
    webhooks, jwksUri: `${served.url}/.well-known/jwks.json`, activateWebhook,
    close: async () => {
      await webhooks?.close();
      await served.close();
    },
  };
}

export const preludeSimulator: SimulatorDef & { start(opts: PreludeSimulatorOptions): Promise<RunningPrelude> } = {
  id: "prelude",
  description: "Prelude Session/Auth Management API: users with external_id + identifiers, batch_lookup (≤100), external_id, profile, identifiers, delete",
  start: startPrelude,
};
