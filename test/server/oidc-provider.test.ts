/**
 * The OIDC password-grant verifier against a real OpenID Provider (`oidc-provider`, the certified
 * Node implementation), not our own issuer: discovery, client authentication, the password grant
 * registered as a custom grant type, RS256 id_tokens from its JWKS.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair } from "jose";
import Provider, { errors } from "oidc-provider";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OidcPasswordVerifier } from "../../src/server/verifiers.js";
import { LegacyUnavailableError } from "../../src/server/errors.js";

interface Account {
  password: string;
  claims: Record<string, unknown>;
}
const accounts: Record<string, Account> = {
  "ana@example.com": {
    password: "ana-legacy-pw",
    claims: { sub: "legacy-41", email: "Ana@Example.com", email_verified: true, given_name: "Ana", family_name: "Núñez", name: "Ana Núñez", preferred_username: "ana" },
  },
};

let server: Server;
let issuer: string;
const clientId = "legacy-app";
const clientSecret = "legacy-app-secret-0123456789";

beforeAll(async () => {
  server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    clients: [{ client_id: clientId, client_secret: clientSecret, grant_types: ["password"], response_types: [], redirect_uris: [] }],
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["given_name", "family_name", "name", "preferred_username"] },
    scopes: ["openid", "email", "profile"],
    features: { devInteractions: { enabled: false } },
    jwks: { keys: [{ ...(await exportJWK((await generateKeyPair("RS256", { extractable: true })).privateKey)), kid: "legacy-1", alg: "RS256", use: "sig" }] },
    cookies: { keys: ["test-cookie-key-0123456789"] },
    ttl: { AccessToken: 600, IdToken: 600 },
  });
  provider.on("server_error", () => {});
  provider.registerGrantType(
    "password",
    async (ctx, next) => {
      const { username, password, scope } = ctx.oidc.params as Record<string, string | undefined>;
      const account = username ? accounts[username.toLowerCase()] : undefined;
      if (!account || account.password !== password) throw new errors.InvalidGrant("invalid username or password");
      const client = ctx.oidc.client!;
      const { AccessToken, IdToken } = ctx.oidc.provider;
      const sub = String(account.claims.sub);
      const granted = scope ?? "openid";
      const at = new AccessToken({ accountId: sub, client, gty: "password", grantId: `password-${sub}`, scope: granted });
      const accessToken = await at.save();
      // IdToken.issue() filters claims by `scope` (absent from the typings).
      const idt = Object.assign(new IdToken({ ...account.claims, sub }, { ctx, client }), { scope: granted });
      idt.set("at_hash", accessToken);
      const idToken = await idt.issue({ use: "idtoken" });
      ctx.body = { access_token: accessToken, id_token: idToken, token_type: "Bearer", expires_in: at.expiration, scope: granted };
      await next();
    },
    ["username", "password", "scope"],
  );
  const callback = provider.callback();
  server.on("request", callback);
});
afterAll(async () => {
  server?.closeAllConnections();
  await new Promise<void>((r) => server?.close(() => r()));
});

const config = () => ({ type: "oidc" as const, issuer, clientId, clientSecret, grantType: "password", scope: "openid profile email", externalIdClaim: "sub" });

describe("OidcPasswordVerifier against oidc-provider (password grant registered)", () => {
  it("discovers the token endpoint, authenticates the client, verifies the RS256 id_token and maps its claims", async () => {
    const r = await new OidcPasswordVerifier(config()).verify("ana@example.com", "ana-legacy-pw");
    expect(r.status).toBe("ok");
    if (r.status !== "ok") return;
    expect(r.user).toMatchObject({
      externalId: "legacy-41",
      email: "ana@example.com",
      emailVerified: true,
      username: "ana",
      profile: { givenName: "Ana", familyName: "Núñez", displayName: "Ana Núñez" },
      credential: { kind: "none" },
    });
  });

  it("wrong password and unknown user are `invalid` (invalid_grant), never an outage", async () => {
    const v = new OidcPasswordVerifier(config());
    expect(await v.verify("ana@example.com", "wrong")).toEqual({ status: "invalid" });
    expect(await v.verify("nobody@example.com", "wrong")).toEqual({ status: "invalid" });
  });

  it("a wrong client secret is rejected by the provider and reads as `invalid`, not ok", async () => {
    const v = new OidcPasswordVerifier({ ...config(), clientSecret: "not-the-secret-000000000000" });
    expect(await v.verify("ana@example.com", "ana-legacy-pw")).toEqual({ status: "invalid" });
  });

  it("an id_token whose audience is another client is refused", async () => {
    // Same provider, but we claim to be a different client id: the provider refuses the unknown client.
    const v = new OidcPasswordVerifier({ ...config(), clientId: "someone-else" });
    expect(await v.verify("ana@example.com", "ana-legacy-pw")).toEqual({ status: "invalid" });
  });

  it("the provider going away is LegacyUnavailableError", async () => {
    const v = new OidcPasswordVerifier({ ...config(), issuer: "http://127.0.0.1:9" });
    await expect(v.verify("ana@example.com", "ana-legacy-pw")).rejects.toBeInstanceOf(LegacyUnavailableError);
  });
});
