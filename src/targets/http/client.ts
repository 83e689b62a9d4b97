/**
 * The HTTP client every API target uses: base URL + auth headers, per-request timeout, a shared
 * rate limiter (acquire before, observe after), JSON in/out, and failures turned into one-line
 * AuthmigrateErrors (see ./errors.ts) that the engine's retry loop understands.
 *
 *   const http = new HttpClient({ name: "workos", baseUrl, headers: { authorization: `Bearer ${key}` }, limiter });
 *   const { body } = await http.request<{ id: string }>("POST", "/user_management/users", { json: user, expect: [201] });
 */
import type { AuthmigrateError } from "../../errors.js";
import { abortedError, httpError, networkError, timeoutError, type DuplicateHook } from "./errors.js";
import { httpDuration, httpRequests, httpThrottled } from "../../util/metrics.js";

/** What HttpClient needs from a rate limiter (src/engine/rate-limiter.ts implements it). */
export type { RateLimiter } from "../types.js";
import type { RateLimiter } from "../types.js";

export type HeaderSource = Record<string, string> | (() => Promise<Record<string, string>> | Record<string, string>);

export interface HttpClientOptions {
  /** Target id, used in error messages (`workos POST /users → 422 …`). */
  name: string;
  baseUrl: string;
  /** Static headers, or a function called before each request (token refresh). */
  headers?: HeaderSource;
  /** Per-attempt timeout, covering the response body too. Default 30 000. */
  timeoutMs?: number;
  limiter?: RateLimiter;
  /** Aborts every request (the run's signal). */
  signal?: AbortSignal;
  /** Marks matching errors `meta.duplicate = true` (default rule in classify(): 409). */
  isDuplicate?: DuplicateHook;
  /** Injected fetch (tests). */
  fetch?: typeof fetch;
}

export type QueryValue = string | number | boolean | undefined | null | readonly (string | number | boolean)[];

export interface RequestOptions {
  query?: Record<string, QueryValue>;
  /** JSON body (sets content-type). */
  json?: unknown;
  /** Raw body (string, bytes, FormData, URLSearchParams…). */
  body?: string | Uint8Array | FormData | URLSearchParams | Blob;
  headers?: Record<string, string>;
  /** Statuses that count as success; default any 2xx. */
  expect?: number[];
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface HttpResponse<T> {
  status: number;
  headers: Headers;
  body: T;
}

export class HttpClient {
  readonly name: string;
  readonly baseUrl: string;
  private readonly opts: HttpClientOptions;
  private readonly fetchImpl: typeof fetch;

  constructor(opts: HttpClientOptions) {
    this.opts = opts;
    this.name = opts.name;
    this.baseUrl = opts.baseUrl.replace(/\/+$/, "");
    this.fetchImpl = opts.fetch ?? fetch;
  }

  url(path: string, query?: RequestOptions["query"]): URL {
    const url = new URL(this.baseUrl + (path.startsWith("/") ? path : `/${path}`));
    for (const [k, v] of Object.entries(query ?? {})) {
      if (v === undefined || v === null) continue;
      if (Array.isArray(v)) for (const item of v) url.searchParams.append(k, String(item));
      else url.searchParams.set(k, String(v));
    }
    return url;
  }

  async request<T = unknown>(method: string, path: string, ro: RequestOptions = {}): Promise<HttpResponse<T>> {
    method = method.toUpperCase();
    const url = this.url(path, ro.query);
    // Errors name the path only: query strings may carry emails or tokens.
    const errPath = url.pathname;
    const timeoutMs = ro.timeoutMs ?? this.opts.timeoutMs ?? 30_000;
    const outer = [this.opts.signal, ro.signal].filter((s): s is AbortSignal => !!s);
    if (outer.some((s) => s.aborted)) throw abortedError(this.name, method, errPath);

    const base = typeof this.opts.headers === "function" ? await this.opts.headers() : (this.opts.headers ?? {});
    const headers = new Headers({ accept: "application/json", ...base, ...ro.headers });
    let body: RequestInit["body"];
    if (ro.json !== undefined) {
      body = JSON.stringify(ro.json);
      if (!headers.has("content-type")) headers.set("content-type", "application/json");
    } else if (ro.body !== undefined) {
      body = ro.body as RequestInit["body"];
    }
    const secrets = [...headers]
      .filter(([k]) => !PUBLIC_HEADERS.has(k))
      .flatMap(([, v]) => [v, v.replace(/^(Bearer|Basic|Token)\s+/i, "")]);

    if (this.opts.limiter) {
      const limiterSignal = outer.length ? AbortSignal.any(outer) : undefined;
      try {
        await this.opts.limiter.acquire(limiterSignal);
      } catch (e) {
        if (limiterSignal?.aborted) throw abortedError(this.name, method, errPath);
        throw e;
      }
    }

    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), timeoutMs);
    const signal = AbortSignal.any([timeout.signal, ...outer]);
    // Metrics (src/util/metrics.ts): latency from after the limiter, status "error" = no answer.
    const endTimer = httpDuration.startTimer({ target: this.name, method });
    let answered = "error";
    const fail = (e: unknown): AuthmigrateError => {
      if (timeout.signal.aborted) return timeoutError(this.name, method, errPath, timeoutMs);
      if (outer.some((s) => s.aborted)) return abortedError(this.name, method, errPath);
      return networkError(this.name, method, errPath, e);
    };
    try {
      let res: Response;
      try {
        res = await this.fetchImpl(url, { method, headers, ...(body !== undefined ? { body } : {}), signal });
      } catch (e) {
        throw fail(e);
      }
      let text: string;
      try {
        text = await res.text();
      } catch (e) {
        throw fail(e);
      }
      answered = String(res.status);
      if (res.status === 429) httpThrottled.inc({ target: this.name });
      this.opts.limiter?.observe({ status: res.status, headers: res.headers });
      const parsed = parseBody(text, res.headers.get("content-type"));
      const ok = ro.expect ? ro.expect.includes(res.status) : res.status >= 200 && res.status < 300;
      if (!ok) {
        const err = httpError({ name: this.name, method, path: errPath, status: res.status, headers: res.headers, body: parsed, secrets });
        if (this.opts.isDuplicate?.(err)) err.meta.duplicate = true;
        throw err;
      }
      return { status: res.status, headers: res.headers, body: parsed as T };
    } finally {
      clearTimeout(timer);
      endTimer();
      httpRequests.inc({ target: this.name, method, status: answered });
    }
  }

  get<T = unknown>(path: string, ro?: RequestOptions): Promise<HttpResponse<T>> {
    return this.request<T>("GET", path, ro);
  }
  post<T = unknown>(path: string, json?: unknown, ro: RequestOptions = {}): Promise<HttpResponse<T>> {
    return this.request<T>("POST", path, json === undefined ? ro : { ...ro, json });
  }
  put<T = unknown>(path: string, json?: unknown, ro: RequestOptions = {}): Promise<HttpResponse<T>> {
    return this.request<T>("PUT", path, json === undefined ? ro : { ...ro, json });
  }
  patch<T = unknown>(path: string, json?: unknown, ro: RequestOptions = {}): Promise<HttpResponse<T>> {
    return this.request<T>("PATCH", path, json === undefined ? ro : { ...ro, json });
  }
  delete<T = unknown>(path: string, ro?: RequestOptions): Promise<HttpResponse<T>> {
    return this.request<T>("DELETE", path, ro);
  }
}

/** Request headers whose values are not secret (every other header value is masked in error messages). */
const PUBLIC_HEADERS = new Set(["accept", "content-type", "content-length", "user-agent", "idempotency-key"]);

/** JSON when it parses (whatever the content-type says), else the text; empty → undefined. */
function parseBody(text: string, contentType: string | null): unknown {
  if (text === "") return undefined;
  if (contentType?.includes("json") || /^\s*[[{"]/.test(text)) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}
