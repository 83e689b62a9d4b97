import { Hono } from "hono";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DualTokenVerifier, expressAuth, honoAuth, type ExpressLikeRequest, type HonoAuthEnv, type Identity } from "../../src/middleware/index.js";
import { startIssuer, type TestIssuer } from "./issuer.js";

let sessionIss: TestIssuer;
let legacyIss: TestIssuer;
beforeAll(async () => {
  [sessionIss, legacyIss] = await Promise.all([startIssuer(), startIssuer()]);
});
afterAll(async () => {
  await Promise.all([sessionIss.close(), legacyIss.close()]);
});

async function counts(reg: Registry): Promise<Record<string, number>> {
  const m = await reg.getSingleMetric("auth_path_total")!.get();
  return Object.fromEntries(m.values.map((v) => [String(v.labels.type), v.value]));
}

function dual(extra: Partial<ConstructorParameters<typeof DualTokenVerifier>[0]> = {}) {
  const registry = new Registry();
  const v = new DualTokenVerifier({ session: { issuer: sessionIss.url }, legacy: { issuer: legacyIss.url }, metrics: { registry }, ...extra });
  return { v, registry };
}

describe("DualTokenVerifier", () => {
  it("routes by iss: session token → session JWKS, legacy token → legacy JWKS; same identity from both; counted per path", async () => {
    const { v, registry } = dual();
    const before = { s: { ...sessionIss.requests }, l: { ...legacyIss.requests } };
    const s = await v.authenticate(`Bearer ${await sessionIss.sign({ external_id: "user-42" })}`);
    expect(s).toMatchObject({ ok: true, source: "session", identity: { userId: "user-42" } });
    // the test issuer's `sub` is user-1: the legacy system's id, here equal to the internal id
    const l = await v.authenticate(`Bearer ${await legacyIss.sign()}`);
    expect(l).toMatchObject({ ok: true, source: "legacy", identity: { userId: "user-1" } });
    expect(sessionIss.requests.jwks - before.s.jwks).toBe(1);
    expect(legacyIss.requests.jwks - before.l.jwks).toBe(1);
    await v.verify(await legacyIss.sign());
    expect(await counts(registry)).toEqual({ session: 1, legacy: 2 });
  });

  it("never tries both signers: a token naming the session issuer but signed by the legacy key fails, without touching the legacy JWKS", async () => {
    const { v, registry } = dual();
    await v.verify(await legacyIss.sign()); // warm the legacy cache
    const legacyJwks = legacyIss.requests.jwks;
    // Forged: iss = session provider, kid + key from the legacy issuer.
    const forged = await legacyIss.sign({ external_id: "admin" }, { iss: sessionIss.url });
    expect(await v.verify(forged)).toMatchObject({ ok: false, status: 403 });
    // and the reverse: iss = legacy, signed with the session key
    expect(await v.verify(await sessionIss.sign({}, { iss: legacyIss.url }))).toMatchObject({ ok: false, status: 403 });
    expect(legacyIss.requests.jwks).toBe(legacyJwks);
    expect(await counts(registry)).toEqual({ session: 0, legacy: 1 });
  });

  it("rejects unknown issuers (403) and non-JWTs (401), missing header (401)", async () => {
    const { v } = dual();
    expect(await v.verify(await sessionIss.sign({ external_id: "u" }, { iss: "https://evil.example" }))).toEqual({ ok: false, status: 403, error: "unknown_issuer" });
    expect(await v.authenticate("Bearer opaque-session-id")).toEqual({ ok: false, status: 401, error: "undecodable_token" });
    expect(await v.authenticate(undefined)).toEqual({ ok: false, status: 401, error: "missing_token" });
  });

  it("a session token without external_id is refused on normal routes (403 missing_identity)", async () => {
    const { v, registry } = dual();
    expect(await v.verify(await sessionIss.sign())).toEqual({ ok: false, status: 403, error: "missing_identity" });
    expect(await counts(registry)).toEqual({ session: 0, legacy: 0 });
  });

  it("bootstrap() accepts a session token without external_id, refuses legacy tokens", async () => {
    const { v } = dual();
    const b = v.bootstrap();
    expect(await b.authenticate(`Bearer ${await sessionIss.sign({ email: "new@example.com" })}`)).toMatchObject({ ok: true, source: "session", claims: { email: "new@example.com" } });
    const withId = await b.authenticate(`Bearer ${await sessionIss.sign({ external_id: "user-9" })}`);
    expect(withId).toMatchObject({ ok: true, identity: { userId: "user-9" } });
    expect(await b.authenticate(`Bearer ${await legacyIss.sign()}`)).toEqual({ ok: false, status: 403, error: "session_token_required" });
    expect(await b.authenticate(`Bearer ${await sessionIss.sign({}, { iss: "https://evil.example" })}`)).toMatchObject({ status: 403, error: "unknown_issuer" });
  });

  it("resolveIdentity(kind, claims) maps both token types to the same identity (e.g. the ledger mapping)", async () => {
    const ledger = new Map([["user-1", "internal-7"]]); // legacy sub → internal id
    const perms = { "internal-7": { tenantId: "t1", permissions: ["read", "write"] } } as Record<string, { tenantId: string; permissions: string[] }>;
    const resolveIdentity = (kind: "session" | "legacy", claims: Record<string, unknown>): Identity | null => {
      const userId = kind === "session" ? (claims.external_id as string | undefined) : ledger.get(String(claims.sub));
      return userId && perms[userId] ? { userId, ...perms[userId] } : null;
    };
    const { v } = dual({ resolveIdentity });
    const a = await v.verify(await sessionIss.sign({ external_id: "internal-7" }));
    const b = await v.verify(await legacyIss.sign());
    expect(a.ok && b.ok).toBe(true);
    expect(a.ok && a.identity).toEqual({ userId: "internal-7", tenantId: "t1", permissions: ["read", "write"] });
    expect(a.ok && b.ok && a.identity).toEqual(b.ok && b.identity);
    // unknown user in the mapping → 403; a failing lookup → 503
    expect(await v.verify(await sessionIss.sign({ external_id: "ghost" }))).toMatchObject({ status: 403, error: "missing_identity" });
    const down = dual({
      resolveIdentity: () => {
        throw new Error("ledger down");
      },
    }).v;
    expect(await down.verify(await legacyIss.sign())).toEqual({ ok: false, status: 503, error: "identity_unavailable" });
  });

  it("identityClaim picks other claims; audience is checked per side", async () => {
    const { v } = dual({ identityClaim: { session: "uid", legacy: "legacy_uid" }, session: { issuer: sessionIss.url, audience: "api" }, legacy: { issuer: legacyIss.url } });
    expect(await v.verify(await sessionIss.sign({ uid: "u1" }, { aud: "api" }))).toMatchObject({ ok: true, identity: { userId: "u1" } });
    expect(await v.verify(await sessionIss.sign({ uid: "u1" }, { aud: "other" }))).toMatchObject({ ok: false, error: "invalid_claim:aud" });
    expect(await v.verify(await legacyIss.sign({ legacy_uid: "u1" }))).toMatchObject({ ok: true, identity: { userId: "u1" } });
  });

  it("clock skew is configurable", async () => {
    const expiredAgo10s = await sessionIss.sign({ external_id: "u" }, { expSec: -10 });
    expect(await dual({ clockSkewSec: 0 }).v.verify(expiredAgo10s)).toMatchObject({ ok: false, error: "token_expired" });
    expect(await dual({ clockSkewSec: 60 }).v.verify(expiredAgo10s)).toMatchObject({ ok: true });
  });

  it("identical issuers are a configuration error; metrics can be off; a second verifier reuses the registry's counter", async () => {
    expect(() => new DualTokenVerifier({ session: { issuer: sessionIss.url }, legacy: { issuer: `${sessionIss.url}/` } })).toThrow(/must differ/);
    expect((await new DualTokenVerifier({ session: { issuer: sessionIss.url }, legacy: { issuer: legacyIss.url }, metrics: false }).verify(await legacyIss.sign())).ok).toBe(true);
    const registry = new Registry();
    const a = new DualTokenVerifier({ session: { issuer: sessionIss.url }, legacy: { issuer: legacyIss.url }, metrics: { registry } });
    const b = new DualTokenVerifier({ session: { issuer: sessionIss.url }, legacy: { issuer: legacyIss.url }, metrics: { registry } });
    await a.verify(await legacyIss.sign());
    await b.verify(await legacyIss.sign());
    expect(await counts(registry)).toEqual({ session: 0, legacy: 2 });
    expect(await registry.metrics()).toMatch(/auth_path_total\{type="legacy"\} 2/);
  });

  it("works through the adapters: identity on c.get('auth') / req.auth; bootstrap route only where mounted", async () => {
    const { v } = dual();
    const app = new Hono<HonoAuthEnv>();
    app.use("/api/*", honoAuth(v));
    app.get("/api/me", (c) => c.json({ user: c.get("auth").identity?.userId, source: c.get("auth").source }));
    app.post("/users/bootstrap", honoAuth(v.bootstrap()), (c) => c.json({ sub: c.get("auth").claims.sub }));
    const fresh = await sessionIss.sign({ email: "n@example.com" }); // no external_id yet
    expect((await app.request("/api/me", { headers: { authorization: `Bearer ${fresh}` } })).status).toBe(403);
    expect(await (await app.request("/users/bootstrap", { method: "POST", headers: { authorization: `Bearer ${fresh}` } })).json()).toEqual({ sub: "user-1" });
    const s = await app.request("/api/me", { headers: { authorization: `Bearer ${await sessionIss.sign({ external_id: "user-1" })}` } });
    const l = await app.request("/api/me", { headers: { authorization: `Bearer ${await legacyIss.sign()}` } });
    expect(await s.json()).toEqual({ user: "user-1", source: "session" });
    expect(await l.json()).toEqual({ user: "user-1", source: "legacy" });

    const mw = expressAuth(v);
    const req: ExpressLikeRequest = { headers: { authorization: `Bearer ${await legacyIss.sign()}` } };
    await new Promise<void>((resolve, reject) =>
      mw(req, { statusCode: 0, setHeader: () => undefined, end: () => reject(new Error("rejected")) }, (e) => (e ? reject(e) : resolve())),
    );
    expect(req.auth).toMatchObject({ source: "legacy", identity: { userId: "user-1" } });
  });
});
