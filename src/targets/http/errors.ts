/**
 * Turning HTTP failures of identity-provider APIs into AuthmigrateErrors:
 * `TARGET_HTTP_ERROR` (non-expected status), `TARGET_TIMEOUT`, `TARGET_NETWORK`, `TARGET_ABORTED`.
 * Messages are one line and never carry request headers or bodies (they hold secrets and password hashes).
 */
import { AuthmigrateError, isAuthmigrateError } from "../../errors.js";

export const PROVIDER_MESSAGE_MAX = 200;
/** Never trust a server-given delay beyond this. */
export const MAX_RETRY_AFTER_MS = 60 * 60 * 1000;

export interface ProviderError {
  code?: string;
  message?: string;
  /** Codes of `errors[]` items (WorkOS/Clerk-style validation lists), when present. */
  codes?: string[];
}

function str(v: unknown): string | undefined {
  if (typeof v === "string" && v.trim()) return v;
  if (typeof v === "number") return String(v);
  return undefined;
}

function obj(v: unknown): Record<string, unknown> | undefined {
  return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/**
 * Provider error code/message from the common body shapes: `{error}`, `{message}`,
 * `{error:{code|name|reason,message}}`, `{errors:[{code,message|long_message}]}`, `{code, message}`,
 * `{errorCode, message}` (Auth0), `{error, error_description}` (OAuth), `{errorMessage}` (Keycloak),
 * `{msg, error_code}` (Supabase), plain text.
 */
export function extractProviderError(body: unknown): ProviderError {
  if (typeof body === "string") return body.trim() ? { message: body.trim() } : {};
  const b = obj(body);
  if (!b) return {};
  const out: ProviderError = {};
  const nested = obj(b.error);
  if (nested) {
    out.code = str(nested.code) ?? str(nested.reason) ?? str(nested.name) ?? str(nested.type);
    out.message = str(nested.message) ?? str(nested.description);
  }
  out.code ??= str(b.errorCode) ?? str(b.error_code) ?? str(b.code) ?? (typeof b.error === "string" && /^[\w.:-]+$/.test(b.error) ? b.error : undefined);
  out.message ??= str(b.message) ?? str(b.error_description) ?? str(b.errorMessage) ?? str(b.msg) ?? str(b.detail) ?? str(b.title);
  if (!out.message && !nested && typeof b.error === "string") out.message = b.error;
  if (Array.isArray(b.errors) && b.errors.length) {
    const items = b.errors.map((e) => (typeof e === "string" ? { message: e } : (obj(e) ?? {})));
    const codes = items.map((e) => str(e.code) ?? str((e as Record<string, unknown>).reason)).filter((c): c is string => !!c);
    if (codes.length) out.codes = codes;
    const first = items[0]!;
    out.code ??= codes[0];
    out.message ??= str(first.long_message) ?? str(first.message) ?? str(first.error);
  }
  if (out.code === undefined) delete out.code;
  if (out.message === undefined) delete out.message;
  return out;
}

/** One line, at most `max` characters, with the given secret values masked. */
export function sanitizeMessage(s: string, secrets: readonly string[] = [], max = PROVIDER_MESSAGE_MAX): string {
  let out = s.replace(/\s+/g, " ").trim();
  for (const secret of secrets) if (secret.length >= 6) out = out.split(secret).join("***");
  return out.length > max ? out.slice(0, max - 1) + "…" : out;
}

function headerNumber(headers: Headers, name: string): number | undefined {
  const v = headers.get(name);
  if (v === null || v.trim() === "") return undefined;
  const n = Number(v.trim());
  return Number.isFinite(n) ? n : undefined;
}

/**
 * A rate-limit reset header as a delay in ms. Values look like delta seconds (IETF `RateLimit-Reset`,
 * GitHub-less providers), UNIX epoch seconds (Auth0 `X-RateLimit-Reset`) or epoch ms; told apart by size.
 */
export function resetHeaderMs(value: number, now = Date.now()): number {
  if (value > 1e12) return value - now; // epoch ms
  if (value > 1e9) return value * 1000 - now; // epoch seconds
  return value * 1000; // delta seconds
}

/** Server-given delay: `Retry-After` (seconds or HTTP date), else `X-RateLimit-Reset` / `RateLimit-Reset`. */
export function retryAfterMs(headers: Headers, now = Date.now()): number | undefined {
  let ms: number | undefined;
  const ra = headers.get("retry-after")?.trim();
  if (ra) {
    if (/^\d+(\.\d+)?$/.test(ra)) ms = Number(ra) * 1000;
    else {
      const at = Date.parse(ra);
      if (Number.isFinite(at)) ms = at - now;
    }
  }
  if (ms === undefined) {
    const reset = headerNumber(headers, "x-ratelimit-reset") ?? headerNumber(headers, "ratelimit-reset");
    if (reset !== undefined) ms = resetHeaderMs(reset, now);
  }
  if (ms === undefined) return undefined;
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, Math.round(ms)));
}

export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

export interface HttpErrorInit {
  name: string;
  method: string;
  /** Path without query string. */
  path: string;
  status: number;
  headers: Headers;
  body: unknown;
  /** Values to mask if the provider echoes them (tokens, keys). */
  secrets?: readonly string[];
}

const bodies = new WeakMap<AuthmigrateError, unknown>();

/** The parsed response body of a TARGET_HTTP_ERROR (kept off `meta` so it never lands in reports). */
export function responseBody(err: unknown): unknown {
  return isAuthmigrateError(err) ? bodies.get(err) : undefined;
}

export function httpError(i: HttpErrorInit): AuthmigrateError {
  const provider = extractProviderError(i.body);
  const providerMessage = provider.message === undefined ? undefined : sanitizeMessage(provider.message, i.secrets);
  const providerCode = provider.code === undefined ? undefined : sanitizeMessage(provider.code, i.secrets, 100);
  const meta: Record<string, unknown> = { status: i.status, method: i.method, path: i.path };
  if (providerCode !== undefined) meta.providerCode = providerCode;
  if (providerMessage !== undefined) meta.providerMessage = providerMessage;
  if (provider.codes) meta.providerCodes = provider.codes.slice(0, 20).map((c) => sanitizeMessage(c, i.secrets, 100));
  if (i.status === 429 || i.status === 503) {
    const ms = retryAfterMs(i.headers);
    if (ms !== undefined) meta.retryAfterMs = ms;
  }
  const detail = providerMessage ?? providerCode ?? "";
  const message = `${i.name} ${i.method} ${i.path} → ${i.status}${detail ? ` ${detail}` : ""}`;
  const hint =
    i.status === 401 || i.status === 403
      ? `check the ${i.name} credentials in your config (and their permissions)`
      : i.status === 429
        ? `${i.name} is rate limiting; authmigrate slows down and retries — lower concurrency if it persists`
        : undefined;
  const err = new AuthmigrateError("TARGET_HTTP_ERROR", message, { meta, retryable: isRetryableStatus(i.status), ...(hint ? { hint } : {}) });
  bodies.set(err, i.body);
  return err;
}

export function timeoutError(name: string, method: string, path: string, timeoutMs: number): AuthmigrateError {
  return new AuthmigrateError("TARGET_TIMEOUT", `${name} ${method} ${path} → no answer within ${timeoutMs} ms`, {
    meta: { method, path, timeoutMs },
    retryable: true,
    hint: `${name} is slow or unreachable; raise the target timeout or lower concurrency`,
  });
}

/** Node / undici error code of a failed fetch (walks the `cause` chain). */
export function networkErrorCode(e: unknown): string | undefined {
  let cur: unknown = e;
  for (let i = 0; i < 5 && cur; i++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === "string" && code) return code;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

export function networkError(name: string, method: string, path: string, cause: unknown): AuthmigrateError {
  const code = networkErrorCode(cause) ?? "NETWORK_ERROR";
  return new AuthmigrateError("TARGET_NETWORK", `${name} ${method} ${path} → network error ${code}`, {
    meta: { method, path, errno: code },
    retryable: true,
    hint: code === "ECONNREFUSED" || code === "ENOTFOUND" ? `check the ${name} base URL` : undefined,
  });
}

export function abortedError(name: string, method: string, path: string): AuthmigrateError {
  return new AuthmigrateError("TARGET_ABORTED", `${name} ${method} ${path} → aborted`, { meta: { method, path }, retryable: false });
}

export type ErrorClass = "retryable" | "duplicate" | "fatal";

/** Per-target duplicate detection (e.g. WorkOS 422 `email_not_available`, Clerk 422 `form_identifier_exists`). */
export type DuplicateHook = (err: AuthmigrateError) => boolean;

/** Default duplicate rule: 409 Conflict. */
export const isConflict: DuplicateHook = (err) => err.code === "TARGET_HTTP_ERROR" && err.meta.status === 409;

/**
 * What the engine should do with a failed write: retry later, treat as "already exists" (link, look up),
 * or give up. `meta.duplicate` (stamped by HttpClient's `isDuplicate` option) wins over the hook.
 */
export function classify(err: unknown, isDuplicate: DuplicateHook = isConflict): ErrorClass {
  if (isAuthmigrateError(err)) {
    if (err.meta.duplicate === true) return "duplicate";
    if (err.meta.duplicate !== false && isDuplicate(err)) return "duplicate";
    return err.retryable ? "retryable" : "fatal";
  }
  const code = networkErrorCode(err);
  return code && ["ECONNRESET", "ECONNREFUSED", "ETIMEDOUT", "EPIPE", "UND_ERR_SOCKET"].includes(code) ? "retryable" : "fatal";
}
