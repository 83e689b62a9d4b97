import { generateKeyPairSync } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TokenVerifier } from "../../src/middleware/index.js";
import { startIssuer, type TestIssuer } from "./issuer.js";

let iss: TestIssuer;
beforeEach(async () => {
  iss = await startIssuer();
});
afterEach(() => iss.close());

describe("TokenVerifier", () => {
  it("verifies an RS256 token via discovery → jwks_uri and caches the keys", async () => {
    const v = new TokenVerifier({ issuer: iss.url, audience: iss.url });
    const r = await v.authenticate(`Bearer ${await iss.sign({ scope: "openid" })}`);
    expect(r).toMatchObject({ ok: true, source: "authgear", claims: { sub: "user-1", scope: "openid", iss: iss.url } });
    for (let i = 0; i < 5; i++) expect((await v.verify(await iss.sign())).ok).toBe(true);
    expect(iss.requests).toEqual({ discovery: 1, jwks: 1 });
  });

  it("401 without a token, with a non-Bearer header or an undecodable token", async () => {
    const v = new TokenVerifier({ issuer: iss.url });
    expect(await v.authenticate(undefined)).toEqual({ ok: false, status: 401, error: "missing_token" });
    expect(await v.authenticate("Basic abc")).toMatchObject({ status: 401 });
    expect(await v.authenticate("Bearer not.a.jwt")).toMatchObject({ status: 401, error: "undecodable_token" });
    expect(iss.requests.jwks).toBe(0);
  });

  it("403 on a bad signature, wrong issuer, wrong audience, expiry, alg other than RS256", async () => {
    const v = new TokenVerifier({ issuer: iss.url, audience: "api", clockToleranceSec: 0 });
    const foreign = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
    expect(await v.verify(await iss.sign({}, { key: foreign, aud: "api" }))).toMatchObject({ ok: false, status: 403, error: "bad_signature" });
    expect(await v.verify(await iss.sign({}, { iss: "https://evil.example", aud: "api" }))).toMatchObject({ status: 403, error: "invalid_claim:iss" });
    expect(await v.verify(await iss.sign({}, { aud: "other" }))).toMatchObject({ status: 403, error: "invalid_claim:aud" });
    expect(await v.verify(await iss.sign({}, { aud: "api", expSec: -60 }))).toMatchObject({ status: 403, error: "token_expired" });
    const [h, p] = (await iss.sign({}, { aud: "api" })).split(".");
    const none = `${Buffer.from(JSON.stringify({ alg: "none", kid: iss.kid })).toString("base64url")}.${p}.`;
    expect(h).toBeTruthy();
    expect(await v.verify(none)).toMatchObject({ status: 403, error: "unsupported_algorithm" });
  });

  it("follows key rotation: an unknown kid refetches the JWKS once, rate-limited by the cooldown", async () => {
    let now = 1_000_000;
    const v = new TokenVerifier({ issuer: iss.url, refetchCooldownMs: 30_000, now: () => now, clockToleranceSec: 1e9 });
    expect((await v.verify(await iss.sign())).ok).toBe(true);
    expect(iss.requests.jwks).toBe(1);

    now += 31_000;
    await iss.rotate({ dropOld: true });
    expect((await v.verify(await iss.sign())).ok).toBe(true);
    expect(iss.requests.jwks).toBe(2);

    // A flood of tokens with an unknown kid: one refetch per cooldown, not one per request.
    for (let i = 0; i < 10; i++) expect(await v.verify(await iss.sign({}, { kid: "nope" }))).toMatchObject({ status: 403, error: "unknown_key" });
    expect(iss.requests.jwks).toBe(2);
    now += 31_000;
    expect(await v.verify(await iss.sign({}, { kid: "nope" }))).toMatchObject({ status: 403 });
    expect(iss.requests.jwks).toBe(3);
    expect(iss.requests.discovery).toBe(1);
  });

  it("refetches after cacheMaxAgeMs and reports 503 when the keys cannot be fetched", async () => {
    let now = 0;
    const v = new TokenVerifier({ issuer: iss.url, cacheMaxAgeMs: 1000, now: () => now, clockToleranceSec: 1e9 });
    await v.verify(await iss.sign());
    now += 2000;
    await v.verify(await iss.sign());
    expect(iss.requests.jwks).toBe(2);
    const down = new TokenVerifier({ issuer: "http://127.0.0.1:9" });
    expect(await down.verify(await iss.sign())).toMatchObject({ ok: false, status: 503, error: "jwks_unavailable" });
  });

  it("accepts legacy tokens alongside Authgear ones during the migration", async () => {
    const v = new TokenVerifier({
      issuer: iss.url,
      legacy: { verify: (t) => (t.startsWith("legacy-session-") ? { sub: t.slice(15), legacy: true } : null) },
    });
    expect(await v.authenticate("Bearer legacy-session-42")).toMatchObject({ ok: true, source: "legacy", claims: { sub: "42" } });
    expect(await v.authenticate(`Bearer ${await iss.sign()}`)).toMatchObject({ ok: true, source: "authgear" });
    expect(await v.authenticate("Bearer garbage")).toMatchObject({ ok: false, status: 401 });
    // A JWT from another issuer that the legacy verifier rejects: decodable, not valid → 403.
    expect(await v.authenticate(`Bearer ${await iss.sign({}, { iss: "https://old.example" })}`)).toMatchObject({ ok: false, status: 403 });
    // A forged token claiming our issuer is never handed to the legacy verifier.
    const foreign = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
    expect(await v.authenticate(`Bearer ${await iss.sign({}, { key: foreign })}`)).toMatchObject({ ok: false, status: 403, error: "bad_signature" });
  });
});
