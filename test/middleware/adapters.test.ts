import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TokenVerifier, expressAuth, fastifyAuth, honoAuth, type ExpressLikeRequest, type FastifyLikeReply, type HonoAuthEnv } from "../../src/middleware/index.js";
import { startAuthgear, userNodeId, type RunningAuthgear } from "../../src/simulators/authgear/index.js";
import { startIssuer, type TestIssuer } from "./issuer.js";

let iss: TestIssuer;
beforeAll(async () => {
  iss = await startIssuer();
});
afterAll(() => iss.close());

describe("honoAuth", () => {
  it("protects routes in-process: 200 with claims, 401 without token, 403 on a bad one", async () => {
    const app = new Hono<HonoAuthEnv>();
    app.get("/", (c) => c.text("public"));
    app.use("/protected/*", honoAuth({ issuer: iss.url, legacy: { verify: (t) => (t === "old-token" ? { sub: "legacy-7" } : null) } }));
    app.get("/protected/me", (c) => c.json({ sub: c.get("auth").claims.sub, source: c.get("auth").source }));

    expect((await app.request("/")).status).toBe(200);
    const none = await app.request("/protected/me");
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect(await none.json()).toEqual({ error: "missing_token" });
    const ok = await app.request("/protected/me", { headers: { authorization: `Bearer ${await iss.sign()}` } });
    expect(await ok.json()).toEqual({ sub: "user-1", source: "authgear" });
    const legacy = await app.request("/protected/me", { headers: { authorization: "Bearer old-token" } });
    expect(await legacy.json()).toEqual({ sub: "legacy-7", source: "legacy" });
    const tampered = (await iss.sign()).slice(0, -4) + "AAAA";
    expect((await app.request("/protected/me", { headers: { authorization: `Bearer ${tampered}` } })).status).toBe(403);
  });
});

describe("expressAuth", () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    const mw = expressAuth(new TokenVerifier({ issuer: iss.url }));
    // Express-style (req, res, next) on a bare node:http server.
    server = createServer((req, res) => {
      if (req.url !== "/protected") {
        res.end("public");
        return;
      }
      const r = req as typeof req & ExpressLikeRequest;
      mw(r, res, (err) => {
        if (err) {
          res.statusCode = 500;
          res.end();
          return;
        }
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify({ message: "This is a protected route", sub: r.auth!.claims.sub }));
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it("401 without token, 403 on a bad signature, 200 with a valid Authgear token", async () => {
    expect((await fetch(`${url}/protected`)).status).toBe(401);
    expect((await fetch(`${url}/protected`, { headers: { authorization: "Bearer x.y" } })).status).toBe(401);
    const tampered = (await iss.sign()).slice(0, -4) + "AAAA";
    const bad = await fetch(`${url}/protected`, { headers: { authorization: `Bearer ${tampered}` } });
    expect(bad.status).toBe(403);
    expect(await bad.json()).toEqual({ error: "bad_signature" });
    const ok = await fetch(`${url}/protected`, { headers: { authorization: `Bearer ${await iss.sign()}` } });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ message: "This is a protected route", sub: "user-1" });
  });
});

describe("fastifyAuth", () => {
  it("as a preHandler: sets request.auth, or answers through reply.code().send()", async () => {
    const hook = fastifyAuth({ issuer: iss.url });
    const reply = () => {
      const sent: { status?: number; body?: unknown; headers: Record<string, string> } = { headers: {} };
      const r: FastifyLikeReply = {
        code: (s) => ((sent.status = s), r),
        header: (k, v) => ((sent.headers[k] = v), r),
        send: (b) => void (sent.body = b),
      };
      return { r, sent };
    };
    const okReq: ExpressLikeRequest = { headers: { authorization: `Bearer ${await iss.sign()}` } };
    const a = reply();
    await hook(okReq, a.r);
    expect(a.sent.status).toBeUndefined();
    expect(okReq.auth?.claims.sub).toBe("user-1");
    const b = reply();
    await hook({ headers: {} }, b.r);
    expect(b.sent).toMatchObject({ status: 401, body: { error: "missing_token" } });
  });
});

describe("middleware against the Authgear simulator", () => {
  let sim: RunningAuthgear;
  beforeAll(async () => {
    sim = await startAuthgear({ createSession: true, taskDelayMs: 1 });
  });
  afterAll(() => sim.close());

  it("accepts a token from the simulator's createSession (zero-downtime pattern) via its discovery document", async () => {
    const user = sim.store.importRecord("email", false, { email: "z@d.test" }, 0);
    const { SignJWT } = await import("jose");
    const { createPrivateKey } = await import("node:crypto");
    const admin = await new SignJWT({}).setProtectedHeader({ alg: "RS256", kid: sim.keyId }).setAudience(sim.appId).setIssuedAt().setExpirationTime("5m").sign(createPrivateKey(sim.privateKeyPem));
    const res = await fetch(`${sim.url}/_api/admin/graphql`, {
      method: "POST",
      headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
      body: JSON.stringify({ query: `mutation($id: ID!) { createSession(input: { userID: $id, clientID: "c" }) { accessToken } }`, variables: { id: userNodeId(user.user_id!) } }),
    });
    const token = ((await res.json()) as { data: { createSession: { accessToken: string } } }).data.createSession.accessToken;
    const app = new Hono<HonoAuthEnv>();
    app.use("*", honoAuth({ issuer: sim.url, audience: sim.url }));
    app.get("/me", (c) => c.json({ sub: c.get("auth").claims.sub }));
    expect(await (await app.request("/me", { headers: { authorization: `Bearer ${token}` } })).json()).toEqual({ sub: user.user_id });
  });
});
