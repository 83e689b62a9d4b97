/**
 * Seed 004, Auth0 tenant → tenant: the new tenant's generated Login / Get User scripts call
 * `serve`, which checks the password with the password-realm grant against the OLD tenant (the
 * Auth0 simulator: RS256 id_token verified against its JWKS) and finds users through the old
 * tenant's Management API search — one stable user_id in both paths.
 */
import { createRequire } from "node:module";
import bcrypt from "bcryptjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auth0Scripts } from "../../src/server/auth0.js";
import { Auth0TenantResolver } from "../../src/server/auth0-tenant.js";
import { LegacyUnavailableError } from "../../src/server/errors.js";
import { startService, type RunningService } from "../../src/server/service.js";
import { startAuth0, type RunningAuth0 } from "../../src/simulators/auth0/index.js";
import { fixture, SECRET } from "./fixtures.js";

const PW = "old-tenant-pw-1!";
let old: RunningAuth0;
let svc: RunningService;

const legacyBlock = () => ({
  type: "oidc" as const,
  issuer: `${old.url}/`,
  clientId: old.clientId,
  clientSecret: old.clientSecret,
  grantType: "http://auth0.com/oauth/grant-type/password-realm",
  realm: old.connectionName,
  management: { connection: old.connectionName },
});

beforeAll(async () => {
  old = await startAuth0();
  const hash = bcrypt.hashSync(PW, 4);
  old.store.addUser({ user_id: "auth0|5f00aa", email: "Zoe@Example.com", email_verified: true, name: "Zoë Ångström", given_name: "Zoë", family_name: "Ångström", password: { bcrypt: hash }, user_metadata: { theme: "dark" }, app_metadata: { plan: "pro" } });
  old.store.addUser({ user_id: "auth0|blocked1", email: "blocked@example.com", blocked: true, password: { bcrypt: hash } });
  old.store.addUser({ user_id: "google-oauth2|123", email: "social@example.com", connection: "google-oauth2" });
  const f = fixture({ routes: { verify: false, auth0: true }, port: 0, legacy: legacyBlock() });
  svc = await startService(f.config, f.dir, { log: () => {} });
});
afterAll(async () => {
  await svc?.close();
  await old?.close();
});

class WrongUsernameOrPasswordError extends Error {}
function loadScript(source: string, name: "login" | "getByEmail"): (...args: unknown[]) => void {
  const fn = new Function("configuration", "require", "WrongUsernameOrPasswordError", "Buffer", `${source}\nreturn ${name};`);
  return fn({ AUTHMIGRATE_URL: svc.url, AUTHMIGRATE_SECRET: SECRET }, createRequire(import.meta.url), WrongUsernameOrPasswordError, Buffer);
}
const callback = (f: (...a: unknown[]) => void, ...args: unknown[]) => new Promise<unknown[]>((resolve) => f(...args, (...cb: unknown[]) => resolve(cb)));

describe("Auth0 tenant → tenant through serve (old tenant = Auth0 simulator)", () => {
  it("Login: password-realm grant on the old tenant, profile from the verified id_token with the rule's metadata", async () => {
    const [err, profile] = await callback(loadScript(auth0Scripts().login, "login"), "zoe@example.com", PW);
    expect(err).toBeNull();
    expect(profile).toEqual({
      user_id: "auth0|5f00aa",
      email: "zoe@example.com",
      email_verified: true,
      given_name: "Zoë",
      family_name: "Ångström",
      name: "Zoë Ångström",
      nickname: "zoe",
      user_metadata: { theme: "dark" },
      app_metadata: { plan: "pro" },
    });
    const [wrong] = await callback(loadScript(auth0Scripts().login, "login"), "zoe@example.com", "not-it");
    expect(wrong).toBeInstanceOf(WrongUsernameOrPasswordError);
  });

  it("Get User: Management API search on the old connection, the same user_id as Login", async () => {
    const getUser = loadScript(auth0Scripts().getUser, "getByEmail");
    const [err, profile] = await callback(getUser, "ZOE@example.com");
    expect(err).toBeNull();
    expect(profile).toMatchObject({ user_id: "auth0|5f00aa", email: "zoe@example.com", email_verified: true, user_metadata: { theme: "dark" }, app_metadata: { plan: "pro" } });
    // Not in the old DB connection (social user), blocked, or unknown: "no such user" for Auth0.
    expect(await callback(getUser, "social@example.com")).toEqual([null]);
    expect(await callback(getUser, "blocked@example.com")).toEqual([null]);
    expect(await callback(getUser, "nobody@example.com")).toEqual([null]);
  });

  it("an email cannot change the search query (quotes escaped)", async () => {
    const r = new Auth0TenantResolver({ ...legacyBlock(), scope: "openid", externalIdClaim: "sub", grantType: "password", management: { connection: old.connectionName } });
    expect(await r.findUser("email", 'x" OR email:"zoe@example.com')).toBeUndefined();
    expect((await r.findUser("externalId", "auth0|5f00aa"))?.email).toBe("zoe@example.com");
  });

  it("reuses the Management token, refreshes it once when revoked, and reports an outage as legacy_unavailable", async () => {
    const tokenCalls: string[] = [];
    const counting: typeof fetch = (input, init) => {
      if (String(input).endsWith("/oauth/token")) tokenCalls.push(String(input));
      return fetch(input, init);
    };
    const r = new Auth0TenantResolver({ ...legacyBlock(), scope: "openid", externalIdClaim: "sub", grantType: "password", management: { connection: old.connectionName } }, counting);
    await r.findUser("email", "zoe@example.com");
    await r.findUser("email", "zoe@example.com");
    expect(tokenCalls).toHaveLength(1);
    old.expireTokens();
    expect((await r.findUser("email", "zoe@example.com"))?.externalId).toBe("auth0|5f00aa");
    expect(tokenCalls).toHaveLength(2);
    const down = new Auth0TenantResolver({ ...legacyBlock(), issuer: "http://127.0.0.1:9/", scope: "openid", externalIdClaim: "sub", grantType: "password", management: { connection: "x" } });
    await expect(down.findUser("email", "zoe@example.com")).rejects.toBeInstanceOf(LegacyUnavailableError);
  });
});
