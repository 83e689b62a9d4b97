/**
 * Auth0 simulator (targets.md §5): client-credentials Management API tokens, bulk user import jobs
 * (multipart, ≤500 KB files, ≤2 concurrent jobs, async completion, `/errors`), the user lookups
 * authmigrate needs (users-by-email, users/{id}, search v3 subset, delete) and a password-realm
 * sign-in that verifies imported bcrypt / custom_password_hash values. Rate limiting answers with
 * `x-ratelimit-limit/remaining/reset` on every Management API response. See docs/targets/auth0.md.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { HttpBindings } from "@hono/node-server";
import { Hono, type Context } from "hono";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import type { RunningSimulator, SimulatorDef, SimulatorStartOptions } from "../index.js";
import { faults, rateLimit, serveSimulator, statusCounter, type FaultMiddleware, type RateLimitMiddleware } from "../kit.js";
import { Auth0Store, IMPORT_FILE_MAX, SimError, type SimUser } from "./store.js";

export { Auth0Store, SimError, validateUser, IMPORT_FILE_MAX, MAX_CONCURRENT_JOBS, RESERVED_APP_METADATA } from "./store.js";
export type { SimUser, ImportJob, JobErrorRow, Connection } from "./store.js";
export { checkPassword, validateCustomHash, storedOf } from "./passwords.js";

export interface Auth0SimulatorOptions extends SimulatorStartOptions {
  /** Delay of each job phase (pending → processing → completed); default 20 ms. */
  jobDelayMs?: number;
  /** Management API token lifetime (seconds); default 86400. */
  tokenTtlSec?: number;
  /** Bucket size of the Management API rate limit (default: the rate, i.e. one second's worth). */
  rateLimitBurst?: number;
  /** Accept an NDJSON `users` file too (real Auth0 documents a JSON array only); default false. */
  acceptNdjson?: boolean;
  maxConcurrentJobs?: number;
}

export interface RunningAuth0 extends RunningSimulator {
  store: Auth0Store;
  clientId: string;
  clientSecret: string;
  connectionId: string;
  connectionName: string;
  audience: string;
  credentials: { clientId: string; clientSecret: string; connectionId: string };
  faults: FaultMiddleware;
  rateLimit: RateLimitMiddleware;
  stats: ReturnType<typeof statusCounter>;
  /** Expire every issued Management API token (tests of token refresh). */
  expireTokens(): void;
}

type Env = { Bindings: HttpBindings };

const b64url = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");

export function auth0ErrorBody(status: number, errorCode: string, message: string): Record<string, unknown> {
  return new SimError(status, errorCode, message).body();
}

export async function startAuth0(opts: Auth0SimulatorOptions = {}): Promise<RunningAuth0> {
  const clientId = opts.credentials?.clientId ?? "sim-auth0-client-id";
  const clientSecret = opts.credentials?.clientSecret ?? "sim-auth0-client-secret-" + "x".repeat(16);
  const store = new Auth0Store({
    ...(opts.jobDelayMs !== undefined ? { jobDelayMs: opts.jobDelayMs } : {}),
    ...(opts.maxConcurrentJobs !== undefined ? { maxConcurrentJobs: opts.maxConcurrentJobs } : {}),
  });
  if (opts.credentials?.connectionId) store.connections[0]!.id = opts.credentials.connectionId;
  const signingKey = randomBytes(32);
  // id_tokens are RS256 with the keys at /.well-known/jwks.json, as a real tenant's are.
  const idKeys = await generateKeyPair("RS256", { extractable: true });
  const idJwk = { ...(await exportJWK(idKeys.publicKey)), kid: "sim-rs256", alg: "RS256", use: "sig" };
  const ttl = opts.tokenTtlSec ?? 86_400;
  let generation = 0;
  let url = "";

  const sign = (payload: Record<string, unknown>): string => {
    const head = `${b64url({ alg: "HS256", typ: "JWT", kid: "sim" })}.${b64url(payload)}`;
    return `${head}.${createHmac("sha256", signingKey).update(head).digest("base64url")}`;
  };
  const verifyToken = (token: string): "ok" | "invalid" | "expired" => {
    const [h, p, s] = token.split(".");
    if (!h || !p || !s) return "invalid";
    const expected = createHmac("sha256", signingKey).update(`${h}.${p}`).digest();
    const got = Buffer.from(s, "base64url");
    if (got.length !== expected.length || !timingSafeEqual(got, expected)) return "invalid";
    const claims = JSON.parse(Buffer.from(p, "base64url").toString("utf8")) as { exp: number; iat: number; aud: string; gen?: number };
    if (claims.aud !== `${url}/api/v2/`) return "invalid";
    if (claims.exp * 1000 <= Date.now() || claims.gen !== generation) return "expired";
    return "ok";
  };
  const fail = (c: Context, e: SimError) => c.json(e.body(), e.status as 400);
  const oauthError = (c: Context, status: number, error: string, description: string) => c.json({ error, error_description: description }, status as 400);

  const app = new Hono<Env>();
  const stats = statusCounter();
  const isApi = (c: Context) => c.req.path.startsWith("/api/v2/") || c.req.path === "/oauth/token";
  const f = faults({
    ...(opts.faults ?? {}),
    seed: opts.faults?.seed ?? opts.seed ?? 1,
    match: opts.faults?.match ?? isApi,
    body: opts.faults?.body ?? ((s) => (s === 429 ? auth0ErrorBody(429, "too_many_requests", "Global limit has been reached") : auth0ErrorBody(s, "internal_error", `Simulated failure (${s})`))),
  });
  // Management API responses always carry x-ratelimit-* (unlimited runs get a generous bucket).
  const limiter = rateLimit({
    requestsPerSecond: opts.rateLimit ?? 1000,
    ...(opts.rateLimitBurst !== undefined ? { burst: opts.rateLimitBurst } : {}),
    style: "x-ratelimit",
    body: () => auth0ErrorBody(429, "too_many_requests", "Global limit has been reached"),
  });
  app.use("*", stats, f);
  app.use("/api/v2/*", (c, next) => limiter(c, next));

  // ---------------------------------------------------------------- /oauth/token
  app.post("/oauth/token", async (c) => {
    const type = c.req.header("content-type") ?? "";
    let body: Record<string, unknown>;
    try {
      body = type.includes("application/x-www-form-urlencoded") ? Object.fromEntries(new URLSearchParams(await c.req.text())) : ((await c.req.json()) as Record<string, unknown>);
    } catch {
      return oauthError(c, 400, "invalid_request", "Invalid request body");
    }
    if (body.client_id !== clientId || body.client_secret !== clientSecret) return oauthError(c, 401, "access_denied", "Unauthorized");
    const grant = body.grant_type;
    const now = Math.floor(Date.now() / 1000);
    if (grant === "client_credentials") {
      if (body.audience !== `${url}/api/v2/`) return oauthError(c, 403, "access_denied", `Service not enabled within domain: ${String(body.audience)}`);
      const access_token = sign({ iss: `${url}/`, sub: `${clientId}@clients`, aud: `${url}/api/v2/`, iat: now, exp: now + ttl, scope: "read:users create:users delete:users", gty: "client-credentials", gen: generation, jti: randomBytes(8).toString("hex") });
      return c.json({ access_token, token_type: "Bearer", expires_in: ttl, scope: "read:users create:users delete:users" });
    }
    if (grant === "password" || grant === "http://auth0.com/oauth/grant-type/password-realm") {
      const realm = grant === "password" ? store.defaultConnection.name : String(body.realm ?? "");
      if (!store.connections.some((x) => x.name === realm)) return oauthError(c, 400, "invalid_request", "Connection does not exist");
      if (typeof body.username !== "string" || typeof body.password !== "string") return oauthError(c, 400, "invalid_request", "Missing username or password");
      const u = await store.signIn(body.username, body.password, realm);
      if (u === "blocked") return oauthError(c, 401, "unauthorized", "user is blocked");
      if (!u) return oauthError(c, 403, "invalid_grant", "Wrong email or password.");
      // Claims as a tenant with the seed-004 "metadata rule" emits them (namespaced metadata objects).
      const idt = await new SignJWT({
        sub: u.user_id,
        email: u.email,
        email_verified: u.email_verified,
        name: u.name,
        nickname: u.nickname,
        ...(u.given_name ? { given_name: u.given_name } : {}),
        ...(u.family_name ? { family_name: u.family_name } : {}),
        "https://migrationapp/user_metadata": u.user_metadata,
        "https://migrationapp/app_metadata": u.app_metadata,
      })
        .setProtectedHeader({ alg: "RS256", kid: idJwk.kid, typ: "JWT" })
        .setIssuer(`${url}/`)
        .setAudience(clientId)
        .setIssuedAt(now)
        .setExpirationTime(now + 36_000)
        .sign(idKeys.privateKey);
      return c.json({ access_token: randomBytes(16).toString("hex"), id_token: idt, token_type: "Bearer", expires_in: 86_400, scope: String(body.scope ?? "openid") });
    }
    return oauthError(c, 403, "unauthorized_client", `Grant type '${String(grant)}' not allowed for the client.`);
  });

  app.get("/.well-known/openid-configuration", (c) =>
    c.json({ issuer: `${url}/`, token_endpoint: `${url}/oauth/token`, jwks_uri: `${url}/.well-known/jwks.json`, id_token_signing_alg_values_supported: ["RS256"], grant_types_supported: ["password", "http://auth0.com/oauth/grant-type/password-realm", "client_credentials"] }),
  );
  app.get("/.well-known/jwks.json", (c) => c.json({ keys: [idJwk] }));

  // ---------------------------------------------------------------- Management API auth
  app.use("/api/v2/*", async (c, next) => {
    const m = /^Bearer (.+)$/.exec(c.req.header("authorization") ?? "");
    const v = m ? verifyToken(m[1]!) : "invalid";
    if (v !== "ok") return c.json({ statusCode: 401, error: "Unauthorized", message: v === "expired" ? "Expired token" : "Invalid token", attributes: { error: v === "expired" ? "Expired token" : "Invalid token" } }, 401);
    return next();
  });

  // ---------------------------------------------------------------- bulk import
  app.post("/api/v2/jobs/users-imports", async (c) => {
    let form: Record<string, unknown>;
    try {
      form = (await c.req.parseBody()) as Record<string, unknown>;
    } catch {
      return fail(c, new SimError(400, "invalid_body", "Expected a multipart/form-data body"));
    }
    const file = form.users;
    if (!(file instanceof Blob)) return fail(c, new SimError(400, "invalid_body", "Missing required property: users"));
    if (file.size > IMPORT_FILE_MAX) return fail(c, new SimError(413, "payload_too_large", `The users file is ${file.size} bytes; the limit is 500 KB`));
    const connection = typeof form.connection_id === "string" ? store.connectionById(form.connection_id) : undefined;
    if (typeof form.connection_id !== "string") return fail(c, new SimError(400, "invalid_body", "Missing required property: connection_id"));
    if (!connection) return fail(c, new SimError(400, "invalid_body", `connection_id ${form.connection_id} does not exist (CONNECTION_NOT_FOUND)`));
    const text = await file.text();
    let users: unknown;
    try {
      users = JSON.parse(text);
    } catch {
      if (opts.acceptNdjson) {
        try {
          users = text.split(/\r?\n/).filter((l) => l.trim()).map((l) => JSON.parse(l) as unknown);
        } catch {
          return fail(c, new SimError(400, "invalid_body", "Users file must be a valid JSON array (or NDJSON)"));
        }
      } else return fail(c, new SimError(400, "invalid_body", "Users file must be a valid JSON array"));
    }
    if (!Array.isArray(users)) return fail(c, new SimError(400, "invalid_body", "Users file must be a JSON array"));
    if (users.length === 0) return fail(c, new SimError(400, "invalid_body", "Users file must contain at least one user"));
    const bool = (v: unknown, d: boolean) => (v === undefined ? d : v === "true" || v === true);
    try {
      const job = store.createJob({
        users,
        connection,
        upsert: bool(form.upsert, false),
        sendCompletionEmail: bool(form.send_completion_email, true),
        ...(typeof form.external_id === "string" ? { externalId: form.external_id } : {}),
      });
      return c.json(store.jobView(job), 201);
    } catch (e) {
      if (e instanceof SimError) return fail(c, e);
      throw e;
    }
  });

  app.get("/api/v2/jobs/:id/errors", (c) => {
    const job = store.jobs.get(c.req.param("id"));
    if (!job) return fail(c, new SimError(404, "inexistent_job", "The job does not exist."));
    if (job.status !== "completed" && job.status !== "failed") return c.json([]);
    if (!job.errors.length) return c.body(null, 204);
    return c.json(job.errors);
  });

  app.get("/api/v2/jobs/:id", (c) => {
    const job = store.jobs.get(c.req.param("id"));
    if (!job) return fail(c, new SimError(404, "inexistent_job", "The job does not exist."));
    return c.json(store.jobView(job));
  });

  // ---------------------------------------------------------------- users
  app.get("/api/v2/users-by-email", (c) => {
    const email = c.req.query("email");
    if (!email) return fail(c, new SimError(400, "invalid_query_string", "Query validation error: email is required"));
    return c.json(store.findByEmail(email).map((u) => store.view(u)));
  });

  app.get("/api/v2/users/:id", (c) => {
    const u = store.users.get(decodeURIComponent(c.req.param("id")));
    if (!u) return fail(c, new SimError(404, "inexistent_user", "The user does not exist."));
    return c.json(store.view(u));
  });

  app.delete("/api/v2/users/:id", (c) => {
    store.users.delete(decodeURIComponent(c.req.param("id")));
    return c.body(null, 204);
  });

  // Search v3 (subset): `field:"value"` / `field:value` terms joined by AND, dotted paths; paging + totals.
  app.get("/api/v2/users", (c) => {
    const q = c.req.query("q") ?? "";
    const engine = c.req.query("search_engine");
    if (q && engine && engine !== "v3") return fail(c, new SimError(400, "invalid_query_string", "Only search_engine=v3 is simulated"));
    const terms: [string, string][] = [];
    for (const part of q.split(/\s+AND\s+/).filter((p) => p.trim())) {
      const m = /^\s*([\w.]+):(?:"((?:[^"\\]|\\.)*)"|(\S+))\s*$/.exec(part);
      if (!m) return fail(c, new SimError(400, "invalid_query_string", `Unsupported query term: ${part}`));
      terms.push([m[1]!, (m[2] ?? m[3]!).replace(/\\(.)/g, "$1")]);
    }
    const get = (o: unknown, pathStr: string): unknown[] => {
      let cur: unknown[] = [o];
      for (const k of pathStr.split(".")) cur = cur.flatMap((x) => (Array.isArray(x) ? x.map((y) => (y as Record<string, unknown>)?.[k]) : [(x as Record<string, unknown> | undefined)?.[k]]));
      return cur.flatMap((x) => (Array.isArray(x) ? x : [x]));
    };
    const all = [...store.users.values()]
      .map((u) => store.view(u))
      .filter((v) => terms.every(([k, val]) => get(v, k).some((x) => x !== undefined && String(x).toLowerCase() === val.toLowerCase())))
      .sort((a, b) => String(a.created_at).localeCompare(String(b.created_at)) || String(a.user_id).localeCompare(String(b.user_id)));
    const perPage = Math.min(100, Number(c.req.query("per_page") ?? 50));
    const page = Number(c.req.query("page") ?? 0);
    const users = all.slice(page * perPage, page * perPage + perPage);
    if (c.req.query("include_totals") === "true") return c.json({ start: page * perPage, limit: perPage, length: users.length, total: all.length, users });
    return c.json(users);
  });

  app.notFound((c) => fail(c, new SimError(404, "not_found", "Not Found")));
  app.onError((e, c) => fail(c, new SimError(500, "internal_error", e.message || "internal error")));

  const served = await serveSimulator(app, { ...(opts.port !== undefined ? { port: opts.port } : {}) });
  url = served.url;
  const connection = store.defaultConnection;
  return {
    url,
    store,
    clientId,
    clientSecret,
    connectionId: connection.id,
    connectionName: connection.name,
    audience: `${url}/api/v2/`,
    credentials: { clientId, clientSecret, connectionId: connection.id },
    faults: f,
    rateLimit: limiter,
    stats,
    expireTokens() {
      generation++;
    },
    async close() {
      store.close();
      await served.close();
    },
  };
}

/** A user as the Management API shows it (tests). */
export type Auth0UserView = ReturnType<Auth0Store["view"]> & Partial<SimUser>;

export const auth0Simulator: SimulatorDef = {
  id: "auth0",
  description: "Auth0: client-credentials tokens, bulk user imports (multipart, ≤500 KB, 2 concurrent jobs, /errors), users-by-email, search v3 subset, password-realm sign-in, x-ratelimit-*",
  start: (opts) => startAuth0(opts),
};
