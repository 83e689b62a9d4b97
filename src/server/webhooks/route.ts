/**
 * `POST /webhooks/:provider`: verify → parse the event ids → persist in the inbox (duplicates are
 * no-ops) → 2xx. No provider write happens on this path (webhooks.md §7.4); the worker applies.
 * `GET /webhooks/:provider` answers Prelude's activation handshake (other schemes: 405).
 *
 *   401 signature missing / wrong, or stale (timestamp outside the tolerance, event too old)
 *   400 malformed signature header or body      413 body over the limit
 *   503 the inbox (or Prelude's JWKS) is unavailable: the sender retries later
 */
import { Hono, type Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { Logger } from "../log.js";
import { webhookDeliveries } from "../../util/metrics.js";
import type { WebhookProviderConfig, WebhookScheme } from "./config.js";
import { preludeHandshake } from "./handshake.js";
import type { Inbox } from "./inbox/index.js";
import { BadPayload, parseDelivery } from "./parse.js";
import type { Verifier } from "./verify/index.js";

export interface ProviderRuntime {
  scheme: WebhookScheme;
  config: WebhookProviderConfig;
  verifier: Verifier;
}

export interface RouteOptions {
  providers: ReadonlyMap<string, ProviderRuntime>;
  inbox: Inbox;
  bodyLimitBytes: number;
  /** Called after new events were stored (wakes the worker). */
  onStored?: () => void;
  log?: Logger;
  now?: () => number;
}

/** Schemes whose signature covers no timestamp: staleness comes from the event's own time. */
const UNTIMED = new Set<WebhookScheme>(["authgear", "prelude"]);

export function webhookRoutes(o: RouteOptions): Hono {
  const now = o.now ?? Date.now;
  const log: Logger = o.log ?? (() => {});
  const app = new Hono();
  // Only configured provider keys are counted (unknown ones are 404 before this): labels stay low-cardinality.
  const count = (provider: string, outcome: string) => webhookDeliveries.inc({ provider, outcome });
  const answer = (c: Context, status: number, body: object, headers: Record<string, string> = {}) => {
    c.header("cache-control", "no-store");
    for (const [k, v] of Object.entries(headers)) c.header(k, v);
    return c.json(body, status as 200);
  };

  // 413 closes the connection: the unread rest of the body must not be parsed as the next request.
  app.use("/webhooks/*", bodyLimit({ maxSize: o.bodyLimitBytes, onError: (c) => answer(c, 413, { error: "payload_too_large" }, { connection: "close" }) }));

  app.get("/webhooks/:provider", (c) => {
    const key = c.req.param("provider");
    const p = o.providers.get(key);
    if (!p) return answer(c, 404, { error: "unknown_provider" });
    if (p.scheme !== "prelude" || !p.config.verificationToken) return answer(c, 405, { error: "method_not_allowed" });
    const a = preludeHandshake(c.req.query(), p.config.verificationToken);
    log({ event: "webhook_handshake", provider: key, outcome: a.outcome, status: a.status });
    return c.body(a.body, a.status, { "content-type": "application/json", "cache-control": "no-store" });
  });

  app.post("/webhooks/:provider", async (c) => {
    const started = now();
    const key = c.req.param("provider");
    const p = o.providers.get(key);
    if (!p) return answer(c, 404, { error: "unknown_provider" });
    const raw = Buffer.from(await c.req.arrayBuffer());
    const v = await p.verifier.verify({ header: (n) => c.req.header(n), raw, now: started });
    if (!v.ok) {
      const status = v.reason === "keys_unavailable" ? 503 : v.reason === "malformed_signature" ? 400 : 401;
      log({ event: "webhook_rejected", provider: key, outcome: v.reason, status });
      count(key, v.reason === "mismatch" || v.reason === "missing_signature" ? "invalid_signature" : v.reason);
      return answer(c, status, { error: v.reason === "stale" ? "stale_signature" : v.reason === "keys_unavailable" ? "keys_unavailable" : "invalid_signature" }, status === 503 ? { "retry-after": "30" } : {});
    }
    let events;
    try {
      events = parseDelivery(p.scheme, raw, v.deliveryId);
    } catch (e) {
      if (!(e instanceof BadPayload)) throw e;
      log({ event: "webhook_rejected", provider: key, outcome: "bad_payload", status: 400 });
      count(key, "bad_payload");
      return answer(c, 400, { error: "invalid_payload", message: e.message });
    }
    if (UNTIMED.has(p.scheme)) {
      const horizon = started - p.config.maxEventAgeSec * 1000;
      const fresh = events.filter((e) => e.occurredAt === null || e.occurredAt >= horizon);
      if (fresh.length === 0) {
        log({ event: "webhook_rejected", provider: key, outcome: "stale_event", status: 401 });
        count(key, "stale_event");
        return answer(c, 401, { error: "stale_event" });
      }
      events = fresh;
    }
    let stored: number;
    try {
      stored = await o.inbox.add(key, events, started);
    } catch (e) {
      log({ event: "webhook_inbox_error", provider: key, code: (e as { code?: string }).code ?? (e as Error).name, status: 503 });
      count(key, "inbox_unavailable");
      return answer(c, 503, { error: "inbox_unavailable" }, { "retry-after": "5" });
    }
    if (stored > 0) o.onStored?.();
    if (stored > 0) webhookDeliveries.inc({ provider: key, outcome: "accepted" }, stored);
    if (events.length > stored) webhookDeliveries.inc({ provider: key, outcome: "duplicate" }, events.length - stored);
    log({ event: "webhook_received", provider: key, outcome: stored === events.length ? "stored" : stored === 0 ? "duplicate" : "partly_duplicate", status: 200, events: events.length, ms: now() - started });
    return answer(c, 200, { received: events.length, duplicates: events.length - stored });
  });

  return app;
}
