/**
 * Simulator kit: real HTTP servers on 127.0.0.1 that imitate identity providers, plus
 * middlewares that make them misbehave the way real providers do (rate limits, 5xx, hung
 * requests, reset connections). Every random decision comes from a seeded PRNG so tests are
 * deterministic.
 *
 *   const app = new Hono<{ Bindings: HttpBindings }>();
 *   const limit = rateLimit({ requestsPerSecond: 50, style: "retry-after" });
 *   const f = faults({ failRate: 0.1, seed: 1 });
 *   app.use(f, limit);
 *   app.post("/users", (c) => c.json({ id: "u_1" }, 201));
 *   const sim = await serveSimulator(app, { port: 0 });
 *   // ... sim.url ... f.set({ failRate: 0 }) ... limit.stats()
 *   await sim.close();
 */
import type { AddressInfo, Socket } from "node:net";
import type { Server } from "node:http";
import { createAdaptorServer, type HttpBindings } from "@hono/node-server";
import type { Context, Hono, MiddlewareHandler } from "hono";
import { prng } from "../demo/prng.js";

// ---------------------------------------------------------------------------------------------
// Server

export interface ServeOptions {
  /** 0 or omitted = a random free port. */
  port?: number;
  host?: "127.0.0.1";
}

export interface ServedSimulator {
  /** Base URL without trailing slash, e.g. `http://127.0.0.1:54321`. */
  url: string;
  port: number;
  /** Stops listening and destroys every open (keep-alive or hung) connection. */
  close(): Promise<void>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function serveSimulator(app: Hono<any, any, any>, opts: ServeOptions = {}): Promise<ServedSimulator> {
  const host = opts.host ?? "127.0.0.1";
  const server = createAdaptorServer({ fetch: app.fetch, hostname: host }) as Server;
  const sockets = new Set<Socket>();
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.once("close", () => sockets.delete(s));
  });
  // Sockets destroyed on purpose (resetRate) must not crash the process.
  server.on("clientError", (_err, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        for (const s of sockets) s.destroy();
      });
      return closing;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Status counting

export interface SimulatorStats {
  requests: number;
  byStatus: Record<number, number>;
}

function newStats(): SimulatorStats {
  return { requests: 0, byStatus: {} };
}

function count(stats: SimulatorStats, status: number): void {
  stats.requests++;
  stats.byStatus[status] = (stats.byStatus[status] ?? 0) + 1;
}

export type CountingMiddleware = MiddlewareHandler & { stats(): SimulatorStats; resetStats(): void };

/** Counts every answered status (put it first so it sees faults and 429s too). Resets/timeouts count as 0. */
export function statusCounter(): CountingMiddleware {
  let stats = newStats();
  const mw: MiddlewareHandler = async (c, next) => {
    await next();
    count(stats, socketOf(c)?.destroyed ? 0 : c.res.status);
  };
  return Object.assign(mw, {
    stats: () => structuredClone(stats),
    resetStats: () => void (stats = newStats()),
  });
}

// ---------------------------------------------------------------------------------------------
// Faults

export type Burst429 =
  /** During the first `durationMs` (default 1000) of every `everySeconds`-second period since start, answer 429. */
  | { everySeconds: number; durationMs?: number; retryAfterSec?: number }
  /** Scripted windows, in ms since the middleware started (or since the last `set({ burst429 })`). */
  | { windows: ReadonlyArray<{ fromMs: number; toMs: number }>; retryAfterSec?: number };

export interface FaultOptions {
  /** Fraction of requests answered with `failStatus` (default 500) and a JSON error body. */
  failRate?: number;
  failStatus?: number;
  /** Fraction of requests held without an answer for `timeoutMs` (or until the client gives up). */
  timeoutRate?: number;
  /** How long a "timed out" request is held; default 30 000 ms. */
  timeoutMs?: number;
  /** Fraction of requests whose socket is destroyed: the client sees ECONNRESET. */
  resetRate?: number;
  /** 429 bursts with a Retry-After header. */
  burst429?: Burst429;
  /** PRNG seed (default 1). Each request consumes exactly three draws, whatever the rates. */
  seed?: number;
  /** Only requests for which this returns true can fail (default: all). */
  match?: (c: Context) => boolean;
  /** Body of the failure responses (default `{ error: { code, message } }`). */
  body?: (status: number) => unknown;
}

export interface FaultCounts {
  requests: number;
  failed: number;
  timedOut: number;
  reset: number;
  burst429: number;
}

export type FaultMiddleware = MiddlewareHandler & {
  /** Change fault options at runtime (merged into the current ones; pass `seed` to restart the PRNG). */
  set(opts: Partial<FaultOptions>): void;
  options(): FaultOptions;
  counts(): FaultCounts;
};

function socketOf(c: Context): Socket | undefined {
  const env = c.env as Partial<HttpBindings> | undefined;
  return env?.incoming?.socket;
}

function defaultErrorBody(status: number): unknown {
  const code = status === 429 ? "rate_limited" : status >= 500 ? "internal_error" : "simulated_error";
  const message = status === 429 ? "Too many requests (simulated)" : `Simulated failure (${status})`;
  return { error: { code, message } };
}

/** Resolves after `ms`, or as soon as the client disconnects, or the server closes the socket. */
function holdUntil(c: Context, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const socket = socketOf(c);
    const signal = c.req.raw.signal;
    const done = () => {
      clearTimeout(timer);
      socket?.off("close", done);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    timer.unref?.();
    socket?.once("close", done);
    signal.addEventListener("abort", done, { once: true });
  });
}

export function faults(initial: FaultOptions = {}): FaultMiddleware {
  let opts: FaultOptions = { ...initial };
  let rand = prng(opts.seed ?? 1);
  let startedAt = Date.now();
  const counts: FaultCounts = { requests: 0, failed: 0, timedOut: 0, reset: 0, burst429: 0 };

  const burstRetryAfter = (): number | undefined => {
    const b = opts.burst429;
    if (!b) return undefined;
    const t = Date.now() - startedAt;
    if ("windows" in b) {
      const w = b.windows.find((x) => t >= x.fromMs && t < x.toMs);
      return w ? (b.retryAfterSec ?? Math.max(1, Math.ceil((w.toMs - t) / 1000))) : undefined;
    }
    const period = Math.max(1, b.everySeconds) * 1000;
    const duration = b.durationMs ?? 1000;
    const into = t % period;
    return into < duration ? (b.retryAfterSec ?? Math.max(1, Math.ceil((duration - into) / 1000))) : undefined;
  };

  const mw: MiddlewareHandler = async (c, next) => {
    if (opts.match && !opts.match(c)) return next();
    counts.requests++;
    // Always three draws, so the decision for request N depends only on the seed and N.
    const rReset = rand();
    const rTimeout = rand();
    const rFail = rand();

    if (rReset < (opts.resetRate ?? 0)) {
      counts.reset++;
      const socket = socketOf(c);
      if (socket) {
        // RST rather than FIN, so the client sees ECONNRESET (not just "other side closed").
        if (typeof socket.resetAndDestroy === "function") socket.resetAndDestroy();
        else socket.destroy();
        await holdUntil(c, 50);
        return c.body(null, 500);
      }
    }
    if (rTimeout < (opts.timeoutRate ?? 0)) {
      counts.timedOut++;
      await holdUntil(c, opts.timeoutMs ?? 30_000);
      return c.json({ error: { code: "timeout", message: "Simulated timeout" } }, 504);
    }
    const retryAfter = burstRetryAfter();
    if (retryAfter !== undefined) {
      counts.burst429++;
      c.header("Retry-After", String(retryAfter));
      return c.json((opts.body ?? defaultErrorBody)(429) as object, 429);
    }
    if (rFail < (opts.failRate ?? 0)) {
      counts.failed++;
      const status = opts.failStatus ?? 500;
      return c.json((opts.body ?? defaultErrorBody)(status) as object, status as 500);
    }
    return next();
  };

  return Object.assign(mw, {
    set(next: Partial<FaultOptions>) {
      opts = { ...opts, ...next };
      if (next.seed !== undefined) rand = prng(next.seed);
      if (next.burst429 !== undefined) startedAt = Date.now();
    },
    options: () => ({ ...opts }),
    counts: () => ({ ...counts }),
  });
}

// ---------------------------------------------------------------------------------------------
// Rate limiting

export type RateLimitStyle = "retry-after" | "x-ratelimit" | "ratelimit";

export interface RateLimitOptions {
  requestsPerSecond: number;
  /** Bucket size (default: one second worth of requests). */
  burst?: number;
  /**
   * Which headers to send. `retry-after`: only `Retry-After` on 429 (WorkOS, Clerk).
   * `x-ratelimit`: `X-RateLimit-Limit/Remaining/Reset` on every answer, Reset in UNIX epoch seconds (Auth0).
   * `ratelimit`: IETF `RateLimit-Limit/Remaining/Reset` (+ `RateLimit-Policy`), Reset in delta seconds.
   * Every style sends `Retry-After` (seconds) on 429.
   */
  style: RateLimitStyle;
  /** Provider-shaped JSON body of the 429 answer. */
  body?: (retryAfterSec: number) => unknown;
  /** Separate buckets per key (e.g. API key header); default one global bucket. */
  key?: (c: Context) => string;
  /** Clock (ms), for tests. */
  now?: () => number;
}

export type RateLimitMiddleware = MiddlewareHandler & {
  /** Requests that went through this middleware, by answered status (429s from here included). */
  stats(): SimulatorStats;
  resetStats(): void;
  /** Change the rate at runtime (buckets keep their current fill). */
  setRate(requestsPerSecond: number, burst?: number): void;
};

interface Bucket {
  tokens: number;
  at: number;
}

export function rateLimit(opts: RateLimitOptions): RateLimitMiddleware {
  let rate = opts.requestsPerSecond;
  let burst = opts.burst ?? Math.max(1, Math.round(rate));
  const now = opts.now ?? Date.now;
  const buckets = new Map<string, Bucket>();
  let stats = newStats();
  const body = opts.body ?? ((s: number) => ({ error: { code: "rate_limited", message: `Too many requests, retry in ${s}s` } }));

  const mw: MiddlewareHandler = async (c, next) => {
    const key = opts.key ? opts.key(c) : "";
    const t = now();
    let b = buckets.get(key);
    if (!b) {
      b = { tokens: burst, at: t };
      buckets.set(key, b);
    }
    b.tokens = Math.min(burst, b.tokens + ((t - b.at) / 1000) * rate);
    b.at = t;
    const allowed = b.tokens >= 1;
    if (allowed) b.tokens -= 1;
    const remaining = Math.max(0, Math.floor(b.tokens));
    // Time until the bucket is full again; when empty, until the next token.
    const untilFullSec = Math.max(1, Math.ceil((burst - b.tokens) / rate));
    const untilTokenSec = Math.max(1, Math.ceil((1 - b.tokens) / rate));
    const setInfo = () => {
      if (opts.style === "x-ratelimit") {
        c.header("X-RateLimit-Limit", String(Math.round(rate)));
        c.header("X-RateLimit-Remaining", String(remaining));
        c.header("X-RateLimit-Reset", String(Math.ceil(t / 1000) + (remaining === 0 ? untilTokenSec : untilFullSec)));
      } else if (opts.style === "ratelimit") {
        c.header("RateLimit-Limit", String(Math.round(rate)));
        c.header("RateLimit-Remaining", String(remaining));
        c.header("RateLimit-Reset", String(remaining === 0 ? untilTokenSec : untilFullSec));
        c.header("RateLimit-Policy", `${Math.round(rate)};w=1`);
      }
    };
    if (!allowed) {
      const retryAfterSec = untilTokenSec;
      count(stats, 429);
      setInfo();
      c.header("Retry-After", String(retryAfterSec));
      return c.json(body(retryAfterSec) as object, 429);
    }
    await next();
    setInfo();
    count(stats, socketOf(c)?.destroyed ? 0 : c.res.status);
  };

  return Object.assign(mw, {
    stats: () => structuredClone(stats),
    resetStats: () => void (stats = newStats()),
    setRate(requestsPerSecond: number, newBurst?: number) {
      rate = requestsPerSecond;
      burst = newBurst ?? Math.max(1, Math.round(rate));
    },
  });
}
