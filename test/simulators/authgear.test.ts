import { createPrivateKey, generateKeyPairSync } from "node:crypto";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hash } from "@node-rs/bcrypt";
import { startAuthgear, userNodeId, type RunningAuthgear } from "../../src/simulators/authgear/index.js";

let sim: RunningAuthgear;
let token: string;

async function sign(opts: { key?: string; kid?: string; aud?: string | string[]; expSec?: number; iat?: boolean } = {}): Promise<string> {
  const jwt = new SignJWT({}).setProtectedHeader({ alg: "RS256", kid: opts.kid ?? sim.keyId, typ: "JWT" }).setAudience(opts.aud ?? sim.appId);
  if (opts.iat !== false) jwt.setIssuedAt();
  jwt.setExpirationTime(Math.floor(Date.now() / 1000) + (opts.expSec ?? 300));
  return jwt.sign(createPrivateKey(opts.key ?? sim.privateKeyPem));
}

async function api(method: string, path: string, body?: unknown, bearer = token): Promise<{ status: number; json: any }> {
  const res = await fetch(sim.url + path, {
    method,
    headers: { authorization: `Bearer ${bearer}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
  return { status: res.status, json: await res.json().catch(() => null) };
}

async function importAndWait(body: unknown): Promise<any> {
  const started = await api("POST", "/_api/admin/users/import", body);
  expect(started.status).toBe(200);
  expect(started.json.result.status).toBe("pending");
  expect(started.json.result.id).toMatch(/^userimport_/);
  for (;;) {
    const r = await api("GET", `/_api/admin/users/import/${started.json.result.id}`);
    if (r.json.result.status === "completed") return r.json.result;
    await new Promise((res) => setTimeout(res, 10));
  }
}

async function gql(query: string, variables: Record<string, unknown> = {}): Promise<any> {
  return (await api("POST", "/_api/admin/graphql", { query, variables })).json;
}

const HASH = await hash("correct horse", 4);

beforeAll(async () => {
  sim = await startAuthgear({ taskDelayMs: 5, createSession: true });
  token = await sign();
});
afterAll(() => sim.close());

describe("authgear simulator: Admin API JWT", () => {
  it("accepts RS256 + kid + aud = app id; rejects missing, foreign-key, wrong kid, wrong aud, expired, no iat with 401 Unauthorized", async () => {
    expect((await api("GET", "/_api/admin/users/import/nope")).status).toBe(404);
    const other = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    const bad = [
      "",
      "not-a-jwt",
      await sign({ key: other }),
      await sign({ kid: "other-kid" }),
      await sign({ aud: "otherapp" }),
      await sign({ expSec: -10 }),
      await sign({ iat: false }),
    ];
    for (const b of bad) {
      const r = await api("GET", "/_api/admin/users/import/nope", undefined, b);
      expect(r.status).toBe(401);
      expect(r.json.error).toMatchObject({ name: "Unauthorized", code: 401 });
    }
    expect((await api("GET", "/_api/admin/users/import/nope", undefined, await sign({ aud: ["x", sim.appId] }))).status).toBe(404);
  });
});

describe("authgear simulator: User Import API", () => {
  it("imports asynchronously: pending, then completed with summary and per-record details (hash redacted)", async () => {
    const result = await importAndWait({
      identifier: "email",
      records: [
        { email: "A@x.test", email_verified: true, name: "A", given_name: "Ann", password: { type: "bcrypt", password_hash: HASH } },
        { email: "b@x.test", email_verified: false, disabled: true },
        { email: "c@x.test", password: { type: "pbkdf2", password_hash: "x" } },
        { phone_number: "+85298765432" },
        { email: "d@x.test", unknown_field: 1 },
      ],
    });
    expect(result.summary).toEqual({ total: 5, inserted: 2, updated: 0, skipped: 0, failed: 3 });
    expect(result.details.map((d: any) => d.outcome)).toEqual(["inserted", "inserted", "failed", "failed", "failed"]);
    expect(result.details[0].record.password.password_hash).toBe("REDACTED");
    expect(JSON.stringify(result)).not.toContain(HASH);
    expect(result.details[1].warnings).toContainEqual({ message: "email_verified = false has no effect in insert." });
    expect(result.details[2].errors[0]).toMatchObject({ name: "Invalid", reason: "ValidationFailed", code: 400 });
    const a = sim.store.users.get(result.details[0].user_id)!;
    expect(a).toMatchObject({ email: "a@x.test", emailVerified: true, disabled: false, passwordHash: HASH });
    expect(sim.store.users.get(result.details[1].user_id)!.disabled).toBe(true);
  });

  it("skips existing identifiers unless upsert; upsert updates the profile but never the password", async () => {
    const other = await hash("other", 4);
    const skipped = await importAndWait({ identifier: "email", records: [{ email: "a@x.test", name: "New", password: { type: "bcrypt", password_hash: other } }] });
    expect(skipped.details[0]).toMatchObject({ outcome: "skipped", warnings: [{ message: "skipping because upsert = false and user exists" }] });
    const updated = await importAndWait({ identifier: "email", upsert: true, records: [{ email: "a@x.test", name: "New", password: { type: "bcrypt", password_hash: other } }] });
    expect(updated.details[0].outcome).toBe("updated");
    const u = sim.store.users.get(updated.details[0].user_id)!;
    expect(u.standardAttributes.name).toBe("New");
    expect(u.passwordHash).toBe(HASH);
  });

  it("splits a request into tasks of 100 and numbers details across tasks; rejects bodies over 500 KB with 413", async () => {
    const records = Array.from({ length: 250 }, (_, i) => ({ email: `bulk${i}@x.test` }));
    const r = await importAndWait({ identifier: "email", records });
    expect(r.summary.inserted).toBe(250);
    expect(r.details.map((d: any) => d.index)).toEqual(records.map((_, i) => i));
    expect([...sim.store.jobs.values()].at(-1)!.tasks).toHaveLength(3);
    const big = { identifier: "email", records: Array.from({ length: 6000 }, (_, i) => ({ email: `big${i}@x.test`, name: "x".repeat(80) })) };
    const tooBig = await api("POST", "/_api/admin/users/import", big);
    expect(tooBig.status).toBe(413);
    expect(tooBig.json.error).toMatchObject({ name: "RequestEntityTooLarge", code: 413 });
    expect((await api("POST", "/_api/admin/users/import", { identifier: "nickname", records: [{}] })).status).toBe(400);
    expect((await api("POST", "/_api/admin/users/import", { identifier: "email", records: [] })).status).toBe(400);
    expect((await api("GET", "/_api/admin/users/import/userimport_nope")).json.error).toMatchObject({ name: "NotFound", reason: "JobNotFound" });
  });
});

describe("authgear simulator: GraphQL, login flow, OIDC", () => {
  it("looks users up by login id / standard attribute / node id, counts and deletes", async () => {
    const r = await gql(
      `query q($v: String!) { a: getUserByLoginID(loginIDKey: "email", loginIDValue: $v) { id isDisabled standardAttributes authenticators { edges { node { type kind } } } }
        b: getUsersByStandardAttribute(attributeName: "email", attributeValue: "nobody@x.test") { id }
        users(first: 1) { totalCount edges { node { id } } } }`,
      { v: "a@x.test" },
    );
    expect(r.errors).toBeUndefined();
    expect(r.data.a.standardAttributes).toMatchObject({ email: "a@x.test", name: "New", email_verified: true });
    expect(r.data.a.authenticators.edges).toEqual([{ node: { type: "PASSWORD", kind: "PRIMARY" } }]);
    expect(r.data.b).toEqual([]);
    expect(r.data.users.totalCount).toBe(sim.store.users.size);
    const node = await gql(`query($id: ID!) { node(id: $id) { __typename ... on User { id } } }`, { id: r.data.a.id });
    expect(node.data.node).toEqual({ __typename: "User", id: r.data.a.id });
    const bad = await gql(`{ users { edges { node { passwordHash } } } }`);
    expect(bad.errors[0].message).toMatch(/not simulated/);

    const victim = [...sim.store.users.values()].find((u) => u.email === "bulk0@x.test")!;
    const del = await gql(`mutation($id: ID!) { deleteUser(input: { userID: $id }) { deletedUserID } }`, { id: userNodeId(victim.id) });
    expect(del.data.deleteUser.deletedUserID).toBe(userNodeId(victim.id));
    expect(sim.store.users.has(victim.id)).toBe(false);
    const again = await gql(`mutation($id: ID!) { deleteUser(input: { userID: $id }) { deletedUserID } }`, { id: userNodeId(victim.id) });
    expect(again.errors[0].extensions).toMatchObject({ errorName: "NotFound" });
  });

  it("logs a bcrypt user in through the authentication flow; wrong password and disabled users are refused", async () => {
    const login = async (email: string, password: string) => {
      const start: any = await (await fetch(`${sim.url}/api/v1/authentication_flows`, { method: "POST", body: JSON.stringify({ type: "login", name: "default" }) })).json();
      const input = (input: unknown) => fetch(`${sim.url}/api/v1/authentication_flows/states/input`, { method: "POST", body: JSON.stringify({ state_token: start.result.state_token, input }) });
      const id = await input({ identification: "email", login_id: email });
      if (id.status !== 200) return ((await id.json()) as any).error.reason;
      const pw = await input({ authentication: "primary_password", password });
      const j: any = await pw.json();
      return pw.status === 200 ? j.result.action.type : j.error.reason;
    };
    expect(await login("a@x.test", "correct horse")).toBe("finished");
    expect(await login("a@x.test", "wrong")).toBe("InvalidCredentials");
    expect(await login("nobody@x.test", "x")).toBe("UserNotFound");
  });

  it("serves discovery + JWKS and createSession tokens verify against them", async () => {
    const conf: any = await (await fetch(`${sim.url}/.well-known/openid-configuration`)).json();
    expect(conf.jwks_uri).toBe(`${sim.url}/oauth2/jwks`);
    const a = [...sim.store.users.values()].find((u) => u.email === "a@x.test")!;
    const s = await gql(`mutation($id: ID!) { createSession(input: { userID: $id, clientID: "c1" }) { accessToken expiresIn } }`, { id: userNodeId(a.id) });
    const { jwtVerify, createRemoteJWKSet } = await import("jose");
    const v = await jwtVerify(s.data.createSession.accessToken, createRemoteJWKSet(new URL(conf.jwks_uri)), { issuer: sim.url });
    expect(v.payload.sub).toBe(a.id);
  });
});

describe("authgear simulator: rate limit and faults", () => {
  it("answers 429 TooManyRequest with the Authgear error envelope", async () => {
    const limited = await startAuthgear({ rateLimit: 2 });
    try {
      const t = await new SignJWT({}).setProtectedHeader({ alg: "RS256", kid: limited.keyId }).setAudience(limited.appId).setIssuedAt().setExpirationTime("5m").sign(createPrivateKey(limited.privateKeyPem));
      const statuses: number[] = [];
      let body: any;
      for (let i = 0; i < 5; i++) {
        const r = await fetch(`${limited.url}/_api/admin/users/import/x`, { headers: { authorization: `Bearer ${t}` } });
        statuses.push(r.status);
        if (r.status === 429) body = await r.json();
      }
      expect(statuses).toContain(429);
      expect(body.error).toMatchObject({ name: "TooManyRequest", code: 429 });
    } finally {
      await limited.close();
    }
  });
});
