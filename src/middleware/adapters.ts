/**
 * Framework adapters over TokenVerifier. Structural types only: authmigrate does not depend on
 * Express or Fastify. Every adapter answers failures with `{ "error": "<code>" }` and the HTTP
 * status of the verifier (401 / 403 / 503), plus `WWW-Authenticate: Bearer` on 401.
 */
import type { MiddlewareHandler } from "hono";
import { TokenVerifier, type AuthContext, type AuthResult, type Authenticator, type TokenVerifierOptions } from "./verifier.js";

function verifierOf(v: Authenticator | TokenVerifierOptions): Authenticator {
  return typeof (v as Partial<Authenticator>).authenticate === "function" ? (v as Authenticator) : new TokenVerifier(v as TokenVerifierOptions);
}

function wwwAuthenticate(r: Extract<AuthResult, { ok: false }>): string | undefined {
  if (r.status === 401) return `Bearer error="invalid_request"`;
  if (r.status === 403) return `Bearer error="invalid_token"`;
  return undefined;
}

const contextOf = (r: Extract<AuthResult, { ok: true }>): AuthContext => ({
  claims: r.claims,
  source: r.source,
  token: r.token,
  ...(r.identity !== undefined ? { identity: r.identity } : {}),
});

// ---------------------------------------------------------------- Express (and plain node:http)

export interface ExpressLikeRequest {
  headers: Record<string, string | string[] | undefined>;
  auth?: AuthContext;
}
export interface ExpressLikeResponse {
  statusCode: number;
  setHeader(name: string, value: string): unknown;
  end(body?: string): unknown;
}
export type ExpressLikeNext = (err?: unknown) => void;

/**
 * `(req, res, next)` middleware: on success sets `req.auth` and calls `next()`; on failure answers
 * itself. Works with Express and with a bare `http.createServer` handler (it only uses
 * `statusCode`, `setHeader`, `end`).
 */
export function expressAuth(v: Authenticator | TokenVerifierOptions): (req: ExpressLikeRequest, res: ExpressLikeResponse, next: ExpressLikeNext) => void {
  const verifier = verifierOf(v);
  return (req, res, next) => {
    verifier.authenticate(req.headers.authorization).then(
      (r) => {
        if (r.ok) {
          req.auth = contextOf(r);
          return next();
        }
        res.statusCode = r.status;
        res.setHeader("content-type", "application/json");
        const www = wwwAuthenticate(r);
        if (www) res.setHeader("www-authenticate", www);
        res.end(JSON.stringify({ error: r.error }));
      },
      (e: unknown) => next(e),
    );
  };
}

// ---------------------------------------------------------------- Fastify

export interface FastifyLikeRequest {
  headers: Record<string, string | string[] | undefined>;
  auth?: AuthContext;
}
export interface FastifyLikeReply {
  code(status: number): FastifyLikeReply;
  header(name: string, value: string): FastifyLikeReply;
  send(body?: unknown): unknown;
}

/** `preHandler` hook: `fastify.addHook("preHandler", fastifyAuth({...}))` or per route. Sets `request.auth`. */
export function fastifyAuth(v: Authenticator | TokenVerifierOptions): (request: FastifyLikeRequest, reply: FastifyLikeReply) => Promise<void> {
  const verifier = verifierOf(v);
  return async (request, reply) => {
    const r = await verifier.authenticate(request.headers.authorization);
    if (r.ok) {
      request.auth = contextOf(r);
      return;
    }
    const www = wwwAuthenticate(r);
    if (www) reply.header("www-authenticate", www);
    await reply.code(r.status).send({ error: r.error });
  };
}

// ---------------------------------------------------------------- Hono

export type HonoAuthEnv = { Variables: { auth: AuthContext } };

/** Hono middleware: `app.use("/api/*", honoAuth({...}))`; handlers read `c.get("auth")`. */
export function honoAuth(v: Authenticator | TokenVerifierOptions): MiddlewareHandler<HonoAuthEnv> {
  const verifier = verifierOf(v);
  return async (c, next) => {
    const r = await verifier.authenticate(c.req.header("authorization"));
    if (!r.ok) {
      const www = wwwAuthenticate(r);
      if (www) c.header("www-authenticate", www);
      return c.json({ error: r.error }, r.status);
    }
    c.set("auth", contextOf(r));
    await next();
  };
}
