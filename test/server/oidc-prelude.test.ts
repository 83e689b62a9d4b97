import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openLedger, targetKey } from "../../src/ledger/index.js";
import { createServer } from "../../src/server/app.js";
import { LazyRecorder } from "../../src/server/lazy.js";
import { openLegacyLookup } from "../../src/server/legacy-lookup.js";
import { DbVerifier, OidcPasswordVerifier } from "../../src/server/verifiers.js";
import { LegacyUnavailableError } from "../../src/server/errors.js";
import { bearer, captureLogs, fixture } from "./fixtures.js";
import { startIssuer, type LocalIssuer } from "./oidc-issuer.js";

let issuer: LocalIssuer;
beforeAll(async () => {
  issuer = await startIssuer({
    "jane@example.com": {
      password: "jane-legacy-pw",
      claims: {
        sub: "auth0|5f00aa",
        email: "Jane@Example.com",
        email_verified: true,
        given_name: "Jane",
        family_name: "Doe",
        name: "Jane Doe",
        "https://migrationapp/user_metadata": { theme: "dark" },
        "https://migrationapp/app_metadata": { plan: "pro" },
      },
    },
  });
});
afterAll(async () => {
  await issuer.close();
});

const oidcConfig = () => ({ type: "oidc" as const, issuer: issuer.issuer, clientId: issuer.clientId, clientSecret: issuer.clientSecret, grantType: "password", scope: "openid profile email", externalIdClaim: "sub" });

describe("OidcPasswordVerifier (local jose issuer, password grant)", () => {
  it("verifies via the token endpoint and builds the user from the verified id_token", async () => {
    const v = new OidcPasswordVerifier(oidcConfig());
    const r = await v.verify("jane@example.com", "jane-legacy-pw");
    expect(r.status).toBe("ok");
    if (r.status !== "ok") return;
    expect(r.user).toMatchObject({
      externalId: "auth0|5f00aa",
      email: "jane@example.com",
      emailVerified: true,
      profile: { givenName: "Jane", familyName: "Doe", displayName: "Jane Doe" },
      metadata: { user_metadata: { theme: "dark" }, app_metadata: { plan: "pro" } },
    });
    expect(issuer.state.lastGrant).toMatchObject({ grant_type: "password", username: "jane@example.com", client_id: issuer.clientId, scope: "openid profile email" });
  });

  it("wrong password and unknown user are `invalid`", async () => {
    const v = new OidcPasswordVerifier(oidcConfig());
    expect(await v.verify("jane@example.com", "nope")).toEqual({ status: "invalid" });
    expect(await v.verify("ghost@example.com", "nope")).toEqual({ status: "invalid" });
  });

  it("rejects an id_token from another issuer (signature/iss checked, not just decoded)", async () => {
    const v = new OidcPasswordVerifier({ ...oidcConfig(), issuer: "https://someone-else.example.com", tokenEndpoint: `${issuer.url}/oauth/token`, jwksUri: issuer.jwksUri });
    expect(await v.verify("jane@example.com", "jane-legacy-pw")).toEqual({ status: "invalid" });
  });

  it("5xx and connection refused are LegacyUnavailableError, and the hook answers 503 (not 401)", async () => {
    const v = new OidcPasswordVerifier(oidcConfig());
    await v.verify("jane@example.com", "jane-legacy-pw"); // discovery cached
    issuer.state.fail = true;
    try {
      await expect(v.verify("jane@example.com", "jane-legacy-pw")).rejects.toBeInstanceOf(LegacyUnavailableError);
      const f = fixture({ legacy: oidcConfig() });
      const app = createServer({ serve: f.config.serve!, verifier: new OidcPasswordVerifier(oidcConfig()) });
      const res = await app.request("/hooks/verify", { method: "POST", headers: bearer(), body: JSON.stringify({ identifier: "jane@example.com", password: "jane-legacy-pw" }) });
      expect(res.status).toBe(503);
    } finally {
      issuer.state.fail = false;
    }
    const refused = new OidcPasswordVerifier({ ...oidcConfig(), issuer: "http://127.0.0.1:9", tokenEndpoint: "http://127.0.0.1:9/oauth/token", jwksUri: "http://127.0.0.1:9/jwks" });
    await expect(refused.verify("jane@example.com", "x")).rejects.toBeInstanceOf(LegacyUnavailableError);
  });
});

describe("Prelude session_validation_url", () => {
  const setup = () => {
    const f = fixture({ routes: { verify: false, prelude: true }, prelude: { issuer: issuer.issuer, jwksUri: issuer.jwksUri, audience: "legacy-app", claim: "email", lookupBy: "email" } });
    const lookup = openLegacyLookup(f.config, f.dir);
    const resolver = new DbVerifier(f.config, lookup);
    const ledger = openLedger(f.config.ledger.url, targetKey(f.config.target), f.dir);
    const recorder = new LazyRecorder({ ledger });
    const logs = captureLogs();
    const app = createServer({ serve: f.config.serve!, resolver, recorder, log: logs.log });
    const close = async () => {
      await recorder.close();
      await ledger.close();
      await lookup.close();
    };
    return { f, app, ledger, logs, close };
  };
  const call = (app: ReturnType<typeof createServer>, token: string) =>
    app.request("/hooks/prelude/session-validation", { method: "POST", headers: bearer(), body: JSON.stringify({ token }) });

  it("validates the legacy token (JWKS, iss, aud, exp) and returns external_id = internal id + identifiers + profile", async () => {
    const { app, ledger, logs, close } = setup();
    try {
      const token = await issuer.mint({ sub: "legacy-sub-2", email: "BOB@example.com" }, { aud: "legacy-app" });
      const res = await call(app, token);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/application\/json/);
      const body = await res.json();
      expect(body).toEqual({
        user: {
          external_id: "2",
          identifiers: [
            { type: "email_address", value: "bob@example.com" },
            { type: "phone_number", value: "+15551234567" },
          ],
          profile: { first_name: "Bob", last_name: "Builder" },
          scopes: [],
        },
      });
      const row = (await ledger.getUsers(["2"])).get("2");
      expect(row).toMatchObject({ status: "skipped", reason: "lazy_login", strategy: "lazy" });
      expect(row?.digest).toBeTruthy();
      expect(logs.lines.join("\n")).not.toContain(token);
    } finally {
      await close();
    }
  });

  it("refuses expired, wrong-audience, wrong-issuer, garbage tokens and unknown users with the same 401", async () => {
    const { app, close } = setup();
    try {
      const bad = [
        await issuer.mint({ email: "bob@example.com" }, { aud: "legacy-app", expSec: -60 }),
        await issuer.mint({ email: "bob@example.com" }, { aud: "other-app" }),
        await issuer.mint({ email: "bob@example.com" }, { aud: "legacy-app", iss: "https://evil.example.com" }),
        "not.a.jwt",
        await issuer.mint({ email: "nobody@example.com" }, { aud: "legacy-app" }),
      ];
      const bodies = new Set<string>();
      for (const t of bad) {
        const res = await call(app, t);
        expect(res.status).toBe(401);
        bodies.add(await res.text());
      }
      expect(bodies.size).toBe(1);
    } finally {
      await close();
    }
  });
});
