/**
 * `createServer(opts)`: the lazy (on-login) migration hooks as a Hono app.
 *
 *   GET  /healthz                      no auth
 *   POST /hooks/verify                 generic {identifier,password} → 200 user | 401 | 503
 *   POST /hooks/kratos/password-migration   Ory Kratos → 200 {"status":"password_match"} | 403
 *   POST /hooks/prelude/session-validation  Prelude session_validation_url {token} → 200 {user} | 401
 *   POST /hooks/auth0/login            Auth0 custom DB Login script → 200 {profile} | 401
 *   POST /hooks/auth0/get-user         Auth0 custom DB Get User script → 200 {profile} | 404
 *
 * Every /hooks route: body limit (413), time limit, per-IP limit, shared secret or HMAC, and for
 * password routes a per-identifier lockout (429 + Retry-After). Failures never say whether the
 * account exists; logs never carry passwords, hashes, tokens or identifiers.
 */
import type { HttpBindings } from "@hono/node-server";
import { Hono, type Context, type MiddlewareHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { timeout } from "hono/timeout";
import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from "jose";
import type { MigrationUser } from "../model/user.js";
import { auth0Profile } from "./auth0.js";
import type { Dashboard } from "./dashboard/open.js";
import { DASHBOARD_ROUTES, mountDashboard } from "./dashboard/routes.js";
import type { ServeConfig } from "./config.js";
import { isLegacyUnavailable } from "./errors.js";
import type { LazyOutcome, LazyRecorder } from "./lazy.js";
import type { Logger } from "./log.js";
import { rawBody, rawBodyLimit, type RawBodyVariables } from "./raw-body.js";
import { memoryStore, type RateLimitStore } from "./rate-store.js";
import { SIGNATURE_HEADER, checkSignature, identifierKey, logRef, safeEqual } from "./security.js";
import type { LegacyResolver, LegacyVerifier } from "./verifiers.js";

export interface ServerOptions {
  serve: ServeConfig;
  /** Checks passwords (verify, kratos, auth0 login routes). */
  verifier?: LegacyVerifier;
  /** Finds users without a password (auth0 get-user, prelude). */
  resolver?: LegacyResolver;
  /** Ledger rows (+ JIT writes) after successful checks. */
  recorder?: LazyRecorder;
  /** Configured target type: with `auth0`, lazily created Auth0 users are recorded as `auth0|<user_id>`. */
  targetType?: string;
  log?: Logger;
  now?: () => number;
  /** Prelude: key resolver override (tests); default createRemoteJWKSet(serve.prelude.jwksUri). */
  preludeKeys?: JWTVerifyGetKey;
  /** The migration dashboard, its JSON API and /metrics (./dashboard), when `serve.dashboard` is configured. */
  dashboard?: Dashboard;
  /** `POST /webhooks/:provider` routes (./webhooks), mounted when `serve.webhooks` is configured. */
  webhooks?: Hono;
  /** Shared rate-limit counters (`serve.rateLimit.redis`, see rate-store.ts); default: in this process. */
  limits?: { ip: RateLimitStore; identifier: RateLimitStore; dashboard?: RateLimitStore };
}

type Env = { Bindings: Partial<HttpBindings>; Variables: RawBodyVariables };

const MAX_IDENTIFIER = 320;
const MAX_PASSWORD = 1024;
const MAX_TOKEN = 16 * 1024;

export const ROUTES = {
  verify: ["POST /hooks/verify"],
  kratos: ["POST /hooks/kratos/password-migration"],
  prelude: ["POST /hooks/prelude/session-validation"],
  auth0: ["POST /hooks/auth0/login", "POST /hooks/auth0/get-user"],
} as const;

/** Route lines for the enabled routes (printed by `authmigrate serve`). */
export function enabledRoutes(serve: ServeConfig): string[] {
  const out = ["GET /healthz"];
  for (const k of Object.keys(ROUTES) as (keyof typeof ROUTES)[]) if (serve.routes[k]) out.push(...ROUTES[k]);
  if (serve.dashboard) out.push(...DASHBOARD_ROUTES);
  if (serve.webhooks) out.push(...Object.keys(serve.webhooks.providers).map((p) => `POST /webhooks/${p}`));
  return out;
}

class BadRequest extends Error {}

type Check =
  | { kind: "ok"; user: MigrationUser; lazy?: LazyOutcome }
  | { kind: "invalid" }
  | { kind: "locked"; retryAfter: number };

export function createServer(opts: ServerOptions): Hono<Env> {
  const { serve } = opts;
  const now = opts.now ?? Date.now;
  const log: Logger = opts.log ?? (() => {});
  const ipLimit = opts.limits?.ip ?? memoryStore(serve.rateLimit.perIp, now);
  const idLimit = opts.limits?.identifier ?? memoryStore(serve.rateLimit.perIdentifier, now);
  const app = new Hono<Env>();

  const json = (c: Context, status: number, body: unknown, headers: Record<string, string> = {}): Response => {
    for (const [k, v] of Object.entries(headers)) c.header(k, v);
    c.header("cache-control", "no-store");
    return c.json(body as object, status as 200);
  };
  const invalid = (c: Context, status = 401): Response => json(c, status, { error: "invalid_credentials", message: "invalid credentials" });
  const tooMany = (c: Context, retryAfter: number): Response =>
    json(c, 429, { error: "too_many_attempts", message: "too many attempts; try again later" }, { "retry-after": String(retryAfter) });

  const clientIp = (c: Context<Env>): string => {
    if (serve.rateLimit.trustProxy) {
      const xff = c.req.header("x-forwarded-for")?.split(",")[0]?.trim();
      if (xff) return xff;
    }
    return c.env?.incoming?.socket?.remoteAddress ?? "unknown";
  };

  app.onError((err, c) => {
    if (err instanceof HTTPException) return err.getResponse();
    if (err instanceof BadRequest) return json(c, 400, { error: "invalid_request", message: err.message });
    if (isLegacyUnavailable(err)) {
      log({ event: "legacy_unavailable", route: c.req.path, code: err.code });
      return json(c, 503, { error: "legacy_unavailable", message: "the legacy system is unavailable; try again later" }, { "retry-after": "5" });
    }
    log({ event: "error", route: c.req.path, code: (err as { code?: string }).code ?? err.name });
    return json(c, 500, { error: "internal_error" });
  });
  app.notFound((c) => json(c, 404, { error: "not_found" }));

  app.get("/healthz", (c) => json(c, 200, { status: "ok", routes: enabledRoutes(serve) }));
  if (opts.dashboard) mountDashboard(app, opts.dashboard, opts.limits?.dashboard);

  // --- /hooks/* guards, in order: size, time, per-IP limit, shared secret / signature -------------
  app.use("/hooks/*", rawBodyLimit(serve.bodyLimitBytes, (c) => json(c, 413, { error: "payload_too_large" })));
  app.use(
    "/hooks/*",
    timeout(serve.timeoutMs, (c) => new HTTPException(504, { res: new Response(JSON.stringify({ error: "timeout" }), { status: 504, headers: { "content-type": "application/json" } }) , message: `timeout on ${c.req.path}` })),
  );
  const ipGuard: MiddlewareHandler<Env> = async (c, next) => {
    const ip = clientIp(c);
    const wait = (await ipLimit.retryAfter(ip)) || (await ipLimit.hit(ip));
    if (wait) {
      log({ event: "rate_limited", route: c.req.path, outcome: "ip_locked", status: 429 });
      return tooMany(c, wait);
    }
    await next();
  };
  app.use("/hooks/*", ipGuard);
  const authGuard: MiddlewareHandler<Env> = async (c, next) => {
    let ok = false;
    const authz = c.req.header("authorization");
    if (!ok && serve.auth.bearer && authz) ok = safeEqual(authz, `Bearer ${serve.secret}`);
    const apiKey = serve.auth.apiKeyHeader ? c.req.header(serve.auth.apiKeyHeader) : undefined;
    if (!ok && apiKey !== undefined) ok = safeEqual(apiKey, serve.secret);
    const sig = c.req.header(SIGNATURE_HEADER);
    let why = "missing_credentials";
    if (!ok && serve.auth.hmac && sig) {
      const res = checkSignature(serve.secret, sig, rawBody(c), serve.auth.maxSkewSec, now());
      ok = res === "ok";
      why = `signature_${res}`;
    } else if (authz || apiKey !== undefined) why = "bad_secret";
    if (!ok) {
      log({ event: "unauthorized", route: c.req.path, outcome: why, status: 401 });
      return json(c, 401, { error: "unauthorized" });
    }
    await next();
  };
  app.use("/hooks/*", authGuard);

  // --- helpers -------------------------------------------------------------------------------------
  const body = async (c: Context): Promise<Record<string, unknown>> => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(rawBody(c));
    } catch {
      throw new BadRequest("body must be JSON");
    }
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new BadRequest("body must be a JSON object");
    return parsed as Record<string, unknown>;
  };
  const str = (v: unknown, name: string, max: number): string => {
    if (typeof v !== "string" || v.length === 0) throw new BadRequest(`${name} is required`);
    if (v.length > max) throw new BadRequest(`${name} is too long`);
    return v;
  };
  const credentials = async (c: Context): Promise<{ identifier: string; password: string }> => {
    const b = await body(c);
    const identifier = str(b.identifier ?? b.username ?? b.email, "identifier", MAX_IDENTIFIER);
    const password = str(b.password, "password", MAX_PASSWORD);
    return { identifier, password };
  };

  /** The shared password path: lockout, legacy check, ledger/JIT. */
  const check = async (route: string, identifier: string, password: string, lazyHint?: (u: MigrationUser) => string | undefined): Promise<Check> => {
    const started = now();
    const key = identifierKey(identifier);
    const ref = logRef(identifier);
    const locked = await idLimit.retryAfter(key);
    if (locked) {
      log({ event: "verify", route, ref, outcome: "locked", status: 429 });
      return { kind: "locked", retryAfter: locked };
    }
    if (!opts.verifier) throw new Error("no legacy verifier configured");
    let result;
    try {
      result = await opts.verifier.verify(identifier, password);
    } catch (e) {
      log({ event: "verify", route, ref, outcome: "legacy_unavailable", status: 503, ms: now() - started });
      throw e;
    }
    if (result.status !== "ok") {
      const lock = await idLimit.hit(key);
      log({ event: "verify", route, ref, outcome: result.status, status: lock ? 429 : 401, ms: now() - started, ...(lock ? { lockedForSec: lock } : {}) });
      return lock ? { kind: "locked", retryAfter: lock } : { kind: "invalid" };
    }
    await idLimit.reset(key);
    let lazy: LazyOutcome | undefined;
    if (opts.recorder) {
      const hint = lazyHint?.(result.user);
      try {
        lazy = await opts.recorder.migrate(result.user, { password, ...(hint ? { targetIdHint: hint } : {}) });
      } catch (e) {
        // The legacy check passed: the login still succeeds; the bulk run picks the user up later.
        log({ event: "ledger_error", route, externalId: result.user.externalId, code: (e as { code?: string }).code ?? (e as Error).name });
      }
    }
    log({
      event: "verify", route, ref, externalId: result.user.externalId, outcome: "ok", status: 200, ms: now() - started,
      ...(lazy ? { ledger: lazy.status, jitWrote: lazy.wrote } : {}),
      ...(lazy?.error ? { jitError: lazy.error.slice(0, 120) } : {}),
    });
    return { kind: "ok", user: result.user, ...(lazy ? { lazy } : {}) };
  };

  const userPayload = (u: MigrationUser, lazy?: LazyOutcome) => ({
    externalId: u.externalId,
    ...(u.email ? { email: u.email } : {}),
    emailVerified: u.emailVerified,
    ...(u.username ? { username: u.username } : {}),
    phones: u.phones,
    profile: u.profile,
    status: u.status,
    ...(lazy ? { migration: { status: lazy.status, targetId: lazy.targetId, wrote: lazy.wrote } } : {}),
  });

  // --- routes ----------------------------------------------------------------------------------------
  if (serve.routes.verify) {
    app.post("/hooks/verify", async (c) => {
      const { identifier, password } = await credentials(c);
      const r = await check("verify", identifier, password);
      if (r.kind === "locked") return tooMany(c, r.retryAfter);
      if (r.kind === "invalid") return invalid(c);
      return json(c, 200, { user: userPayload(r.user, r.lazy) });
    });
  }

  if (serve.routes.kratos) {
    // Ory Kratos password migration webhook: 200 {"status":"password_match"} or 403; anything else = hook error.
    app.post("/hooks/kratos/password-migration", async (c) => {
      const { identifier, password } = await credentials(c);
      const r = await check("kratos", identifier, password);
      if (r.kind === "locked") return tooMany(c, r.retryAfter);
      if (r.kind === "invalid") return invalid(c, 403);
      return json(c, 200, { status: "password_match" });
    });
  }

  if (serve.routes.auth0) {
    const prefix = serve.auth0.userIdPrefix;
    const hint = opts.targetType === "auth0" ? (u: MigrationUser) => `auth0|${prefix}${u.externalId}` : undefined;
    app.post("/hooks/auth0/login", async (c) => {
      const { identifier, password } = await credentials(c);
      const r = await check("auth0.login", identifier, password, hint);
      if (r.kind === "locked") return tooMany(c, r.retryAfter);
      if (r.kind === "invalid") return invalid(c);
      return json(c, 200, { profile: auth0Profile(r.user, prefix) });
    });
    app.post("/hooks/auth0/get-user", async (c) => {
      const b = await body(c);
      const email = str(b.email ?? b.identifier, "email", MAX_IDENTIFIER);
      if (!opts.resolver) throw new Error("no legacy resolver configured");
      const user = await opts.resolver.findUser("identifier", email);
      log({ event: "get_user", route: "auth0.get-user", ref: logRef(email), outcome: user ? "found" : "not_found", status: user ? 200 : 404 });
      // Auth0's Get User contract needs "not found" (callback(null)); the route is secret-protected.
      if (!user) return json(c, 404, { error: "not_found" });
      return json(c, 200, { profile: auth0Profile(user, prefix) });
    });
  }

  if (serve.routes.prelude) {
    const p = serve.prelude;
    if (!p) throw new Error("serve.routes.prelude needs a serve.prelude block (issuer, jwksUri, audience)");
    const keys = opts.preludeKeys ?? createRemoteJWKSet(new URL(p.jwksUri), { timeoutDuration: Math.min(3000, serve.timeoutMs) });
    // ASSUMED contract (Prelude does not publish the schema): request {"token"}, response {"user": {external_id, identifiers, profile, scopes}}.
    app.post("/hooks/prelude/session-validation", async (c) => {
      const started = now();
      const b = await body(c);
      const token = str(b.token, "token", MAX_TOKEN);
      let claims: Record<string, unknown>;
      try {
        ({ payload: claims } = await jwtVerify(token, keys, { issuer: p.issuer, audience: p.audience, algorithms: p.algorithms, currentDate: new Date(now()) }));
      } catch (e) {
        const code = (e as { code?: string }).code ?? "ERR_JWT_INVALID";
        if (code === "ERR_JWKS_TIMEOUT" || (code === "ERR_JOSE_GENERIC" && /fetch|Expected 200/i.test((e as Error).message))) {
          log({ event: "prelude", route: "prelude", outcome: "jwks_unavailable", status: 503, ms: now() - started });
          return json(c, 503, { error: "legacy_unavailable", message: "the legacy key set is unavailable; try again later" }, { "retry-after": "5" });
        }
        log({ event: "prelude", route: "prelude", outcome: "invalid_token", code, status: 401, ms: now() - started });
        return json(c, 401, { error: "invalid_token" });
      }
      const v = claims[p.claim];
      const user = typeof v === "string" || typeof v === "number" ? await opts.resolver?.findUser(p.lookupBy, String(v)) : undefined;
      if (!user) {
        log({ event: "prelude", route: "prelude", outcome: "unknown_user", status: 401, ms: now() - started });
        return json(c, 401, { error: "invalid_token" });
      }
      let lazy: LazyOutcome | undefined;
      try {
        lazy = await opts.recorder?.migrate(user);
      } catch (e) {
        log({ event: "ledger_error", route: "prelude", externalId: user.externalId, code: (e as { code?: string }).code ?? (e as Error).name });
      }
      log({ event: "prelude", route: "prelude", externalId: user.externalId, outcome: "ok", status: 200, ms: now() - started, ...(lazy ? { ledger: lazy.status } : {}) });
      return json(c, 200, { user: preludeUser(user) });
    });
  }

  if (opts.webhooks) app.route("/", opts.webhooks);

  return app;
}

/** The identity Prelude provisions: external_id = our internal (legacy) id, as the backfill uses. */
export function preludeUser(u: MigrationUser): Record<string, unknown> {
  const identifiers: { type: string; value: string }[] = [];
  if (u.email) identifiers.push({ type: "email_address", value: u.email });
  for (const e of u.extraEmails) identifiers.push({ type: "email_address", value: e });
  for (const ph of u.phones) identifiers.push({ type: "phone_number", value: ph });
  for (const i of u.identities) identifiers.push({ type: "oauth", value: `${i.provider}:${i.providerUserId}` });
  const profile: Record<string, string> = {};
  if (u.profile.givenName) profile.first_name = u.profile.givenName;
  if (u.profile.familyName) profile.last_name = u.profile.familyName;
  if (u.profile.picture) profile.picture = u.profile.picture;
  if (u.profile.locale) profile.locale = u.profile.locale;
  return { external_id: u.externalId, identifiers, profile, scopes: [] };
}
