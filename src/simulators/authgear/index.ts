/**
 * Authgear simulator: User Import API (async jobs, 500 KB bodies, tasks of 100, per-record
 * outcomes), Admin API JWT auth (RS256 + kid + aud = app id), a subset of the Admin API GraphQL,
 * the Authentication Flow API's password login, OIDC discovery + JWKS. See docs/targets/authgear.md.
 */
import { generateKeyPairSync, createPrivateKey, createPublicKey, randomUUID, type KeyObject } from "node:crypto";
import type { Context } from "hono";
import type { RunningSimulator, SimulatorDef, SimulatorStartOptions } from "../index.js";
import { faults, rateLimit, serveSimulator, statusCounter, type FaultMiddleware, type RateLimitMiddleware } from "../kit.js";
import { WebhookEmitter, type SimulatorWebhookOptions } from "../webhook-emitter.js";
import { authgearApp } from "./routes.js";
import { AuthgearStore, apiError, type SimUser } from "./store.js";

export { AuthgearStore, userNodeId, userIdFromNode, BODY_MAX_SIZE, TASK_SIZE } from "./store.js";
export type { SimUser, ImportJob, Detail, Summary } from "./store.js";

export interface AuthgearSimulatorOptions extends SimulatorStartOptions, SimulatorWebhookOptions {
  /** Project id (the Admin API JWT's `aud`); default `myapp`. */
  appId?: string;
  /** Admin API key: PEM private key + key id (default: a fresh 2048-bit RSA key). */
  privateKeyPem?: string;
  keyId?: string;
  /** Delay before each import task (100 records) completes; default 20 ms. */
  taskDelayMs?: number;
  /** Status for a bad Admin API JWT: 401 (documented envelope, default) or 403 (older servers). */
  unauthorizedStatus?: 401 | 403;
  /** Enable the `createSession` mutation (off by default, as on Authgear Cloud). */
  createSession?: boolean;
}

export interface RunningAuthgear extends RunningSimulator {
  store: AuthgearStore;
  appId: string;
  keyId: string;
  privateKeyPem: string;
  /** `privateKey` on one line with literal `\n` (the target accepts both forms). */
  credentials: { appId: string; keyId: string; privateKey: string };
  faults: FaultMiddleware;
  rateLimit: RateLimitMiddleware | undefined;
  stats: ReturnType<typeof statusCounter>;
  /** Present with `webhookUrl`: signed (x-authgear-body-signature) non-blocking event deliveries. */
  webhooks: WebhookEmitter | undefined;
}

/** The 429 body authgear-server writes for a rate-limited request. */
export function tooManyRequestBody(): unknown {
  return { error: apiError("TooManyRequest", "RateLimited", "request rate limited", 429, { bucket_name: "AdminAPI" }) };
}

export async function startAuthgear(opts: AuthgearSimulatorOptions = {}): Promise<RunningAuthgear> {
  const appId = opts.appId ?? opts.credentials?.appId ?? "myapp";
  let privateKey: KeyObject;
  const pem = opts.privateKeyPem ?? opts.credentials?.privateKey;
  if (pem) privateKey = createPrivateKey(pem.replace(/\\n/g, "\n"));
  else privateKey = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
  const privateKeyPem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  const keyId = opts.keyId ?? opts.credentials?.keyId ?? randomUUID();
  const oidc = generateKeyPairSync("rsa", { modulusLength: 2048 });

  const webhooks = opts.webhookUrl
    ? new WebhookEmitter({ url: opts.webhookUrl, scheme: "authgear", secret: opts.webhookSecret ?? "", ...(opts.webhookRetryDelaysMs ? { retryDelaysMs: opts.webhookRetryDelaysMs } : {}) })
    : undefined;
  let seq = 0;
  // Non-blocking event: {id, seq, type, payload: {user}, context: {timestamp, user_id}} (webhooks.md §4).
  const emit = webhooks
    ? (type: string, u: SimUser) => {
        const standard_attributes = { ...u.standardAttributes, ...(u.email ? { email: u.email, email_verified: u.emailVerified } : {}), ...(u.phoneNumber ? { phone_number: u.phoneNumber } : {}), ...(u.preferredUsername ? { preferred_username: u.preferredUsername } : {}) };
        const user = { id: u.id, created_at: u.createdAt, updated_at: u.updatedAt, is_disabled: u.disabled, standard_attributes, custom_attributes: u.customAttributes };
        const now = Math.floor(Date.now() / 1000);
        const id = randomUUID();
        webhooks.send({ id, body: JSON.stringify({ id, seq: ++seq, type, payload: { user, identities: [] }, context: { timestamp: now, user_id: u.id, app_id: appId, preferred_languages: [], language: "en" } }) });
      }
    : undefined;
  const store = new AuthgearStore({ ...(opts.taskDelayMs !== undefined ? { taskDelayMs: opts.taskDelayMs } : {}) });
  let url = "";
  const app = await authgearApp({
    store,
    appId,
    adminKeys: new Map([[keyId, createPublicKey(privateKey)]]),
    ...(opts.unauthorizedStatus ? { unauthorizedStatus: opts.unauthorizedStatus } : {}),
    oidcKey: { kid: randomUUID(), privateKey: oidc.privateKey, publicKey: oidc.publicKey },
    createSessionEnabled: opts.createSession ?? false,
    publicUrl: () => url,
    ...(emit ? { emit } : {}),
  });

  // Order: count everything, then faults, then the rate limit, then the routes (mounted on an outer app).
  const { Hono } = await import("hono");
  const outer = new Hono();
  const stats = statusCounter();
  const isApi = (c: Context) => c.req.path.startsWith("/_api/") || c.req.path.startsWith("/api/");
  const f = faults({ ...(opts.faults ?? {}), seed: opts.faults?.seed ?? opts.seed ?? 1, match: opts.faults?.match ?? isApi, body: opts.faults?.body ?? ((s) => (s === 429 ? tooManyRequestBody() : { error: apiError("InternalError", "UnexpectedError", "simulated failure", s) })) });
  outer.use("*", stats, f);
  let limiter: RateLimitMiddleware | undefined;
  if (opts.rateLimit) {
    limiter = rateLimit({ requestsPerSecond: opts.rateLimit, style: "retry-after", body: () => tooManyRequestBody() });
    const l = limiter;
    outer.use("/_api/*", (c, next) => l(c, next));
  }
  outer.route("/", app);
  const served = await serveSimulator(outer, { ...(opts.port !== undefined ? { port: opts.port } : {}) });
  url = served.url;
  return {
    url,
    store,
    appId,
    keyId,
    privateKeyPem,
    // One line (literal \n), so `authmigrate simulate` can print it for a config / env variable.
    credentials: { appId, keyId, privateKey: privateKeyPem.trim().replace(/\n/g, "\\n") },
    faults: f,
    rateLimit: limiter,
    stats,
    webhooks,
    async close() {
      await webhooks?.close();
      store.close();
      await served.close();
    },
  };
}

export const authgearSimulator: SimulatorDef = {
  id: "authgear",
  description: "Authgear: User Import API (async, 500 KB, tasks of 100), Admin API JWT + GraphQL subset, password login flow, OIDC JWKS",
  start: (opts) => startAuthgear(opts),
};
