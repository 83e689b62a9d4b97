import { timingSafeEqual } from "node:crypto";
import { Hono, type Context, type MiddlewareHandler } from "hono";
import { DEFAULT_ERROR_STATUSES, MAX_LIST_LIMIT, SimError, type ErrorStatuses, type PreludeStore } from "./store.js";

/**
 * HTTP face of the Prelude simulator: the Management API under `/v2/session/apps/{appID}`
 * (targets.md §4.1). Errors are `{code, message}` (ASSUMED, §4.3). Every route needs
 * `Authorization: Bearer <management key>`.
 */

export interface PreludeAppOptions {
  appId: string;
  apiKey: string;
  /** Kit middlewares (faults, rate limit, counter), in order. */
  middleware: MiddlewareHandler[];
  errorStatuses?: Partial<ErrorStatuses>;
  /** Called after a user change (signed webhooks, see ./index.ts). `user` is the API view after the change. */
  emit?: (type: "user.created" | "user.profile.updated" | "user.identifier.created" | "user.identifier.deleted" | "user.deleted", user: Record<string, unknown>) => void;
  /** Public keys served at `/.well-known/jwks.json` (webhook signatures, rsassa-pss). */
  jwks?: { keys: Record<string, unknown>[] };
}

function same(a: string | undefined, b: string): boolean {
  if (a === undefined) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

async function jsonBody(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (!text.trim()) return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new SimError("invalid", "InvalidRequest", "request body must be JSON");
  }
}

export function preludeApp(store: PreludeStore, opts: PreludeAppOptions): Hono {
  const statuses: ErrorStatuses = { ...DEFAULT_ERROR_STATUSES, ...opts.errorStatuses };
  const app = new Hono();
  for (const m of opts.middleware) app.use("*", m);

  const fail = (c: Context, e: SimError): Response => {
    const status = e.kind === "unauthenticated" ? 401 : statuses[e.kind];
    return c.json({ code: e.code, message: e.message }, status as 400);
  };
  app.onError((err, c) => (err instanceof SimError ? fail(c, err) : c.json({ code: "Internal", message: "internal error" }, 500)));
  app.notFound((c) => c.json({ code: "NotFound", message: `no route for ${c.req.method} ${c.req.path}` }, 404));

  if (opts.jwks) {
    const jwks = opts.jwks;
    app.get("/.well-known/jwks.json", (c) => c.json(jwks));
  }
  const emit = opts.emit ?? (() => {});

  const base = "/v2/session/apps/:appId";
  app.use(`${base}/*`, async (c, next) => {
    const auth = c.req.header("authorization") ?? "";
    const token = /^Bearer\s+(.+)$/i.exec(auth)?.[1]?.trim();
    if (!same(token, opts.apiKey)) return fail(c, new SimError("unauthenticated", "Unauthenticated", "invalid or missing management API key"));
    if (c.req.param("appId") !== opts.appId) return fail(c, new SimError("notFound", "NotFound", "application not found"));
    await next();
  });

  const view = (u: Parameters<PreludeStore["view"]>[0]) => store.view(u);

  // create-user (seed 003 step 3.5): 201 with the user (docs: `{id}`; the simulator returns the whole user).
  app.post(`${base}/users`, async (c) => {
    const user = store.createUser(await jsonBody(c));
    emit("user.created", view(user));
    return c.json(view(user), 201);
  });

  // list-users: `external_id`, `identifier_type` + `identifier_value`, `limit` (≤100), `cursor` (ASSUMED query names).
  app.get(`${base}/users`, (c) => {
    const q = c.req.query();
    const limit = q.limit === undefined ? undefined : Number(q.limit);
    if (limit !== undefined && !Number.isInteger(limit)) throw new SimError("invalid", "InvalidRequest", `limit must be an integer ≤ ${MAX_LIST_LIMIT}`);
    const page = store.list({
      ...(q.external_id !== undefined ? { external_id: q.external_id } : {}),
      ...(q.identifier_type !== undefined ? { identifier_type: q.identifier_type } : {}),
      ...(q.identifier_value !== undefined ? { identifier_value: q.identifier_value } : {}),
      ...(limit !== undefined ? { limit } : {}),
      ...(q.cursor ? { cursor: q.cursor } : {}),
    });
    return c.json({ users: page.users.map(view), next_cursor: page.next_cursor });
  });

  app.post(`${base}/users/batch_lookup`, async (c) => c.json({ users: store.batchLookup(await jsonBody(c)).map(view) }));

  app.get(`${base}/users/:userId`, (c) => c.json({ user: view(store.get(c.req.param("userId"))) }));

  // delete-user (seed 003 step 1): 204; NotFound when already gone.
  app.delete(`${base}/users/:userId`, (c) => {
    const gone = view(store.get(c.req.param("userId")));
    store.deleteUser(c.req.param("userId"));
    emit("user.deleted", gone);
    return c.body(null, 204);
  });

  app.put(`${base}/users/:userId/external_id`, async (c) => {
    store.setExternalId(c.req.param("userId"), await jsonBody(c));
    return c.body(null, 204);
  });

  app.patch(`${base}/users/:userId/profile`, async (c) => {
    const user = view(store.patchProfile(c.req.param("userId"), await jsonBody(c)));
    emit("user.profile.updated", user);
    return c.json({ user });
  });

  app.post(`${base}/users/:userId/identifiers`, async (c) => {
    const added = store.addIdentifier(c.req.param("userId"), await jsonBody(c));
    emit("user.identifier.created", view(store.get(c.req.param("userId"))));
    return c.json(added, 201);
  });

  app.delete(`${base}/users/:userId/identifiers`, async (c) => {
    store.deleteIdentifier(c.req.param("userId"), await jsonBody(c));
    emit("user.identifier.deleted", view(store.get(c.req.param("userId"))));
    return c.body(null, 204);
  });

  return app;
}
