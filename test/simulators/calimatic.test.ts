import { pbkdf2Sync, randomBytes } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startCalimatic, type RunningCalimatic } from "../../src/simulators/calimatic/index.js";

/** shared/vectors/password-hashes.json: bcrypt $2b$ cost 10 of "correct horse battery staple". */
const BCRYPT = "$2b$10$VvC10Nhzh8oCRE6A9ywlS.iV7fjqU4LFPnENq2jGdtLyn.SK0Ybju";
const BCRYPT_PW = "correct horse battery staple";
/** shared/vectors/password-hashes.json: Keycloak pbkdf2-sha256, 27500 iterations, password "test". */
const KC_SECRET = '{"value":"/bVkHA4G/VOskjaCgNYyTz1BhgD+9X8bxCNEPGGpnDCJbWHDXIW0G8IlSBhDdJsXTjrXt/7yQguBwJ3sxSmSKA==","salt":"lZtleWv1DeEcNIr8MTzdeg==","additionalParameters":{}}';
const KC_CRED = '{"hashIterations":27500,"algorithm":"pbkdf2-sha256","additionalParameters":{}}';
const KC_COMBINED = JSON.stringify({ secretData: KC_SECRET, credentialData: KC_CRED });

let sim: RunningCalimatic;
beforeAll(async () => {
  sim = await startCalimatic({ bcryptCost: 4 });
});
afterAll(async () => {
  await sim.close();
});
beforeEach(() => {
  sim.store.users.clear();
  sim.store.orgs.clear();
  sim.store.sessions.clear();
  sim.store.outbox.length = 0;
  sim.faults.set({ failRate: 0 });
});

type Json = { success: boolean; data?: Record<string, any>; error?: { code: string; message: string } };

async function call(method: string, path: string, opts: { body?: unknown; headers?: Record<string, string> } = {}): Promise<{ status: number; json: Json; headers: Headers }> {
  const res = await fetch(`${sim.url}/api/v1${path}`, {
    method,
    headers: { "content-type": "application/json", ...opts.headers },
    ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
  });
  return { status: res.status, json: (await res.json()) as Json, headers: res.headers };
}

const client = () => ({ "x-client-id": sim.credentials.clientId, "x-client-secret": sim.credentials.clientSecret });
const apiKey = () => ({ "x-api-key": sim.credentials.apiKey });
const importUsers = (body: Record<string, unknown>, headers = client()) => call("POST", "/users/import", { body, headers });
const u = (email: string, extra: Record<string, unknown> = {}) => ({ email, firstName: "Jane", lastName: "Smith", ...extra });

describe("calimatic simulator: organizations", () => {
  it("creates with x-api-key, 401 without, 409 with the existing id on a duplicate slug, finds by slug", async () => {
    const body = { name: "Springfield Elementary", slug: "springfield-elementary", domain: "springfield.edu", type: "school", plan: "professional" };
    expect((await call("POST", "/organizations", { body, headers: { "x-api-key": "nope" } })).status).toBe(401);
    expect((await call("POST", "/organizations", { body, headers: client() })).status).toBe(401);
    const created = await call("POST", "/organizations", { body, headers: apiKey() });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ success: true, data: { name: "Springfield Elementary", slug: "springfield-elementary", type: "school", plan: "professional" } });
    const id = created.json.data!.id as string;
    const dup = await call("POST", "/organizations", { body: { ...body, name: "Other" }, headers: apiKey() });
    expect(dup.status).toBe(409);
    expect(dup.json).toMatchObject({ success: false, error: { code: "ORGANIZATION_EXISTS" }, data: { id, slug: "springfield-elementary" } });
    const found = await call("GET", "/organizations?slug=springfield-elementary", { headers: apiKey() });
    expect(found.json.data).toMatchObject({ total: 1, organizations: [{ id }] });
    expect((await call("GET", "/organizations?slug=nope", { headers: apiKey() })).json.data).toMatchObject({ total: 0 });
  });
});

describe("calimatic simulator: users/import", () => {
  it("rejects wrong client credentials (401), more than 500 users (400) and an empty list", async () => {
    expect((await importUsers({ users: [u("a@x.io")] }, { "x-client-id": sim.credentials.clientId, "x-client-secret": "wrong" })).status).toBe(401);
    expect((await importUsers({ users: [u("a@x.io")] }, apiKey() as never)).status).toBe(401);
    const big = await importUsers({ users: Array.from({ length: 501 }, (_, i) => u(`u${i}@x.io`)) });
    expect(big.status).toBe(400);
    expect(big.json).toMatchObject({ success: false, error: { code: "VALIDATION_ERROR" } });
    expect(sim.store.users.size).toBe(0);
    expect((await importUsers({ users: Array.from({ length: 500 }, (_, i) => u(`u${i}@x.io`)) })).json.data).toMatchObject({ total: 500, created: 500 });
    expect((await importUsers({ users: [] })).status).toBe(400);
  });

  it("answers the seed's shape with per-index errors, normalises emails and assigns org, role, licenses", async () => {
    const org = (await call("POST", "/organizations", { body: { name: "S", slug: "s" }, headers: apiKey() })).json.data!.id as string;
    const res = await importUsers({
      users: [
        u(" Jane@School.EDU ", { organizationId: org, role: "edtech_teacher", externalId: "12345", metadata: { phone: "+15551234567" }, passwordHash: BCRYPT }),
        u("bad-email"),
        { email: "nofirst@x.io", lastName: "L" },
        u("long@x.io", { lastName: "x".repeat(101) }),
        u("hash@x.io", { passwordHash: "5f4dcc3b5aa765d61d8327deb882cf99" }),
        u("y@x.io", { passwordHash: "$2y$10$acP1AZs.YWSL623jzZ34JeSP2EWu279XoQ6/sBvaH2ZlZdoMl0fDK" }),
        u("noorg@x.io", { organizationId: "00000000-0000-0000-0000-000000000000" }),
        u("kc@x.io", { passwordHash: KC_COMBINED }),
      ],
      defaultApplications: ["edtech"],
      sendInviteEmails: false,
      skipExisting: true,
    });
    expect(res.status).toBe(200);
    expect(res.json.success).toBe(true);
    const d = res.json.data!;
    expect(d).toMatchObject({ total: 8, created: 2, updated: 0, skipped: 0, failed: 6, message: "Import complete: 2 created, 0 updated, 6 failed" });
    expect(d.errors).toEqual([
      { email: "bad-email", error: "Must be a valid email address", index: 1 },
      { email: "nofirst@x.io", error: "firstName is required", index: 2 },
      { email: "long@x.io", error: "lastName must be at most 100 characters", index: 3 },
      { email: "hash@x.io", error: "Unsupported password hash format", index: 4 },
      { email: "y@x.io", error: "Unsupported password hash format", index: 5 },
      { email: "noorg@x.io", error: "Organization not found", index: 6 },
    ]);
    expect(d.users).toEqual([
      { email: "jane@school.edu", userId: expect.any(String), status: "user_created" },
      { email: "kc@x.io", userId: expect.any(String), status: "user_created" },
    ]);
    const resolved = await call("GET", "/users/resolve?email=JANE@school.edu", { headers: client() });
    expect(resolved.json.data).toMatchObject({
      id: d.users[0].userId,
      email: "jane@school.edu",
      externalId: "12345",
      role: "edtech_teacher",
      organization: { id: org, slug: "s" },
      licenses: [{ application: "edtech", status: "active" }],
      metadata: { phone: "+15551234567" },
      hasPassword: true,
    });
    expect((await call("GET", "/users/resolve?email=none@x.io", { headers: client() })).status).toBe(404);
    expect((await call("GET", "/users/resolve?email=jane@school.edu", { headers: apiKey() })).status).toBe(401);
  });

  it("skipExisting (default true) skips by email; skipExisting:false updates; defaultOrganizationId applies", async () => {
    const org = (await call("POST", "/organizations", { body: { name: "S", slug: "s" }, headers: apiKey() })).json.data!.id as string;
    const first = await importUsers({ users: [u("a@x.io", { externalId: "1" })], defaultOrganizationId: org });
    const id = first.json.data!.users[0].userId;
    expect(sim.store.users.get(id)!.organizationId).toBe(org);
    const again = await importUsers({ users: [u("A@x.io ", { firstName: "Changed" }), u("b@x.io")] });
    expect(again.json.data).toMatchObject({ created: 1, skipped: 1, users: [{ email: "a@x.io", userId: id, status: "skipped" }, { status: "user_created" }] });
    expect(sim.store.users.get(id)!.firstName).toBe("Jane");
    const upd = await importUsers({ users: [u("a@x.io", { firstName: "Changed", role: "org_admin" })], skipExisting: false, defaultApplications: ["hub"] });
    expect(upd.json.data).toMatchObject({ updated: 1, users: [{ userId: id, status: "user_updated" }], message: "Import complete: 0 created, 1 updated, 0 failed" });
    expect(sim.store.users.get(id)).toMatchObject({ firstName: "Changed", role: "org_admin", externalId: "1", applications: ["hub"] });
    expect(sim.store.users.size).toBe(2);
    // Extension: lookup by externalId.
    expect((await call("GET", "/users?externalId=1", { headers: client() })).json.data).toMatchObject({ total: 1, users: [{ id }] });
  });

  it("sends invite emails only when asked", async () => {
    await importUsers({ users: [u("a@x.io")] });
    expect(sim.store.outbox).toHaveLength(0);
    await importUsers({ users: [u("b@x.io")], sendInviteEmails: true });
    expect(sim.store.outbox).toMatchObject([{ kind: "invite", to: "b@x.io" }]);
  });
});

describe("calimatic simulator: sign-in", () => {
  it("verifies bcrypt; wrong password 401; disabled 403", async () => {
    await importUsers({ users: [u("a@x.io", { passwordHash: BCRYPT }), u("off@x.io", { passwordHash: BCRYPT, status: "disabled" }), u("nopw@x.io")] });
    const ok = await call("POST", "/auth/sign-in", { body: { email: "A@x.io", password: BCRYPT_PW } });
    expect(ok.status).toBe(200);
    expect(ok.json.data).toMatchObject({ token: expect.any(String), mustChangePassword: false, user: { email: "a@x.io" } });
    expect(ok.headers.get("set-cookie")).toContain("calimatic_session=");
    expect((await call("POST", "/auth/sign-in", { body: { email: "a@x.io", password: "nope" } })).status).toBe(401);
    expect((await call("POST", "/auth/sign-in", { body: { email: "nopw@x.io", password: "" } })).status).toBe(401);
    expect((await call("POST", "/auth/sign-in", { body: { email: "ghost@x.io", password: BCRYPT_PW } })).status).toBe(401);
    const off = await call("POST", "/auth/sign-in", { body: { email: "off@x.io", password: BCRYPT_PW } });
    expect(off.status).toBe(403);
    expect(off.json.error?.code).toBe("ACCOUNT_DISABLED");
    expect(sim.store.findUserByEmail("a@x.io")!.lastLoginAt).not.toBeNull();
  });

  it("verifies Keycloak PBKDF2 in both JSON layouts and upgrades it to bcrypt on first successful login", async () => {
    const salt = randomBytes(16);
    const dk = pbkdf2Sync("s3cret!", salt, 1000, 64, "sha512");
    const flat = JSON.stringify({ value: dk.toString("base64"), salt: salt.toString("base64"), hashIterations: 1000, algorithm: "pbkdf2-sha512" });
    await importUsers({ users: [u("kc@x.io", { passwordHash: KC_COMBINED }), u("flat@x.io", { passwordHash: flat })] });
    const kc = sim.store.findUserByEmail("kc@x.io")!;
    expect(kc.password?.kind).toBe("pbkdf2");
    expect((await call("POST", "/auth/sign-in", { body: { email: "kc@x.io", password: "wrong" } })).status).toBe(401);
    expect(kc.password?.kind).toBe("pbkdf2");
    expect((await call("POST", "/auth/sign-in", { body: { email: "kc@x.io", password: "test" } })).status).toBe(200);
    expect(kc.password).toMatchObject({ kind: "bcrypt", hash: expect.stringMatching(/^\$2b\$04\$/) });
    expect((await call("POST", "/auth/sign-in", { body: { email: "kc@x.io", password: "test" } })).status).toBe(200);
    expect((await call("POST", "/auth/sign-in", { body: { email: "flat@x.io", password: "s3cret!" } })).status).toBe(200);
    expect(sim.store.findUserByEmail("flat@x.io")!.password?.kind).toBe("bcrypt");
  });

  it("temporary passwords sign in with mustChangePassword:true", async () => {
    await importUsers({ users: [u("t@x.io", { temporaryPassword: "TempP@ss2024!" })] });
    const res = await call("POST", "/auth/sign-in", { body: { email: "t@x.io", password: "TempP@ss2024!" } });
    expect(res.status).toBe(200);
    expect(res.json.data).toMatchObject({ mustChangePassword: true });
    const both = await importUsers({ users: [u("both@x.io", { temporaryPassword: "TempP@ss2024!", passwordHash: BCRYPT })] });
    expect(both.json.data!.errors[0]).toMatchObject({ index: 0, error: "Provide either passwordHash or temporaryPassword, not both" });
  });
});

describe("calimatic simulator: reset, delete, migration-status, faults, rate limit", () => {
  it("reset-password records a mail; delete removes the user", async () => {
    const id = (await importUsers({ users: [u("a@x.io")] })).json.data!.users[0].userId as string;
    const r = await call("POST", `/users/${id}/reset-password`, { headers: client() });
    expect(r.json).toMatchObject({ success: true, data: { userId: id } });
    expect(sim.store.outbox).toMatchObject([{ kind: "password_reset", to: "a@x.io", userId: id }]);
    expect((await call("POST", "/users/nope/reset-password", { headers: client() })).status).toBe(404);
    expect((await call("GET", `/users/${id}`, { headers: client() })).json.data).toMatchObject({ id, email: "a@x.io" });
    expect((await call("DELETE", `/users/${id}`, { headers: client() })).status).toBe(200);
    expect((await call("DELETE", `/users/${id}`, { headers: client() })).status).toBe(404);
    expect((await call("GET", `/users/${id}`, { headers: client() })).status).toBe(404);
  });

  it("migration-status computes the seed's numbers from the store, with the admin cookie or client credentials", async () => {
    const org = (await call("POST", "/organizations", { body: { name: "S", slug: "s" }, headers: apiKey() })).json.data!.id as string;
    await importUsers({ users: [u("a@x.io", { organizationId: org, passwordHash: BCRYPT }), u("b@x.io", { organizationId: org }), u("c@x.io")] });
    await sim.store.addUser({ email: "native@x.io", source: "self_registration", organizationId: org });
    await sim.store.addUser({ email: "kc@x.io", source: "keycloak_sync", status: "pending_verification", emailVerified: false });
    await call("POST", "/auth/sign-in", { body: { email: "a@x.io", password: BCRYPT_PW } });
    expect((await call("GET", "/tools/migration-status")).status).toBe(401);
    expect((await call("GET", "/tools/migration-status", { headers: { cookie: "calimatic_session=forged" } })).status).toBe(401);
    const byCookie = await call("GET", "/tools/migration-status", { headers: { cookie: `other=1; ${sim.credentials.sessionCookie}` } });
    expect(byCookie.status).toBe(200);
    expect(byCookie.json).toEqual({
      success: true,
      data: {
        totalUsers: 5,
        migrationProgress: { migratedUsers: 3, nativeUsers: 2, migrationPercentage: 60 },
        bySource: [
          { source: "provisioning", count: 3 },
          { source: "self_registration", count: 1 },
          { source: "keycloak_sync", count: 1 },
        ],
        byStatus: [
          { status: "active", count: 4 },
          { status: "pending_verification", count: 1 },
        ],
        health: { emailVerified: 1, emailVerifiedPercentage: 20, hasLoggedIn: 1, hasLoggedInPercentage: 20, hasOrganization: 3, hasOrganizationPercentage: 60 },
      },
    });
    const byClient = await call("GET", "/tools/migration-status", { headers: client() });
    expect(byClient.json).toEqual(byCookie.json);
  });

  it("an org admin's own session cookie also opens migration-status", async () => {
    await importUsers({ users: [u("admin@x.io", { role: "org_admin", passwordHash: BCRYPT }), u("m@x.io", { passwordHash: BCRYPT })] });
    const admin = await call("POST", "/auth/sign-in", { body: { email: "admin@x.io", password: BCRYPT_PW } });
    const member = await call("POST", "/auth/sign-in", { body: { email: "m@x.io", password: BCRYPT_PW } });
    expect((await call("GET", "/tools/migration-status", { headers: { cookie: `calimatic_session=${admin.json.data!.token}` } })).status).toBe(200);
    expect((await call("GET", "/tools/migration-status", { headers: { cookie: `calimatic_session=${member.json.data!.token}` } })).status).toBe(401);
  });

  it("faults answer in Calimatic's envelope", async () => {
    sim.faults.set({ failRate: 1, seed: 3 });
    const r = await importUsers({ users: [u("a@x.io")] });
    expect(r.status).toBe(500);
    expect(r.json).toMatchObject({ success: false, error: { code: "INTERNAL_ERROR" } });
  });

  it("rate limit: 429 with Retry-After", async () => {
    const limited = await startCalimatic({ rateLimit: 1, rateLimitBurst: 1 });
    try {
      const h = { "x-client-id": limited.credentials.clientId, "x-client-secret": limited.credentials.clientSecret };
      const first = await fetch(`${limited.url}/api/v1/users/resolve?email=a@x.io`, { headers: h });
      expect(first.status).toBe(404);
      const second = await fetch(`${limited.url}/api/v1/users/resolve?email=a@x.io`, { headers: h });
      expect(second.status).toBe(429);
      expect(Number(second.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      expect(await second.json()).toMatchObject({ success: false, error: { code: "RATE_LIMITED" } });
    } finally {
      await limited.close();
    }
  });
});
