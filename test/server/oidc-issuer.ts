/**
 * A minimal local OIDC issuer for tests (oidc-provider is not a dependency): discovery, JWKS and a
 * token endpoint with the password grant that signs RS256 id_tokens with jose. `fail` switches it
 * to 500s; also mints arbitrary tokens for the Prelude hook.
 */
import { Hono } from "hono";
import { exportJWK, generateKeyPair, SignJWT, type JWTPayload } from "jose";
import { serveSimulator, type ServedSimulator } from "../../src/simulators/kit.js";

export interface LocalIssuer {
  url: string;
  issuer: string;
  jwksUri: string;
  clientId: string;
  clientSecret: string;
  state: { fail: boolean; tokenCalls: number; lastGrant?: Record<string, string> };
  mint(claims: JWTPayload, opts?: { aud?: string; iss?: string; expSec?: number; kid?: string }): Promise<string>;
  close(): Promise<void>;
}

export async function startIssuer(users: Record<string, { password: string; claims: Record<string, unknown> }>): Promise<LocalIssuer> {
  const { publicKey, privateKey } = await generateKeyPair("RS256", { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: "k1", alg: "RS256", use: "sig" };
  const clientId = "legacy-client";
  const clientSecret = "legacy-client-secret";
  const state: LocalIssuer["state"] = { fail: false, tokenCalls: 0 };
  let base = "";
  const app = new Hono();
  app.use("*", async (c, next) => {
    if (state.fail) return c.json({ error: "server_error" }, 500);
    await next();
  });
  app.get("/.well-known/openid-configuration", (c) => c.json({ issuer: base, token_endpoint: `${base}/oauth/token`, jwks_uri: `${base}/jwks` }));
  app.get("/jwks", (c) => c.json({ keys: [jwk] }));
  const mint: LocalIssuer["mint"] = (claims, o = {}) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: "RS256", kid: o.kid ?? "k1" })
      .setIssuer(o.iss ?? base)
      .setAudience(o.aud ?? clientId)
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + (o.expSec ?? 300))
      .sign(privateKey);
  app.post("/oauth/token", async (c) => {
    state.tokenCalls++;
    const form = Object.fromEntries(new URLSearchParams(await c.req.text())) as Record<string, string>;
    state.lastGrant = { ...form, password: "<redacted>" };
    if (form.client_id !== clientId || form.client_secret !== clientSecret) return c.json({ error: "invalid_client" }, 401);
    if (form.grant_type !== "password") return c.json({ error: "unsupported_grant_type" }, 400);
    const u = users[form.username ?? ""];
    if (!u || u.password !== form.password) return c.json({ error: "invalid_grant", error_description: "Wrong email or password." }, 403);
    const id_token = await mint(u.claims);
    return c.json({ access_token: "at-" + Math.random().toString(36).slice(2), id_token, token_type: "Bearer", expires_in: 300 });
  });
  const sim: ServedSimulator = await serveSimulator(app);
  base = sim.url;
  return { url: sim.url, issuer: sim.url, jwksUri: `${sim.url}/jwks`, clientId, clientSecret, state, mint, close: () => sim.close() };
}
