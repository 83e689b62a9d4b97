/**
 * Named prom-client metrics shared by the whole process (`metricsRegistry`), so any part of
 * authmigrate can count without knowing who serves `/metrics`:
 *
 *   import { webhookDeliveries } from "../util/metrics.js";
 *   webhookDeliveries.inc({ provider: "workos", outcome: "delivered" });
 *
 * HTTP requests/429s/latency are counted by the targets' HttpClient, retries by the engine's
 * retry loop, lazy hook outcomes by serve's logger, `auth_path_total` by the dual-token
 * middleware (pass `metrics: { registry: metricsRegistry }`) or `POST /api/auth-path`.
 * Ledger-derived values (users by status, the running bulk run's rate) are per server:
 * see dashboard/ledger-metrics.ts. Label values are low-cardinality: never ids or emails.
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";

export const metricsRegistry = new Registry();

export const httpRequests = new Counter({
  name: "authmigrate_http_requests_total",
  help: "Requests to identity-provider APIs, by target, method and HTTP status (error = no answer).",
  labelNames: ["target", "method", "status"] as const,
  registers: [metricsRegistry],
});

export const httpThrottled = new Counter({
  name: "authmigrate_http_429_total",
  help: "429 Too Many Requests answers, by target.",
  labelNames: ["target"] as const,
  registers: [metricsRegistry],
});

export const httpDuration = new Histogram({
  name: "authmigrate_http_request_duration_seconds",
  help: "Latency of identity-provider API requests (after the rate limiter let them through), by target and method.",
  labelNames: ["target", "method"] as const,
  buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [metricsRegistry],
});

export const retries = new Counter({
  name: "authmigrate_retries_total",
  help: "Requests retried by the engine's retry loop, by error code.",
  labelNames: ["code"] as const,
  registers: [metricsRegistry],
});

export const lazyOutcomes = new Counter({
  name: "authmigrate_lazy_hook_total",
  help: "Lazy-migration hook calls, by route and outcome (ok, invalid, locked, not_found, legacy_unavailable…).",
  labelNames: ["route", "outcome"] as const,
  registers: [metricsRegistry],
});

/** Same name and labels as the middleware's counter (src/middleware/dual.ts), so dashboards query one series. */
export const AUTH_PATH_TYPES = ["session", "legacy"] as const;
export const authPath = new Counter({
  name: "auth_path_total",
  help: "Authenticated requests by token type (session = new provider, legacy = old system).",
  labelNames: ["type"] as const,
  registers: [metricsRegistry],
});
for (const type of AUTH_PATH_TYPES) authPath.inc({ type }, 0);

export const webhookDeliveries = new Counter({
  name: "authmigrate_webhook_deliveries_total",
  help: "Webhook deliveries received, by provider and outcome (accepted, duplicate, invalid_signature, failed…).",
  labelNames: ["provider", "outcome"] as const,
  registers: [metricsRegistry],
});

let outboxDepthProvider: (() => number | Promise<number>) | undefined;

/** Whoever owns the outbox registers how to measure it; until then the gauge reads 0. */
export function setOutboxDepthProvider(fn: (() => number | Promise<number>) | undefined): void {
  outboxDepthProvider = fn;
}

export const outboxDepth = new Gauge({
  name: "authmigrate_outbox_depth",
  help: "Events waiting in the sync outbox (0 until an outbox is registered).",
  registers: [metricsRegistry],
  async collect() {
    if (!outboxDepthProvider) return;
    try {
      this.set(await outboxDepthProvider());
    } catch {
      // A failing probe must not break the whole /metrics page; the last value stays.
    }
  },
});

/** Hook events whose outcome is a lazy-migration result (app.ts logs one per call). */
const LAZY_EVENTS = new Set(["verify", "prelude", "get_user"]);

/**
 * Counts lazy hook outcomes from serve's log stream: the hook code already logs exactly one
 * `{event, route, outcome}` line per call, so counting there keeps the two in step.
 */
export function countLazyOutcomes(log: (entry: { event: string; route?: string; outcome?: string }) => void): typeof log {
  return (entry) => {
    if (LAZY_EVENTS.has(entry.event) && entry.route && entry.outcome) lazyOutcomes.inc({ route: entry.route, outcome: entry.outcome });
    log(entry);
  };
}
