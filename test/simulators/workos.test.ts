import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { convert } from "../../src/hashes/index.js";
import { simulators } from "../../src/simulators/index.js";
import { startWorkosSimulator, type RunningWorkosSimulator } from "../../src/simulators/workos/index.js";

type J = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function client(sim: RunningWorkosSimulator, key = sim.apiKey) {
  return async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: J; headers: Headers }> => {
    const res = await fetch(sim.url + path, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { "content-type": "application/json" } : {}), ...headers },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as J) : {}, headers: res.headers };
  };
}

async function signIn(sim: RunningWorkosSimulator, email: string, password: string): Promise<number> {
  const res = await fetch(`${sim.url}/user_management/authenticate`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ client_id: sim.clientId, client_secret: sim.apiKey, grant_type: "password", email, password }),
  });
  await res.text();
  return res.status;
}

describe("WorkOS simulator", () => {
  let sim: RunningWorkosSimulator;
  let api: ReturnType<typeof client>;
  beforeAll(async () => {
    sim = await startWorkosSimulator({ roles: ["member", "admin", "owner"] });
    api = client(sim);
  });
  afterAll(() => sim.close());

  it("is registered and checks the API key (401 without the right Bearer key)", async () => {
    expect(simulators.workos).toBeDefined();
    expect(sim.apiKey).toMatch(/^sk_test_/);
    const r = await client(sim, "sk_test_wrong")("GET", "/user_management/users?limit=1");
    expect(r.status).toBe(401);
    const ok = await api("GET", "/user_management/users?limit=1");
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ object: "list", data: [], list_metadata: { before: null, after: null } });
    expect(ok.headers.get("x-request-id")).toBeTruthy();
  });

  it("creates users with a bcrypt hash; the old password authenticates", async () => {
    const r = await api("POST", "/user_management/users", {
      email: "Jane@Example.com",
      first_name: "Jane",
      last_name: "Doe",
      email_verified: true,
      external_id: "legacy-1",
      password_hash: "$2b$10$VvC10Nhzh8oCRE6A9ywlS.iV7fjqU4LFPnENq2jGdtLyn.SK0Ybju",
      password_hash_type: "bcrypt",
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ object: "user", email: "jane@example.com", first_name: "Jane", external_id: "legacy-1", email_verified: true });
    expect(r.body.id).toMatch(/^user_[0-9A-Z]{26}$/);
    expect(await signIn(sim, "JANE@example.com", "correct horse battery staple")).toBe(200);
    expect(await signIn(sim, "jane@example.com", "wrong")).toBe(400);
    const byExt = await api("GET", "/user_management/users/external_id/legacy-1");
    expect(byExt.body.id).toBe(r.body.id);
    expect(byExt.body._simulator).toEqual({ has_password: true, password_source: "bcrypt" });
  });

  it("reports duplicates: email (422 email_not_available by default, 409 user_already_exists as option) and external_id", async () => {
    const dup = await api("POST", "/user_management/users", { email: "jane@EXAMPLE.com" });
    expect(dup.status).toBe(422);
    expect(dup.body).toMatchObject({ code: "user_creation_error", errors: [{ code: "email_not_available" }] });
    sim.store.options.duplicateEmail = "409";
    const dup409 = await api("POST", "/user_management/users", { email: "jane@example.com" });
    expect(dup409.status).toBe(409);
    expect(dup409.body.code).toBe("user_already_exists");
    sim.store.options.duplicateEmail = "422";
    const ext = await api("POST", "/user_management/users", { email: "other@example.com", external_id: "legacy-1" });
    expect(ext.status).toBe(422);
    expect(ext.body.errors[0].code).toBe("external_id_already_used");
  });

  it("rejects invalid emails, unknown hash types and malformed hashes with 422 + errors[]", async () => {
    for (const email of ["not-an-email", " spaced@example.com", "a@b"]) {
      const r = await api("POST", "/user_management/users", { email });
      expect(r.status).toBe(422);
      expect(r.body.errors[0]).toMatchObject({ field: "email", code: "email_invalid" });
    }
    const type = await api("POST", "/user_management/users", { email: "t@example.com", password_hash: "x", password_hash_type: "md5" });
    expect(type.status).toBe(422);
    expect(type.body.errors[0].field).toBe("password_hash_type");
    expect(type.body.message).toMatch(/Invalid password hash type/);
    const bad = await api("POST", "/user_management/users", { email: "t@example.com", password_hash: "$2b$10$short", password_hash_type: "bcrypt" });
    expect(bad.status).toBe(422);
    expect(bad.body.errors[0].field).toBe("password_hash");
    const notJson = await fetch(`${sim.url}/user_management/users`, { method: "POST", headers: { authorization: `Bearer ${sim.apiKey}` }, body: "{" });
    expect(notJson.status).toBe(400);
    expect(sim.store.userByEmail("t@example.com")).toBeUndefined();
  });

  it("accepts every password_hash_type as authmigrate encodes it, and both firebase-scrypt layouts", async () => {
    const cases = [
      { format: "scrypt-phc", value: "$scrypt$ln=14,r=8,p=1$HLuG/HRh9DI1WLNN7+YhfQ$cRcGC12rG/YzivYwz8f83QmjqRNV90DCDsSb6rAbCgE", pw: "correct horse battery staple" },
      { format: "ldap-ssha", value: "{SSHA}JFZFs0oHzxbMwkSJmYVeI8MnTDy/276a", pw: "test123" },
      { format: "pbkdf2-sha256-django", value: "pbkdf2_sha256$260000$Xk4gHbqP2vRmYt8wLs6nQe$oiFzCBcaAPpsQ3HWEdI+4Sjf7+jl6q8XpjI1KnYBYdA=", pw: "correct horse battery staple" },
      { format: "argon2id", value: "$argon2id$v=19$m=32,t=2,p=4$cm94YnRVOW5jZzFzcVE4bQ$MNzk5BtR2vUhrp6qQEjRNw", pw: "test" },
      {
        format: "firebase-scrypt",
        value: "lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==",
        params: { signer_key: "jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==", salt_separator: "Bw==", rounds: 8, mem_cost: 14, salt: "42xEC+ixf3L2lw==" },
        pw: "user1password",
      },
    ];
    for (const [i, c] of cases.entries()) {
      const fields = convert({ format: c.format, value: c.value, params: c.params ?? {} }, "workos").fields;
      const email = `hash${i}@example.com`;
      const r = await api("POST", "/user_management/users", { email, ...fields });
      expect(r.status, c.format).toBe(201);
      expect(await signIn(sim, email, c.pw), c.format).toBe(200);
      expect(await signIn(sim, email, c.pw + "x"), c.format).toBe(400);
    }
    // The skill-doc layout: $firebase-scrypt$sk=…$ss=…$rounds=…$mem_cost=…$salt=…$<hash>
    const p = cases[4]!.params!;
    const skill = `$firebase-scrypt$sk=${p.signer_key}$ss=${p.salt_separator}$rounds=${p.rounds}$mem_cost=${p.mem_cost}$salt=${p.salt}$${cases[4]!.value}`;
    const r = await api("POST", "/user_management/users", { email: "fb-skill@example.com", password_hash: skill, password_hash_type: "firebase-scrypt" });
    expect(r.status).toBe(201);
    expect(await signIn(sim, "fb-skill@example.com", "user1password")).toBe(200);
    expect(sim.store.firebaseLayouts).toEqual({ "key-value": 1, "skill-doc": 1 });
  });

  it("lists users by email with cursor pagination", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await api("POST", "/user_management/users", { email: `page${i}@example.com` })).body.id as string);
    const byEmail = await api("GET", "/user_management/users?email=PAGE3@example.com");
    expect(byEmail.body.data.map((u: J) => u.id)).toEqual([ids[3]]);
    const seen: string[] = [];
    let after: string | null = null;
    do {
      const page: { body: J } = await api("GET", `/user_management/users?limit=3&order=asc${after ? `&after=${after}` : ""}`);
      seen.push(...page.body.data.map((u: J) => u.id as string));
      after = page.body.list_metadata.after as string | null;
    } while (after);
    expect(seen.length).toBe(sim.store.users.size);
    expect(seen.slice(-5)).toEqual(ids);
    const desc = await api("GET", "/user_management/users?limit=2");
    expect(desc.body.data[0].id).toBe(ids[4]);
    expect((await api("GET", "/user_management/users?limit=500")).status).toBe(422);
  });

  it("updates (PUT) and deletes users", async () => {
    const u = (await api("POST", "/user_management/users", { email: "upd@example.com" })).body;
    const put = await api("PUT", `/user_management/users/${u.id}`, { email_verified: true, first_name: "Up", password: "a-new-password" });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ email_verified: true, first_name: "Up", name: "Up" });
    expect(await signIn(sim, "upd@example.com", "a-new-password")).toBe(200);
    expect((await api("DELETE", `/user_management/users/${u.id}`)).status).toBe(202);
    expect((await api("GET", `/user_management/users/${u.id}`)).status).toBe(404);
    expect((await api("DELETE", `/user_management/users/${u.id}`)).status).toBe(404);
  });

  it("organizations, memberships with roles, duplicate membership, multiple roles not enabled", async () => {
    const org = await api("POST", "/organizations", { name: "Acme", external_id: "t-1", domain_data: [{ domain: "acme.test", state: "pending" }] });
    expect(org.status).toBe(201);
    expect(org.body).toMatchObject({ object: "organization", name: "Acme", external_id: "t-1", domains: [{ domain: "acme.test", state: "pending" }] });
    expect((await api("GET", "/organizations/external_id/t-1")).body.id).toBe(org.body.id);
    expect((await api("POST", "/organizations", { name: "Acme 2", external_id: "t-1" })).status).toBe(422);
    const user = (await api("POST", "/user_management/users", { email: "member@example.com" })).body;
    const m = await api("POST", "/user_management/organization_memberships", { user_id: user.id, organization_id: org.body.id, role_slug: "admin" });
    expect(m.status).toBe(201);
    expect(m.body).toMatchObject({ object: "organization_membership", status: "active", role: { slug: "admin" }, organization_name: "Acme" });
    const again = await api("POST", "/user_management/organization_memberships", { user_id: user.id, organization_id: org.body.id });
    expect(again.status).toBe(422);
    expect(again.body.message).toMatch(/already a member/);
    const multi = await api("PUT", `/user_management/organization_memberships/${m.body.id}`, { role_slugs: ["admin", "owner"] });
    expect(multi.body.code).toBe("multiple_roles_not_enabled");
    expect((await api("PUT", `/user_management/organization_memberships/${m.body.id}`, { role_slug: "nope" })).body.code).toBe("role_not_found");
    const list = await api("GET", `/user_management/organization_memberships?user_id=${user.id}`);
    expect(list.body.data).toHaveLength(1);
    expect((await api("GET", `/user_management/users?organization_id=${org.body.id}`)).body.data.map((u: J) => u.id)).toEqual([user.id]);
  });

  it("password reset goes to the outbox; its token sets a new password", async () => {
    const r = await api("POST", "/user_management/password_reset", { email: "Member@example.com" });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ object: "password_reset", email: "member@example.com" });
    expect(sim.store.outbox.at(-1)).toMatchObject({ kind: "password_reset", email: "member@example.com" });
    expect((await api("POST", "/user_management/password_reset", { email: "nobody@example.com" })).status).toBe(404);
    await api("POST", "/user_management/password_reset/confirm", { token: r.body.password_reset_token, new_password: "brand-new-pass" });
    expect(await signIn(sim, "member@example.com", "brand-new-pass")).toBe(200);
  });

  it("replays POSTs with the same Idempotency-Key", async () => {
    const h = { "idempotency-key": "k-1" };
    const a = await api("POST", "/user_management/users", { email: "idem@example.com" }, h);
    const b = await api("POST", "/user_management/users", { email: "idem@example.com" }, h);
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(b.body.id).toBe(a.body.id);
    expect(b.headers.get("idempotent-replayed")).toBe("true");
  });

  it("requires verified emails when configured (403 email_verification_required)", async () => {
    sim.store.options.requireVerifiedEmail = true;
    try {
      await api("POST", "/user_management/users", { email: "unverified@example.com", password: "long-enough-pw" });
      expect(await signIn(sim, "unverified@example.com", "long-enough-pw")).toBe(403);
    } finally {
      sim.store.options.requireVerifiedEmail = false;
    }
  });
});

describe("WorkOS simulator rate limits and faults", () => {
  it("answers 429 with Retry-After once the write bucket is empty", async () => {
    const sim = await startWorkosSimulator({ writesPerSecond: 2 });
    try {
      const api = client(sim);
      const statuses: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 4; i++) {
        const r = await api("POST", "/user_management/users", { email: `rl${i}@example.com` });
        statuses.push(r.status);
        if (r.status === 429) {
          retryAfter = r.headers.get("retry-after");
          expect(r.body.code).toBe("rate_limit_exceeded");
        }
      }
      expect(statuses.slice(0, 2)).toEqual([201, 201]);
      expect(statuses).toContain(429);
      expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
      expect((await api("GET", "/user_management/users")).status).toBe(200);
    } finally {
      await sim.close();
    }
  });

  it("injects faults through the kit with WorkOS-shaped bodies", async () => {
    const sim = await startWorkosSimulator({ faults: { failRate: 1, failStatus: 503 } });
    try {
      const r = await client(sim)("GET", "/user_management/users");
      expect(r.status).toBe(503);
      expect(r.body.code).toBe("server_error");
      sim.faults.set({ failRate: 0 });
      expect((await client(sim)("GET", "/user_management/users")).status).toBe(200);
    } finally {
      await sim.close();
    }
  });
});
