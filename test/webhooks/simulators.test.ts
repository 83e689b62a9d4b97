/**
 * End to end: a user changed through a simulator's API → the simulator POSTs a signed webhook
 * (as the real provider would) → serve verifies, stores, applies → the legacy row reflects it.
 */
import { SignJWT } from "jose";
import { createPrivateKey } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { openLedger, targetKey } from "../../src/ledger/index.js";
import { startAuthgear, type RunningAuthgear } from "../../src/simulators/authgear/index.js";
import { ClerkWebhookEmitter } from "../../src/simulators/clerk-webhooks.js";
import { startPrelude, type RunningPrelude } from "../../src/simulators/prelude/index.js";
import { WebhookEmitter } from "../../src/simulators/webhook-emitter.js";
import { startWorkosSimulator, type RunningWorkosSimulator } from "../../src/simulators/workos/index.js";
import { PRELUDE_TOKEN, preludeJwks, SECRETS, startHarness, type Harness } from "./harness.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ legacy: "sqlite" });
});
afterAll(async () => h?.close());

const eventually = (fn: () => Promise<void>) => vi.waitFor(fn, { timeout: 10_000, interval: 25 });

describe("simulators emit signed webhooks", () => {
  let workos: RunningWorkosSimulator;
  afterAll(async () => workos?.close());

  it("WorkOS: create (external_id 1), update and delete through the API reach the legacy row", async () => {
    workos = await startWorkosSimulator({ port: 0, webhookUrl: `${h.svc.url}/webhooks/workos`, webhookSecret: SECRETS.workos });
    const api = (method: string, path: string, body?: unknown) =>
      fetch(`${workos.url}${path}`, { method, headers: { authorization: `Bearer ${workos.apiKey}`, "content-type": "application/json" }, ...(body ? { body: JSON.stringify(body) } : {}) });
    const created = (await (await api("POST", "/user_management/users", { email: "alice@example.com", first_name: "Alice", last_name: "Old", external_id: "1" })).json()) as { id: string };
    await workos.webhooks!.idle();
    expect((await api("PUT", `/user_management/users/${created.id}`, { first_name: "Alicia", last_name: "Smith" })).status).toBe(200);
    await workos.webhooks!.idle();
    await eventually(async () => expect(await h.row(1)).toMatchObject({ FirstName: "Alicia", LastName: "Smith", Email: "alice@example.com" }));
    expect((await api("DELETE", `/user_management/users/${created.id}`)).status).toBe(202);
    await workos.webhooks!.idle();
    await eventually(async () => expect(await h.row(1)).toMatchObject({ IsActive: 0 }));
    // Every delivery was accepted at the first attempt, and each was applied once.
    expect(workos.webhooks!.deliveries.map((d) => [d.attempt, d.status])).toEqual([[1, 200], [1, 200], [1, 200]]);
    expect(await h.updates(1)).toBe(3);
  });

  it("WorkOS: a receiver that answers 5xx gets the same event again (same id), applied once when it lands", async () => {
    let calls = 0;
    const flaky = await import("../../src/simulators/kit.js").then(async ({ serveSimulator }) => {
      const { Hono } = await import("hono");
      const app = new Hono();
      app.post("/", async (c) => {
        calls++;
        const body = await c.req.text();
        if (calls < 3) return c.json({ error: "down" }, 503);
        const headers: Record<string, string> = {};
        c.req.raw.headers.forEach((v, k) => (headers[k] = v));
        const res = await fetch(`${h.svc.url}/webhooks/workos`, { method: "POST", headers, body });
        return c.body(await res.text(), res.status as 200);
      });
      return serveSimulator(app, { port: 0 });
    });
    const sim = await startWorkosSimulator({ port: 0, webhookUrl: flaky.url, webhookSecret: SECRETS.workos, webhookRetryDelaysMs: [20, 20, 20] });
    try {
      const res = await fetch(`${sim.url}/user_management/users`, {
        method: "POST",
        headers: { authorization: `Bearer ${sim.apiKey}`, "content-type": "application/json" },
        body: JSON.stringify({ email: "bob@example.com", first_name: "Bobby", last_name: "Old", external_id: "2" }),
      });
      expect(res.status).toBe(201);
      await sim.webhooks!.idle();
      expect(sim.webhooks!.deliveries.map((d) => d.status)).toEqual([503, 503, 200]);
      await eventually(async () => expect(await h.row(2)).toMatchObject({ FirstName: "Bobby" }));
      expect(await h.updates(2)).toBe(1);
    } finally {
      await sim.close();
      await flaky.close();
    }
  });

  let prelude: RunningPrelude;
  afterAll(async () => prelude?.close());

  it("Prelude (RSASSA-PSS, keys from the app's JWKS): activation handshake, then profile and identifier changes", async () => {
    prelude = await startPrelude({ port: 0, webhookUrl: `${h.svc.url}/webhooks/prelude`, webhookVerificationToken: PRELUDE_TOKEN });
    preludeJwks.url = prelude.jwksUri;
    expect(await prelude.activateWebhook()).toBe(true);
    const api = (method: string, path: string, body?: unknown) =>
      fetch(`${prelude.url}/v2/session/apps/${prelude.appId}${path}`, { method, headers: { authorization: `Bearer ${prelude.apiKey}`, "content-type": "application/json" }, ...(body ? { body: JSON.stringify(body) } : {}) });
    const created = (await (await api("POST", "/users", { external_id: "3", profile: { first_name: "Carol", last_name: "Old" }, identifiers: [{ type: "email_address", value: "carol@example.com" }] })).json()) as { id: string };
    expect((await api("PATCH", `/users/${created.id}/profile`, { first_name: "Caroline" })).status).toBe(200);
    // An email change in Prelude: add the new identifier, drop the old one.
    expect((await api("POST", `/users/${created.id}/identifiers`, { type: "email_address", value: "caroline@example.com" })).status).toBe(201);
    expect((await api("DELETE", `/users/${created.id}/identifiers`, { type: "email_address", value: "carol@example.com" })).status).toBe(204);
    await prelude.webhooks!.idle();
    await eventually(async () => expect(await h.row(3)).toMatchObject({ FirstName: "Caroline", Email: "caroline@example.com" }));
    expect(prelude.webhooks!.deliveries.every((d) => d.status === 200)).toBe(true);
  });

  it("Prelude: a wrong verification token fails the activation handshake", async () => {
    const other = await startPrelude({ port: 0, webhookUrl: `${h.svc.url}/webhooks/prelude`, webhookVerificationToken: "not-the-token" });
    try {
      expect(await other.activateWebhook()).toBe(false);
    } finally {
      await other.close();
    }
  });

  let authgear: RunningAuthgear;
  afterAll(async () => authgear?.close());

  it("Authgear: an Admin API updateUser reaches the legacy row through the ledger link (the payload has no external id)", async () => {
    authgear = await startAuthgear({ port: 0, webhookUrl: `${h.svc.url}/webhooks/authgear`, webhookSecret: SECRETS.authgear });
    const detail = authgear.store.importRecord("email", false, { email: "dave@example.com", given_name: "Dave" }, 0);
    const userId = detail.user_id!;
    // The bulk run linked legacy user 3 to this Authgear user.
    const ledger = openLedger("ledger.sqlite", targetKey({ type: "file", path: "out/users.ndjson" }), h.dir);
    const run = await ledger.startRun("run");
    await ledger.recordUsers(run.id, [{ externalId: "3", email: "dave@example.com", digest: null, targetId: userId, status: "created", reason: null, strategy: "native" }]);
    await ledger.close();
    const jwt = await new SignJWT({}).setProtectedHeader({ alg: "RS256", kid: authgear.keyId, typ: "JWT" }).setAudience(authgear.appId).setIssuedAt().setExpirationTime("5m").sign(createPrivateKey(authgear.privateKeyPem));
    const res = await fetch(`${authgear.url}/_api/admin/graphql`, {
      method: "POST",
      headers: { authorization: `Bearer ${jwt}`, "content-type": "application/json" },
      body: JSON.stringify({ query: "mutation ($in: UpdateUserInput!) { updateUser(input: $in) { user { id } } }", variables: { in: { userID: userId, standardAttributes: { given_name: "David", family_name: "Jones" } } } }),
    });
    expect(((await res.json()) as { errors?: unknown }).errors).toBeUndefined();
    await authgear.webhooks!.idle();
    await eventually(async () => expect(await h.row(3)).toMatchObject({ FirstName: "David", LastName: "Jones" }));
  });

  it("Clerk (Svix-signed): user.updated for a migrated user updates the legacy row", async () => {
    const clerk = new ClerkWebhookEmitter({ url: `${h.svc.url}/webhooks/clerk`, secret: SECRETS.clerk });
    clerk.user("user.updated", { id: "user_2clerk", externalId: "2", email: "bob@example.com", firstName: "Bob", lastName: "Clerkson" });
    await clerk.idle();
    await eventually(async () => expect(await h.row(2)).toMatchObject({ LastName: "Clerkson" }));
    expect(clerk.emitter.deliveries).toEqual([{ id: expect.stringMatching(/^msg_/), attempt: 1, status: 200 }]);
  });

  it("the simulator's signatures verify with the standardwebhooks reference library", async () => {
    const { Webhook } = await import("standardwebhooks");
    const { signHeaders } = await import("../../src/simulators/webhook-emitter.js");
    const body = JSON.stringify({ type: "user.updated", data: { id: "u1" } });
    const headers = signHeaders({ scheme: "standard", secret: SECRETS.std, id: "msg_1", body, nowMs: Date.now() });
    expect(new Webhook(SECRETS.std).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(SECRETS.std).verify(body.replace("u1", "u2"), headers)).toThrow();
    // And a sender that retries gives up after its schedule when nobody answers 2xx.
    const dead = new WebhookEmitter({ url: `${h.svc.url}/webhooks/nope`, scheme: "standard", secret: SECRETS.std, retryDelaysMs: [5, 5] });
    dead.send({ id: "msg_x", body });
    await dead.idle();
    expect(dead.deliveries.map((d) => d.status)).toEqual([404, 404, 404]);
  });
});
