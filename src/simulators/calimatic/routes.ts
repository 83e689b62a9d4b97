import { timingSafeEqual } from "node:crypto";
import { Hono, type Context, type MiddlewareHandler } from "hono";
import { CalimaticStore, SimError } from "./store.js";

/**
 * HTTP surface of the Calimatic simulator (seed 000 + the extensions documented in
 * docs/targets/calimatic.md). Envelopes: `{success:true, data}` / `{success:false, error:{code, message}}`.
 */

export interface CalimaticCredentials {
  /** `x-api-key` for `/organizations`. */
  apiKey: string;
  /** `x-client-id` / `x-client-secret` for `/users/*` and `/tools/*`. */
  clientId: string;
  clientSecret: string;
  /** Admin-portal session cookie accepted by `/tools/migration-status` (seed: `Cookie: your-session-cookie`). */
  sessionCookie: string;
}

export const DEFAULT_CREDENTIALS: CalimaticCredentials = {
  apiKey: "cak_test",
  clientId: "cca_test",
  clientSecret: "ccas_test",
  sessionCookie: "calimatic_session=cas_admin_test",
};

const SESSION_COOKIE = "calimatic_session";

function same(a: string | undefined, b: string): boolean {
  if (a === undefined) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function fail(c: Context, e: SimError): Response {
  return c.json({ success: false, error: { code: e.code, message: e.message }, ...(e.data ? { data: e.data } : {}) }, e.status);
}

async function jsonBody(c: Context): Promise<unknown> {
  try {
    return await c.req.json();
  } catch {
    throw new SimError(400, "INVALID_JSON", "Request body must be JSON");
  }
}

export function calimaticRoutes(store: CalimaticStore, creds: CalimaticCredentials, middleware: MiddlewareHandler[] = []): Hono {
  const app = new Hono();
  for (const m of middleware) app.use("*", m);

  app.onError((err, c) => {
    if (err instanceof SimError) return fail(c, err);
    return c.json({ success: false, error: { code: "INTERNAL_ERROR", message: "Internal server error" } }, 500);
  });
  app.notFound((c) => c.json({ success: false, error: { code: "NOT_FOUND", message: `No route for ${c.req.method} ${c.req.path}` } }, 404));

  const apiKey: MiddlewareHandler = async (c, next) => {
    if (!same(c.req.header("x-api-key"), creds.apiKey)) return fail(c, new SimError(401, "UNAUTHORIZED", "Invalid or missing API key"));
    await next();
  };
  const client: MiddlewareHandler = async (c, next) => {
    if (!same(c.req.header("x-client-id"), creds.clientId) || !same(c.req.header("x-client-secret"), creds.clientSecret)) {
      return fail(c, new SimError(401, "UNAUTHORIZED", "Invalid client credentials"));
    }
    await next();
  };
  /** Migration status: the seed's admin session cookie, a signed-in org admin's session, or the client credentials. */
  const adminOrClient: MiddlewareHandler = async (c, next) => {
    const cookie = c.req.header("cookie") ?? "";
    const cookies = cookie.split(";").map((s) => s.trim());
    if (cookies.some((k) => same(k, creds.sessionCookie))) return next();
    const session = cookies.find((k) => k.startsWith(`${SESSION_COOKIE}=`))?.slice(SESSION_COOKIE.length + 1);
    const user = session ? store.users.get(store.sessions.get(session)?.userId ?? "") : undefined;
    if (user && (user.role === "org_owner" || user.role === "org_admin")) return next();
    return client(c, next);
  };

  const v1 = new Hono();

  v1.post("/organizations", apiKey, async (c) => c.json({ success: true, data: store.createOrg(await jsonBody(c)) }, 201));
  v1.get("/organizations", apiKey, (c) => {
    const slug = c.req.query("slug");
    const orgs = [...store.orgs.values()].filter((o) => slug === undefined || o.slug === slug.trim().toLowerCase());
    return c.json({ success: true, data: { organizations: orgs, total: orgs.length } });
  });
  v1.get("/organizations/:id", apiKey, (c) => {
    const org = store.orgs.get(c.req.param("id"));
    return org ? c.json({ success: true, data: org }) : fail(c, new SimError(404, "ORGANIZATION_NOT_FOUND", "Organization not found"));
  });

  v1.post("/users/import", client, async (c) => c.json({ success: true, data: await store.importUsers(await jsonBody(c)) }));
  v1.get("/users/resolve", client, (c) => {
    const email = c.req.query("email");
    if (!email) return fail(c, new SimError(400, "VALIDATION_ERROR", "email is required"));
    const user = store.findUserByEmail(email);
    return user ? c.json({ success: true, data: store.view(user) }) : fail(c, new SimError(404, "USER_NOT_FOUND", "User not found"));
  });
  // Extension: list by externalId / email (idempotency lookups).
  v1.get("/users", client, (c) => {
    const externalId = c.req.query("externalId");
    const email = c.req.query("email");
    let users = [...store.users.values()];
    if (externalId !== undefined) users = users.filter((u) => u.externalId === externalId);
    if (email !== undefined) users = users.filter((u) => u.email === email.trim().toLowerCase());
    const limit = Math.min(Math.max(Number(c.req.query("limit") ?? 100) || 100, 1), 500);
    return c.json({ success: true, data: { users: users.slice(0, limit).map((u) => store.view(u)), total: users.length } });
  });
  // Extension: read one user by id (verify).
  v1.get("/users/:id", client, (c) => {
    const user = store.users.get(c.req.param("id"));
    return user ? c.json({ success: true, data: store.view(user) }) : fail(c, new SimError(404, "USER_NOT_FOUND", "User not found"));
  });
  // Extension: delete (rollback).
  v1.delete("/users/:id", client, (c) => {
    const id = c.req.param("id");
    return store.deleteUser(id) ? c.json({ success: true, data: { id, deleted: true } }) : fail(c, new SimError(404, "USER_NOT_FOUND", "User not found"));
  });
  v1.post("/users/:id/reset-password", client, (c) => {
    const mail = store.resetPassword(c.req.param("id"));
    return c.json({ success: true, data: { userId: mail.userId, message: "Password reset email sent" } });
  });

  v1.get("/tools/migration-status", adminOrClient, (c) => c.json({ success: true, data: store.migrationStatus() }));

  v1.post("/auth/sign-in", async (c) => {
    const body = (await jsonBody(c)) as { email?: unknown; password?: unknown } | null;
    const { session, user } = await store.signIn(body?.email, body?.password);
    c.header("set-cookie", `${SESSION_COOKIE}=${session.token}; Path=/; HttpOnly; SameSite=Lax`);
    return c.json({
      success: true,
      data: { token: session.token, mustChangePassword: user.mustChangePassword, user: { id: user.id, email: user.email, organizationId: user.organizationId, role: user.role } },
    });
  });

  app.route("/api/v1", v1);
  return app;
}
