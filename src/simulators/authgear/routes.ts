import { randomBytes } from "node:crypto";
import type { KeyObject } from "node:crypto";
import type { HttpBindings } from "@hono/node-server";
import { Hono, type Context } from "hono";
import { SignJWT, createLocalJWKSet, exportJWK, jwtVerify, type JSONWebKeySet } from "jose";
import { GraphQLError, parseOperation, project, resolveArgs } from "./graphql.js";
import { AuthgearStore, BODY_MAX_SIZE, IDENTIFIERS, apiError, userIdFromNode, userNodeId, type APIError, type Identifier, type SimUser } from "./store.js";

export interface AuthgearRoutesOptions {
  store: AuthgearStore;
  /** Project (app) id: the `aud` every Admin API JWT must carry. */
  appId: string;
  /** Admin API public keys by `kid` (the project's key set; the private halves stay with the caller). */
  adminKeys: Map<string, KeyObject>;
  /** Status of a rejected Admin API JWT: 401 (documented envelope, default) or 403 (what older servers answer). */
  unauthorizedStatus?: 401 | 403;
  /** OIDC signing key of the simulated project (access tokens from `createSession`). */
  oidcKey: { kid: string; privateKey: KeyObject; publicKey: KeyObject };
  /** `createSession` is disabled by default on Authgear Cloud (enabled by support). */
  createSessionEnabled?: boolean;
  /** Issuer / public URL, resolved once the server listens. */
  publicUrl: () => string;
  /** Called after an Admin API user change (signed webhooks, see ./index.ts). */
  emit?: (type: "user.profile.updated" | "user.deleted", user: SimUser) => void;
}

type Env = { Bindings: HttpBindings };

function errorBody(e: APIError): { error: APIError } {
  return { error: e };
}

function sendError(c: Context, e: APIError): Response {
  return c.json(errorBody(e), e.code as 400);
}

/** Admin API JWT check, as authgear-server's AuthorizationMiddleware: RS256, `kid` in the key set, `aud` = app id, `exp`/`iat`. */
async function checkAdminJwt(c: Context, o: AuthgearRoutesOptions, keySet: ReturnType<typeof createLocalJWKSet>): Promise<APIError | undefined> {
  const m = /^Bearer (.+)$/.exec(c.req.header("authorization") ?? "");
  const deny = apiError(o.unauthorizedStatus === 403 ? "Forbidden" : "Unauthorized", o.unauthorizedStatus === 403 ? "Forbidden" : "Unauthorized", "invalid Admin API JWT", o.unauthorizedStatus ?? 401);
  if (!m) return deny;
  try {
    await jwtVerify(m[1]!, keySet, { algorithms: ["RS256"], audience: o.appId, requiredClaims: ["exp", "iat"] });
    return undefined;
  } catch {
    return deny;
  }
}

export async function authgearApp(o: AuthgearRoutesOptions): Promise<Hono<Env>> {
  const { store } = o;
  const app = new Hono<Env>();
  const jwks: JSONWebKeySet = {
    keys: await Promise.all([...o.adminKeys].map(async ([kid, key]) => ({ ...(await exportJWK(key)), kid, alg: "RS256", use: "sig" }))),
  };
  const adminKeySet = createLocalJWKSet(jwks);
  const oidcJwk = { ...(await exportJWK(o.oidcKey.publicKey)), kid: o.oidcKey.kid, alg: "RS256", use: "sig" };

  // ---------------------------------------------------------------- Admin API auth
  app.use("/_api/admin/*", async (c, next) => {
    const denied = await checkAdminJwt(c, o, adminKeySet);
    if (denied) return sendError(c, denied);
    return next();
  });

  // ---------------------------------------------------------------- User Import API
  app.post("/_api/admin/users/import", async (c) => {
    const len = Number(c.req.header("content-length") ?? NaN);
    if (len > BODY_MAX_SIZE) return sendError(c, apiError("RequestEntityTooLarge", "RequestEntityTooLarge", "request entity too large", 413));
    const raw = Buffer.from(await c.req.arrayBuffer());
    if (raw.length > BODY_MAX_SIZE) return sendError(c, apiError("RequestEntityTooLarge", "RequestEntityTooLarge", "request entity too large", 413));
    let body: unknown;
    try {
      body = JSON.parse(raw.toString("utf8"));
    } catch {
      return sendError(c, apiError("BadRequest", "BadRequest", "failed to decode the request body", 400));
    }
    const causes: Record<string, unknown>[] = [];
    const b = (body ?? {}) as Record<string, unknown>;
    if (typeof body !== "object" || body === null || Array.isArray(body)) causes.push({ location: "", kind: "type" });
    else {
      for (const k of Object.keys(b)) if (!["upsert", "identifier", "records"].includes(k)) causes.push({ location: "", kind: "additionalProperties", details: { token: k } });
      if (!IDENTIFIERS.includes(b.identifier as Identifier)) causes.push({ location: "/identifier", kind: b.identifier === undefined ? "required" : "enum" });
      if (b.upsert !== undefined && typeof b.upsert !== "boolean") causes.push({ location: "/upsert", kind: "type" });
      if (!Array.isArray(b.records) || b.records.length === 0) causes.push({ location: "/records", kind: b.records === undefined ? "required" : "minItems" });
      else if (b.records.some((r) => !r || typeof r !== "object" || Array.isArray(r))) causes.push({ location: "/records", kind: "type" });
    }
    if (causes.length) return sendError(c, apiError("Invalid", "ValidationFailed", "invalid request body", 400, { causes }));
    const job = store.createJob(b.identifier as Identifier, b.upsert === true, b.records as unknown[]);
    return c.json({ result: store.jobResponse(job) });
  });

  app.get("/_api/admin/users/import/:id", (c) => {
    const job = store.jobs.get(c.req.param("id"));
    if (!job) return sendError(c, apiError("NotFound", "JobNotFound", "job not found", 404));
    return c.json({ result: store.jobResponse(job) });
  });

  // ---------------------------------------------------------------- Admin API GraphQL (subset)
  const userNode = (u: SimUser): Record<string, unknown> => ({
    __typename: "User",
    id: userNodeId(u.id),
    createdAt: u.createdAt,
    updatedAt: u.updatedAt,
    isDisabled: u.disabled,
    standardAttributes: {
      ...u.standardAttributes,
      ...(u.email ? { email: u.email, email_verified: u.emailVerified } : {}),
      ...(u.phoneNumber ? { phone_number: u.phoneNumber, phone_number_verified: u.phoneNumberVerified } : {}),
      ...(u.preferredUsername ? { preferred_username: u.preferredUsername } : {}),
    },
    customAttributes: u.customAttributes,
    roles: () => ({ edges: u.roles.map((key) => ({ node: { __typename: "Role", key } })) }),
    groups: () => ({ edges: u.groups.map((key) => ({ node: { __typename: "Group", key } })) }),
    identities: () => ({
      edges: IDENTIFIERS.flatMap((k) => {
        const v = k === "email" ? u.email : k === "phone_number" ? u.phoneNumber : u.preferredUsername;
        return v ? [{ node: { __typename: "Identity", type: "LOGIN_ID", claims: { [k]: v, "https://authgear.com/claims/login_id/key": k === "preferred_username" ? "username" : k === "phone_number" ? "phone" : "email", "https://authgear.com/claims/login_id/value": v } } }] : [];
      }),
    }),
    authenticators: () => ({
      edges: u.passwordHash ? [{ node: { __typename: "Authenticator", type: "PASSWORD", kind: "PRIMARY" } }] : [],
    }),
  });

  const connection = (list: SimUser[], args: Record<string, unknown>) => {
    const first = typeof args.first === "number" ? args.first : list.length;
    const start = typeof args.after === "string" ? Number(Buffer.from(args.after, "base64url").toString("utf8").replace("offset:", "")) + 1 : 0;
    const page = list.slice(start, start + first);
    return {
      __typename: "UserConnection",
      totalCount: list.length,
      edges: page.map((u, i) => ({ cursor: Buffer.from(`offset:${start + i}`).toString("base64url"), node: userNode(u) })),
      pageInfo: { hasNextPage: start + first < list.length, endCursor: page.length ? Buffer.from(`offset:${start + page.length - 1}`).toString("base64url") : null },
    };
  };
  const userById = (nodeId: unknown): SimUser | undefined => {
    const id = typeof nodeId === "string" ? userIdFromNode(nodeId) : undefined;
    return id ? store.users.get(id) : undefined;
  };
  const loginKey = (k: unknown): Identifier | undefined => (k === "email" ? "email" : k === "phone" ? "phone_number" : k === "username" ? "preferred_username" : undefined);
  const sorted = () => [...store.users.values()].sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));

  const query: Record<string, unknown> = {
    node: (a: { id?: string }) => {
      const u = userById(a.id);
      return u ? userNode(u) : null;
    },
    nodes: (a: { ids?: string[] }) => (a.ids ?? []).map((id) => {
      const u = userById(id);
      return u ? userNode(u) : null;
    }),
    users: (a: Record<string, unknown>) => {
      const kw = typeof a.searchKeyword === "string" ? a.searchKeyword.toLowerCase() : "";
      const list = sorted().filter((u) => !kw || [u.email, u.phoneNumber, u.preferredUsername, u.id, String(u.standardAttributes.name ?? "")].some((v) => v?.toLowerCase().includes(kw)));
      return connection(list, a);
    },
    getUserByLoginID: (a: { loginIDKey?: string; loginIDValue?: string }) => {
      const key = loginKey(a.loginIDKey);
      const u = key && a.loginIDValue ? store.findBy(key, a.loginIDValue) : undefined;
      return u ? userNode(u) : null;
    },
    getUsersByStandardAttribute: (a: { attributeName?: string; attributeValue?: string }) => {
      const key = IDENTIFIERS.includes(a.attributeName as Identifier) ? (a.attributeName as Identifier) : undefined;
      if (!key) throw new GraphQLError("attributeName must be one of email, phone_number, preferred_username", { errorName: "Invalid" });
      const u = a.attributeValue ? store.findBy(key, a.attributeValue) : undefined;
      return u ? [userNode(u)] : [];
    },
  };
  const mutation: Record<string, unknown> = {
    deleteUser: (a: { input?: { userID?: string } }) => {
      const u = userById(a.input?.userID);
      if (!u) throw new GraphQLError("user not found", { errorName: "NotFound", reason: "UserNotFound" });
      store.deleteUser(u.id);
      o.emit?.("user.deleted", u);
      return { deletedUserID: userNodeId(u.id) };
    },
    // Admin API updateUser: the given standard attributes (non-identity ones: name, given_name, …) are set.
    updateUser: (a: { input?: { userID?: string; standardAttributes?: Record<string, unknown> } }) => {
      const u = userById(a.input?.userID);
      if (!u) throw new GraphQLError("user not found", { errorName: "NotFound", reason: "UserNotFound" });
      for (const [k, v] of Object.entries(a.input?.standardAttributes ?? {})) {
        if (k === "email" || k === "phone_number" || k === "preferred_username") continue; // identities: not settable here
        if (v === null) delete u.standardAttributes[k];
        else u.standardAttributes[k] = v;
      }
      u.updatedAt = new Date().toISOString();
      o.emit?.("user.profile.updated", u);
      return { user: userNode(u) };
    },
    createSession: async (a: { input?: { userID?: string; clientID?: string } }) => {
      if (!o.createSessionEnabled) throw new GraphQLError("createSession is disabled for this project", { errorName: "Forbidden", reason: "Forbidden" });
      const u = userById(a.input?.userID);
      if (!u) throw new GraphQLError("user not found", { errorName: "NotFound", reason: "UserNotFound" });
      const accessToken = await issueAccessToken(u, String(a.input?.clientID ?? "client"));
      return { accessToken, expiresIn: 1800, refreshToken: randomBytes(24).toString("base64url") };
    },
  };

  const issueAccessToken = (u: SimUser, clientId: string): Promise<string> =>
    new SignJWT({ client_id: clientId, "https://authgear.com/claims/user/is_anonymous": false, "https://authgear.com/claims/user/is_verified": u.emailVerified })
      .setProtectedHeader({ alg: "RS256", kid: o.oidcKey.kid, typ: "JWT" })
      .setIssuer(o.publicUrl())
      .setAudience(o.publicUrl())
      .setSubject(u.id)
      .setIssuedAt()
      .setExpirationTime("30m")
      .setJti(randomBytes(16).toString("hex"))
      .sign(o.oidcKey.privateKey);

  app.post("/_api/admin/graphql", async (c) => {
    let req: { query?: string; variables?: Record<string, unknown>; operationName?: string };
    try {
      req = (await c.req.json()) as typeof req;
    } catch {
      return sendError(c, apiError("BadRequest", "BadRequest", "failed to decode the request body", 400));
    }
    const vars = req.variables ?? {};
    try {
      const op = parseOperation(req.query ?? "", req.operationName || undefined);
      const root = op.kind === "query" ? query : mutation;
      const data: Record<string, unknown> = {};
      const errors: Record<string, unknown>[] = [];
      for (const sel of op.selections) {
        if (!("name" in sel)) continue;
        const resolver = root[sel.name];
        if (!resolver) {
          errors.push({ message: `Cannot query field "${sel.name}" on type "${op.kind === "query" ? "Query" : "Mutation"}" (not simulated).`, path: [sel.alias] });
          data[sel.alias] = null;
          continue;
        }
        try {
          const value = await (resolver as (a: Record<string, unknown>) => unknown)(resolveArgs(sel.args, vars) as Record<string, unknown>);
          data[sel.alias] = project(value, sel.selections, vars, sel.alias);
        } catch (e) {
          if (!(e instanceof GraphQLError)) throw e;
          errors.push({ message: e.message, path: [sel.alias], extensions: e.extensions });
          data[sel.alias] = null;
        }
      }
      return c.json(errors.length ? { data, errors } : { data });
    } catch (e) {
      if (e instanceof GraphQLError) return c.json({ errors: [{ message: e.message }] });
      throw e;
    }
  });

  // ---------------------------------------------------------------- OIDC discovery (for backends / the middleware)
  app.get("/.well-known/openid-configuration", (c) =>
    c.json({
      issuer: o.publicUrl(),
      authorization_endpoint: `${o.publicUrl()}/oauth2/authorize`,
      token_endpoint: `${o.publicUrl()}/oauth2/token`,
      userinfo_endpoint: `${o.publicUrl()}/oauth2/userinfo`,
      jwks_uri: `${o.publicUrl()}/oauth2/jwks`,
      id_token_signing_alg_values_supported: ["RS256"],
    }),
  );
  app.get("/oauth2/jwks", (c) => c.json({ keys: [oidcJwk] }));

  // ---------------------------------------------------------------- Authentication Flow API (login with password only)
  const flows = new Map<string, { step: "identify" | "authenticate" | "finished"; userId?: string }>();
  const flowResult = (token: string, step: string) => ({
    result: {
      state_token: token,
      type: "login",
      name: "default",
      action: {
        type: step,
        ...(step === "identify" ? { data: { type: "identification_data", options: IDENTIFIERS.map((k) => ({ identification: k === "preferred_username" ? "username" : k })) } } : {}),
        ...(step === "authenticate" ? { data: { type: "authentication_data", options: [{ authentication: "primary_password" }] } } : {}),
        ...(step === "finished" ? { data: { finish_redirect_uri: `${o.publicUrl()}/oauth2/consent` } } : {}),
      },
    },
  });
  app.post("/api/v1/authentication_flows", async (c) => {
    const body = (await c.req.json().catch(() => ({}))) as { type?: string; name?: string };
    if (body.type !== "login") return sendError(c, apiError("Invalid", "AuthenticationFlowNotFound", "only the login flow is simulated", 400));
    const token = `authflowstate_${randomBytes(12).toString("hex")}`;
    flows.set(token, { step: "identify" });
    return c.json(flowResult(token, "identify"));
  });
  app.post("/api/v1/authentication_flows/states/input", async (c) => {
    const body = (await c.req.json().catch(() => ({}))) as { state_token?: string; input?: Record<string, unknown> };
    const state = body.state_token ? flows.get(body.state_token) : undefined;
    if (!state) return sendError(c, apiError("Invalid", "AuthenticationFlowNotFound", "flow not found", 400));
    const input = body.input ?? {};
    if (state.step === "identify") {
      const key = input.identification === "email" ? "email" : input.identification === "phone" ? "phone_number" : input.identification === "username" ? "preferred_username" : undefined;
      if (!key || typeof input.login_id !== "string") return sendError(c, apiError("Invalid", "ValidationFailed", "invalid input", 400));
      const u = store.findBy(key, input.login_id);
      if (!u) return sendError(c, apiError("NotFound", "UserNotFound", "user not found", 404));
      state.step = "authenticate";
      state.userId = u.id;
      return c.json(flowResult(body.state_token!, "authenticate"));
    }
    if (state.step === "authenticate") {
      if (input.authentication !== "primary_password" || typeof input.password !== "string") return sendError(c, apiError("Invalid", "ValidationFailed", "invalid input", 400));
      const u = store.users.get(state.userId!);
      if (!u) return sendError(c, apiError("NotFound", "UserNotFound", "user not found", 404));
      const r = await store.checkPassword(u, input.password);
      if (!r.ok) return sendError(c, r.error!);
      state.step = "finished";
      return c.json(flowResult(body.state_token!, "finished"));
    }
    return sendError(c, apiError("Invalid", "AuthenticationFlowFinished", "flow already finished", 400));
  });

  app.notFound((c) => sendError(c, apiError("NotFound", "NotFound", "not found", 404)));
  app.onError((e, c) => sendError(c, apiError("InternalError", "UnexpectedError", e.message || "internal error", 500)));
  return app;
}
