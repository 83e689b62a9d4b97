/**
 * Dashboard and metrics routes, mounted on serve's Hono app by `mountDashboard` (src/server/app.ts):
 *
 *   GET  /login, POST /login            sign-in form → HttpOnly session cookie
 *   GET  /                              the dashboard page (token)
 *   GET  /assets/*                      dashboard.js, uPlot (public: no data)
 *   GET  /api/overview                  totals, seed 000 status blocks, latest run heartbeat
 *   GET  /api/timeline?minutes=         outcomes per minute (created/updated/skipped/failed, lazy/bulk)
 *   GET  /api/failures?reason&org&run   failed users (+ facets); /api/failures.csv = retry.csv format
 *   GET  /api/users?q=                  lookup by email, legacy id or target id (never hashes)
 *   GET  /api/strategies                password strategies and hash formats
 *   GET  /api/reconcile                 latest reconcile summary, or {summary:null} = not run
 *   GET  /api/auth-path                 auth_path_total totals + per-minute history
 *   POST /api/auth-path                 {"type":"session|legacy","count":n} from a middleware elsewhere
 *   GET  /api/events                    SSE: `overview` every refreshMs
 *   GET  /metrics                       Prometheus text (token unless protectMetrics: false)
 */
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import type { Context, Hono } from "hono";
import { streamSSE } from "hono/streaming";
import { metricsRegistry, AUTH_PATH_TYPES } from "../../util/metrics.js";
import { safeEqual } from "../security.js";
import { DASHBOARD_LOGIN_RULE, memoryStore, type RateLimitStore } from "../rate-store.js";
import { requireToken, startSession } from "./auth.js";
import { DASHBOARD_JS } from "./client-js.js";
import { failuresCsv } from "./csv.js";
import type { Dashboard } from "./open.js";
import { DASHBOARD_HTML, LOGIN_HTML } from "./page.js";
import { failureFacets, failures, findUsers, overview, reconcileSummary, strategies, timeline, type FailureFilter } from "./queries.js";
import { latestScaleStatus } from "../../engine/scale/workers.js";

export const DASHBOARD_ROUTES = ["GET /", "GET /login", "POST /login", "GET /api/{overview,timeline,failures,failures.csv,users,strategies,reconcile,workers,auth-path,events}", "POST /api/auth-path", "GET /metrics"];

const require = createRequire(import.meta.url);
const asset = (mod: string): string => readFileSync(require.resolve(mod), "utf8");
let uplot: { js: string; css: string } | undefined;
const uplotAssets = (): { js: string; css: string } => (uplot ??= { js: asset("uplot/dist/uPlot.iife.min.js"), css: asset("uplot/dist/uPlot.min.css") });

const PAGE_HEADERS = {
  "content-security-policy": "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
};

class BadQuery extends Error {}

function filterOf(c: Context): FailureFilter {
  const reason = c.req.query("reason") || undefined;
  const org = c.req.query("org") || undefined;
  const runText = c.req.query("run") || undefined;
  const run = runText === undefined ? undefined : Number(runText);
  if (run !== undefined && !Number.isInteger(run)) throw new BadQuery(`run must be a run id (integer), got "${String(runText).slice(0, 40)}"`);
  return { ...(reason ? { reason } : {}), ...(org ? { org } : {}), ...(run !== undefined ? { run } : {}) };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function mountDashboard(app: Hono<any>, d: Dashboard, logins: RateLimitStore = memoryStore(DASHBOARD_LOGIN_RULE)): void {
  const { token } = d.config;
  const page = requireToken(token, "page");
  const api = requireToken(token, "api");
  // `logins`: sign-in attempts per client address (shared between instances with serve.rateLimit.redis).
  const noStore = (c: Context): void => c.header("cache-control", "no-store");
  const wrap = (fn: (c: Context) => Promise<Response>) => async (c: Context): Promise<Response> => {
    try {
      return await fn(c);
    } catch (e) {
      if (e instanceof BadQuery) return c.json({ error: "invalid_request", message: e.message }, 400);
      throw e;
    }
  };

  app.get("/login", (c) => c.html(LOGIN_HTML(), 200, PAGE_HEADERS));
  app.post("/login", async (c) => {
    const ip = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming?.socket?.remoteAddress ?? "unknown";
    const wait = await logins.retryAfter(ip);
    if (wait) return c.html(LOGIN_HTML("Too many attempts; try again later."), 429, { ...PAGE_HEADERS, "retry-after": String(wait) });
    const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
    const given = typeof form.token === "string" ? form.token : "";
    if (!safeEqual(given, token)) {
      await logins.hit(ip);
      return c.html(LOGIN_HTML("Wrong token."), 401, PAGE_HEADERS);
    }
    await logins.reset(ip);
    startSession(c, token);
    return c.redirect("/", 303);
  });
  app.get("/", page, (c) => c.html(DASHBOARD_HTML, 200, PAGE_HEADERS));
  app.get("/assets/dashboard.js", (c) => c.body(DASHBOARD_JS, 200, { "content-type": "text/javascript; charset=utf-8", "cache-control": "no-cache" }));
  app.get("/assets/uplot.min.js", (c) => c.body(uplotAssets().js, 200, { "content-type": "text/javascript; charset=utf-8", "cache-control": "max-age=3600" }));
  app.get("/assets/uplot.min.css", (c) => c.body(uplotAssets().css, 200, { "content-type": "text/css; charset=utf-8", "cache-control": "max-age=3600" }));

  // Charts change slowly and cost a scan of the window: computed at most every 5 s, shared by every viewer.
  const memo = new Map<string, { at: number; value: Promise<unknown> }>();
  const cached = <T>(key: string, fn: () => Promise<T>): Promise<T> => {
    const hit = memo.get(key);
    if (hit && Date.now() - hit.at < 5000) return hit.value as Promise<T>;
    const value = fn();
    memo.set(key, { at: Date.now(), value });
    value.catch(() => memo.delete(key));
    return value;
  };

  app.use("/api/*", api);
  app.get("/api/overview", async (c) => (noStore(c), c.json(await overview(d.source))));
  app.get("/api/timeline", wrap(async (c) => {
    const m = Number(c.req.query("minutes") ?? 1440);
    if (!Number.isFinite(m) || m <= 0) throw new BadQuery("minutes must be a positive number");
    noStore(c);
    const minutes = Math.min(Math.round(m), 60 * 24 * 90);
    return c.json({ points: await cached(`timeline:${minutes}`, () => timeline(d.source, minutes)) });
  }));
  app.get("/api/failures", wrap(async (c) => {
    const f = filterOf(c);
    const [list, facets] = await Promise.all([failures(d.source, f), failureFacets(d.source)]);
    noStore(c);
    return c.json({ ...list, facets });
  }));
  app.get("/api/failures.csv", wrap(async (c) => {
    const list = await failures(d.source, { ...filterOf(c), limit: 1_000_000 });
    return c.body(failuresCsv(list.rows), 200, { "content-type": "text/csv; charset=utf-8", "content-disposition": 'attachment; filename="retry.csv"', "cache-control": "no-store" });
  }));
  app.get("/api/users", wrap(async (c) => {
    const q = c.req.query("q") ?? "";
    if (q.length > 320) throw new BadQuery("q is too long");
    noStore(c);
    return c.json({ users: await findUsers(d.source, q) });
  }));
  app.get("/api/strategies", async (c) => (noStore(c), c.json(await cached("strategies", () => strategies(d.source)))));
  app.get("/api/reconcile", async (c) => (noStore(c), c.json({ summary: await reconcileSummary(d.source) })));
  // Scale-out (Postgres ledger): the latest run's workers, chunks and rates; `run: null` otherwise.
  app.get("/api/workers", async (c) => (noStore(c), c.json({ run: (await latestScaleStatus(d.source.ledger, d.source.target)) ?? null })));
  app.get("/api/auth-path", async (c) => (noStore(c), c.json(await d.authPath.series())));
  app.post("/api/auth-path", wrap(async (c) => {
    let b: { type?: unknown; count?: unknown };
    try {
      b = (await c.req.json()) as typeof b;
    } catch {
      throw new BadQuery("body must be JSON {type, count}");
    }
    const type = b?.type;
    const count = b?.count ?? 1;
    if (!(AUTH_PATH_TYPES as readonly unknown[]).includes(type)) throw new BadQuery(`type must be one of ${AUTH_PATH_TYPES.join(", ")}`);
    if (typeof count !== "number" || !Number.isInteger(count) || count < 0 || count > 1_000_000) throw new BadQuery("count must be an integer between 0 and 1000000");
    d.authPath.ingest(type as (typeof AUTH_PATH_TYPES)[number], count);
    return c.json({ ok: true }, 202);
  }));
  // Live streams share one overview per half period: N open pages cost one set of queries, not N.
  let shared: { at: number; value: Promise<unknown> } | undefined;
  const liveOverview = (): Promise<unknown> => {
    const now = Date.now();
    if (!shared || now - shared.at >= d.config.refreshMs / 2) shared = { at: now, value: overview(d.source) };
    return shared.value;
  };
  app.get("/api/events", (c) =>
    streamSSE(c, async (stream) => {
      let open = true;
      stream.onAbort(() => {
        open = false;
      });
      while (open && !d.closed) {
        await stream.writeSSE({ event: "overview", data: JSON.stringify(await liveOverview()) });
        await stream.sleep(d.config.refreshMs);
      }
    }),
  );

  const metrics = async (c: Context): Promise<Response> => {
    const text = (await metricsRegistry.metrics()) + (await d.ledgerRegistry.metrics());
    return c.body(text, 200, { "content-type": metricsRegistry.contentType, "cache-control": "no-store" });
  };
  if (d.config.protectMetrics) app.get("/metrics", api, metrics);
  else app.get("/metrics", metrics);
}
