import { randomBytes } from "node:crypto";
import type { HttpBindings } from "@hono/node-server";
import { Hono, type Context, type MiddlewareHandler } from "hono";
import type { FaultMiddleware, RateLimitMiddleware } from "../kit.js";
import { SimError, type ListParams, type SimUser, type WorkosStore } from "./store.js";

/**
 * HTTP face of the WorkOS simulator: User Management, organizations, memberships, roles,
 * password reset and password authentication, shaped as in targets.md §3 (snake_case JSON,
 * `{message, code, errors[]}` errors, cursor lists, `X-Request-ID`, `Idempotency-Key` replay).
 */

export interface AppOptions {
  apiKey: string;
  clientId: string;
  faults: FaultMiddleware;
  /** Read and write buckets (AuthKit limits reads and writes separately). */
  limits: { reads: RateLimitMiddleware; writes: RateLimitMiddleware };
  /**
   * Adds `_simulator: { has_password, password_source }` to user objects — not part of WorkOS's
   * API, which never says whether a user has a password; lets verify check it against the simulator.
   */
  exposePasswordState: boolean;
  /** Called after a user is created / updated / deleted (signed webhooks, ../webhook-emitter.ts). */
  emit?: (event: "user.created" | "user.updated" | "user.deleted", user: SimUser) => void;
}

type Env = { Bindings: HttpBindings };
type Json = Record<string, unknown>;

function workosError(c: Context, e: SimError): Response {
  return c.json(e.body, e.status as 400);
}

async function jsonBody(c: Context): Promise<Json> {
  const text = await c.req.text();
  if (!text.trim()) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new SimError(400, { message: "The request body is not valid JSON.", code: "invalid_request_body" });
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new SimError(400, { message: "The request body must be a JSON object.", code: "invalid_request_body" });
  }
  return parsed as Json;
}

function listParams(c: Context): ListParams {
  const limit = c.req.query("limit");
  const order = c.req.query("order");
  const n = limit === undefined ? undefined : Number(limit);
  if (n !== undefined && (!Number.isInteger(n) || n < 1 || n > 100)) {
    throw new SimError(422, { message: "limit must be between 1 and 100.", code: "unprocessable_entity", errors: [{ code: "limit_invalid", field: "limit" }] });
  }
  if (order !== undefined && order !== "asc" && order !== "desc") {
    throw new SimError(422, { message: "order must be asc or desc.", code: "unprocessable_entity", errors: [{ code: "order_invalid", field: "order" }] });
  }
  const before = c.req.query("before");
  const after = c.req.query("after");
  return { ...(n !== undefined ? { limit: n } : {}), ...(order ? { order } : {}), ...(before ? { before } : {}), ...(after ? { after } : {}) };
}

/** `?x=a&x=b`, `?x[]=a` or `?x=a,b`. */
function multi(c: Context, name: string): string[] | undefined {
  const values = [...(c.req.queries(name) ?? []), ...(c.req.queries(`${name}[]`) ?? [])].flatMap((v) => v.split(",")).filter(Boolean);
  return values.length ? values : undefined;
}

export function buildApp(store: WorkosStore, opts: AppOptions): Hono<Env> {
  const app = new Hono<Env>();
  const userView = (u: SimUser): Json => {
    if (!opts.exposePasswordState) return u as unknown as Json;
    const p = store.passwords.get(u.id);
    return { ...u, _simulator: { has_password: !!p, password_source: p?.source ?? null } };
  };

  app.use(async (c, next) => {
    c.header("X-Request-ID", randomBytes(12).toString("hex"));
    await next();
  });
  app.use(opts.faults);
  const isWrite = (c: Context) => c.req.method !== "GET" && c.req.method !== "HEAD";
  const limiter: MiddlewareHandler = (c, next) => (isWrite(c) ? opts.limits.writes(c, next) : opts.limits.reads(c, next));
  app.use(limiter);

  // Authenticate takes client_id + client_secret in the body (the SDK puts the API key there).
  app.post("/user_management/authenticate", async (c) => {
    try {
      const body = await jsonBody(c);
      if (body.client_id !== opts.clientId || (body.client_secret !== opts.apiKey && c.req.header("authorization") !== `Bearer ${opts.apiKey}`)) {
        return c.json({ error: "invalid_client", error_description: "Invalid client ID or secret." }, 401);
      }
      if (body.grant_type !== "password") {
        return c.json({ error: "unsupported_grant_type", error_description: "Only the password grant is simulated." }, 400);
      }
      if (typeof body.email !== "string" || typeof body.password !== "string") {
        throw new SimError(422, { message: "email and password are required.", code: "unprocessable_entity" });
      }
      const user = await store.authenticatePassword(body.email, body.password);
      const memberships = [...store.memberships.values()].filter((m) => m.user_id === user.id);
      return c.json({
        user: userView(user),
        ...(memberships.length === 1 ? { organization_id: memberships[0]!.organization_id } : {}),
        access_token: `sim_at_${randomBytes(16).toString("hex")}`,
        refresh_token: `sim_rt_${randomBytes(16).toString("hex")}`,
        authentication_method: "Password",
      });
    } catch (e) {
      if (e instanceof SimError) return workosError(c, e);
      throw e;
    }
  });

  app.use(async (c, next) => {
    if (c.req.header("authorization") !== `Bearer ${opts.apiKey}`) {
      return c.json({ message: "Unauthorized", code: "unauthorized" }, 401);
    }
    await next();
  });

  // Idempotency-Key on POST: the same key replays the first answer (WorkOS honours the header; the SDK adds it).
  const replays = new Map<string, { status: number; body: string }>();
  app.use(async (c, next) => {
    const key = c.req.header("idempotency-key");
    if (c.req.method !== "POST" || !key) return next();
    const id = `${c.req.path}\u0000${key}`;
    const seen = replays.get(id);
    if (seen) {
      c.header("Idempotent-Replayed", "true");
      return c.body(seen.body, seen.status as 200, { "Content-Type": "application/json" });
    }
    await next();
    if (c.res.status < 500 && c.res.status !== 429) replays.set(id, { status: c.res.status, body: await c.res.clone().text() });
  });

  app.onError((e, c) => {
    if (e instanceof SimError) return workosError(c, e);
    return c.json({ message: "Internal server error (simulator)", code: "server_error" }, 500);
  });
  app.notFound((c) => c.json({ message: `Route ${c.req.method} ${c.req.path} not found.`, code: "not_found" }, 404));

  // ---------------------------------------------------------------- users
  app.post("/user_management/users", async (c) => {
    const u = await store.createUser(await jsonBody(c));
    opts.emit?.("user.created", u);
    return c.json(userView(u), 201);
  });
  app.get("/user_management/users", (c) => {
    const email = c.req.query("email");
    const org = c.req.query("organization_id");
    const page = store.listUsers({ ...listParams(c), ...(email !== undefined ? { email } : {}), ...(org ? { organization_id: org } : {}) });
    return c.json({ ...page, data: page.data.map(userView) });
  });
  app.get("/user_management/users/external_id/:externalId", (c) => {
    const u = store.userByExternalId(c.req.param("externalId"));
    if (!u) throw new SimError(404, { message: "User not found.", code: "entity_not_found" });
    return c.json(userView(u));
  });
  app.get("/user_management/users/:id", (c) => c.json(userView(store.getUser(c.req.param("id")))));
  app.put("/user_management/users/:id", async (c) => {
    const u = await store.updateUser(c.req.param("id"), await jsonBody(c));
    opts.emit?.("user.updated", u);
    return c.json(userView(u));
  });
  app.delete("/user_management/users/:id", (c) => {
    const gone = store.getUser(c.req.param("id"));
    store.deleteUser(c.req.param("id"));
    opts.emit?.("user.deleted", gone);
    return c.body(null, 202);
  });

  // ---------------------------------------------------------------- password reset
  const reset = async (c: Context) => {
    const entry = store.sendPasswordReset(await jsonBody(c));
    return c.json(
      {
        object: "password_reset",
        id: entry.id,
        user_id: entry.user_id,
        email: entry.email,
        password_reset_token: entry.token,
        password_reset_url: `https://auth.example.test/reset-password?token=${entry.token}`,
        expires_at: new Date(Date.now() + 3600_000).toISOString(),
        created_at: entry.created_at,
      },
      201,
    );
  };
  app.post("/user_management/password_reset", reset);
  app.post("/user_management/password_reset/send", reset);
  app.post("/user_management/password_reset/confirm", async (c) => {
    const body = await jsonBody(c);
    if (typeof body.token !== "string" || typeof body.new_password !== "string") {
      throw new SimError(422, { message: "token and new_password are required.", code: "unprocessable_entity" });
    }
    return c.json({ user: userView(await store.resetPassword(body.token, body.new_password)) });
  });

  // ---------------------------------------------------------------- organizations
  app.post("/organizations", async (c) => c.json(store.createOrg(await jsonBody(c)), 201));
  app.get("/organizations", (c) => {
    const domains = multi(c, "domains");
    return c.json(store.listOrgs({ ...listParams(c), ...(domains ? { domains } : {}) }));
  });
  app.get("/organizations/external_id/:externalId", (c) => {
    const o = store.orgByExternalId(c.req.param("externalId"));
    if (!o) throw new SimError(404, { message: "Organization not found.", code: "entity_not_found" });
    return c.json(o);
  });
  app.get("/organizations/:id", (c) => c.json(store.getOrg(c.req.param("id"))));
  app.put("/organizations/:id", async (c) => c.json(store.updateOrg(c.req.param("id"), await jsonBody(c))));
  app.delete("/organizations/:id", (c) => {
    store.deleteOrg(c.req.param("id"));
    return c.body(null, 202);
  });

  // ---------------------------------------------------------------- memberships
  app.post("/user_management/organization_memberships", async (c) => c.json(store.createMembership(await jsonBody(c)), 201));
  app.get("/user_management/organization_memberships", (c) => {
    const userId = c.req.query("user_id");
    const orgId = c.req.query("organization_id");
    const statuses = multi(c, "statuses");
    return c.json(
      store.listMemberships({ ...listParams(c), ...(userId ? { user_id: userId } : {}), ...(orgId ? { organization_id: orgId } : {}), ...(statuses ? { statuses } : {}) }),
    );
  });
  app.get("/user_management/organization_memberships/:id", (c) => c.json(store.getMembership(c.req.param("id"))));
  app.put("/user_management/organization_memberships/:id", async (c) => c.json(store.updateMembership(c.req.param("id"), await jsonBody(c))));
  app.delete("/user_management/organization_memberships/:id", (c) => {
    store.deleteMembership(c.req.param("id"));
    return c.body(null, 202);
  });

  // ---------------------------------------------------------------- roles
  app.get("/authorization/roles", (c) =>
    c.json({ object: "list", data: [...store.roles].map((slug) => ({ object: "role", slug, name: slug, type: "EnvironmentRole" })) }),
  );
  app.post("/authorization/roles", async (c) => c.json(store.createRole(await jsonBody(c)), 201));

  return app;
}
