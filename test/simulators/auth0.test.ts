import { readFileSync } from "node:fs";
import path from "node:path";
import { hash } from "@node-rs/bcrypt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { convert } from "../../src/hashes/index.js";
import { simulators } from "../../src/simulators/index.js";
import { startAuth0, validateUser, type RunningAuth0 } from "../../src/simulators/auth0/index.js";

type Vector = { format: string; hash: string; params: Record<string, unknown>; password: string; valid: boolean };
const VECTORS = (JSON.parse(readFileSync(path.resolve(__dirname, "../../../shared/vectors/password-hashes.json"), "utf8")) as { vectors: Vector[] }).vectors;

let sim: RunningAuth0;
let token: string;

async function getToken(s: RunningAuth0 = sim): Promise<string> {
  const r = await fetch(`${s.url}/oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ grant_type: "client_credentials", client_id: s.clientId, client_secret: s.clientSecret, audience: s.audience }),
  });
  return ((await r.json()) as { access_token: string }).access_token;
}

function api(p: string, init: RequestInit = {}, s: RunningAuth0 = sim, t = token): Promise<Response> {
  return fetch(`${s.url}${p}`, { ...init, headers: { authorization: `Bearer ${t}`, ...(init.headers ?? {}) } });
}

function importForm(users: unknown[] | string, extra: Record<string, string> = {}, s: RunningAuth0 = sim): FormData {
  const f = new FormData();
  f.append("users", new Blob([typeof users === "string" ? users : JSON.stringify(users)], { type: "application/json" }), "users.json");
  f.append("connection_id", s.connectionId);
  for (const [k, v] of Object.entries(extra)) f.append(k, v);
  return f;
}

async function runJob(users: unknown[], extra: Record<string, string> = {}, s: RunningAuth0 = sim, t = token): Promise<{ job: Record<string, unknown>; errors: { user: Record<string, unknown>; errors: { code: string; path: string }[] }[] }> {
  const r = await api("/api/v2/jobs/users-imports", { method: "POST", body: importForm(users, extra, s) }, s, t);
  expect(r.status).toBe(201);
  const created = (await r.json()) as { id: string; status: string };
  expect(created.status).toBe("pending");
  for (;;) {
    await new Promise((res) => setTimeout(res, 5));
    const job = (await (await api(`/api/v2/jobs/${created.id}`, {}, s, t)).json()) as Record<string, unknown>;
    if (job.status === "completed" || job.status === "failed") {
      const er = await api(`/api/v2/jobs/${created.id}/errors`, {}, s, t);
      return { job, errors: er.status === 204 ? [] : ((await er.json()) as never) };
    }
  }
}

async function signIn(email: string, password: string, s: RunningAuth0 = sim): Promise<number> {
  const r = await fetch(`${s.url}/oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ grant_type: "http://auth0.com/oauth/grant-type/password-realm", realm: s.connectionName, username: email, password, client_id: s.clientId, client_secret: s.clientSecret }),
  });
  return r.status;
}

beforeAll(async () => {
  sim = await startAuth0({ jobDelayMs: 2 });
  token = await getToken();
});
afterAll(() => sim.close());

describe("auth0 simulator: auth", () => {
  it("is registered and issues Management API tokens for the right client/audience only", async () => {
    expect(simulators.auth0?.id).toBe("auth0");
    expect(token.split(".")).toHaveLength(3);
    const bad = await fetch(`${sim.url}/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ grant_type: "client_credentials", client_id: sim.clientId, client_secret: "wrong", audience: sim.audience }),
    });
    expect(bad.status).toBe(401);
    expect(await bad.json()).toMatchObject({ error: "access_denied" });
    expect((await api("/api/v2/users", {}, sim, "nope")).status).toBe(401);
    const ok = await api("/api/v2/users?include_totals=true");
    expect(ok.status).toBe(200);
    expect(ok.headers.get("x-ratelimit-limit")).toBeTruthy();
    expect(ok.headers.get("x-ratelimit-remaining")).toBeTruthy();
    expect(Number(ok.headers.get("x-ratelimit-reset"))).toBeGreaterThan(Date.now() / 1000 - 1);
  });

  it("expired tokens answer 401 Expired token", async () => {
    const s = await startAuth0();
    try {
      const t = await getToken(s);
      s.expireTokens();
      const r = await api("/api/v2/users", {}, s, t);
      expect(r.status).toBe(401);
      expect(await r.json()).toMatchObject({ message: "Expired token" });
    } finally {
      await s.close();
    }
  });
});

describe("auth0 simulator: bulk import jobs", () => {
  it("imports users asynchronously; summary counts; user_id gets the auth0| prefix; lookups by email and id", async () => {
    const pw = await hash("old-pass", 4);
    const { job, errors } = await runJob([
      { email: "Ann@Example.com", email_verified: true, user_id: "legacy-1", given_name: "Ann", app_metadata: { external_id: "legacy-1" }, password_hash: pw },
      { email: "bob@example.com" },
    ]);
    expect(job).toMatchObject({ status: "completed", type: "users_import", connection_id: sim.connectionId, summary: { total: 2, inserted: 2, updated: 0, failed: 0 } });
    expect(errors).toEqual([]);
    const byEmail = (await (await api("/api/v2/users-by-email?email=ann@example.com")).json()) as Record<string, unknown>[];
    expect(byEmail).toHaveLength(1);
    expect(byEmail[0]).toMatchObject({ user_id: "auth0|legacy-1", email: "ann@example.com", email_verified: true, given_name: "Ann", app_metadata: { external_id: "legacy-1" } });
    expect(byEmail[0]).not.toHaveProperty("password_hash");
    const one = await api(`/api/v2/users/${encodeURIComponent("auth0|legacy-1")}`);
    expect(((await one.json()) as { identities: unknown[] }).identities).toEqual([{ connection: sim.connectionName, provider: "auth0", user_id: "legacy-1", isSocial: false }]);
    expect(await signIn("ann@example.com", "old-pass")).toBe(200);
    expect(await signIn("ann@example.com", "wrong")).toBe(403);
    expect(await signIn("bob@example.com", "")).toBe(403);
  });

  it("existing email without upsert → DUPLICATED_USER in /errors; with upsert → updated, metadata replaced", async () => {
    const dup = await runJob([{ email: "ann@example.com", given_name: "Other" }]);
    expect(dup.job).toMatchObject({ summary: { total: 1, inserted: 0, failed: 1 } });
    expect(dup.errors[0]!.user).toMatchObject({ email: "ann@example.com" });
    expect(dup.errors[0]!.errors[0]).toMatchObject({ code: "DUPLICATED_USER" });
    const up = await runJob([{ email: "ann@example.com", given_name: "Annie", app_metadata: { plan: "pro" } }], { upsert: "true" });
    expect(up.job).toMatchObject({ summary: { updated: 1, failed: 0 } });
    const u = [...sim.store.users.values()].find((x) => x.email === "ann@example.com")!;
    expect(u.given_name).toBe("Annie");
    expect(u.app_metadata).toEqual({ plan: "pro" });
    // password_hash only applies on creation: the old password still works.
    expect(await signIn("ann@example.com", "old-pass")).toBe(200);
  });

  it("validates records per the import schema", () => {
    expect(validateUser({ email: "a@b.co" })).toEqual([]);
    const codes = (u: unknown) => validateUser(u).map((e) => `${e.code}@${e.path}`);
    expect(codes({})).toContain("OBJECT_REQUIRED@email");
    expect(codes({ email: "nope" })).toContain("FORMAT@email");
    expect(codes({ email: "a@b.co", email_verified: "yes" })).toContain("INVALID_TYPE@email_verified");
    expect(codes({ email: "a@b.co", externalId: "1" })).toContain("OBJECT_ADDITIONAL_PROPERTIES@externalId");
    expect(codes({ email: "a@b.co", app_metadata: { email: "x" } })).toContain("NOT_PASSED@app_metadata.email");
    expect(codes({ email: "a@b.co", password_hash: "$2y$10$" + "a".repeat(53) })).toContain("PATTERN@password_hash");
    expect(codes({ email: "a@b.co", custom_password_hash: { algorithm: "whirl", hash: { value: "x" } } })).toContain("ENUM_MISMATCH@custom_password_hash.algorithm");
    expect(codes({ email: "a@b.co", custom_password_hash: { algorithm: "md5", hash: { value: "zz", encoding: "hex" } } })).toContain("FORMAT@custom_password_hash.hash.value");
    expect(codes({ email: "a@b.co", custom_password_hash: { algorithm: "ldap", hash: { value: "{CRYPT}abc", encoding: "utf8" } } })).toContain("PATTERN@custom_password_hash.hash.value");
    expect(codes({ email: "a@b.co", custom_password_hash: { algorithm: "hmac", hash: { value: "ab", encoding: "hex" } } })).toContain("ENUM_MISMATCH@custom_password_hash.hash.digest");
    expect(codes({ email: "a@b.co", custom_password_hash: { algorithm: "scrypt", hash: { value: "ab", encoding: "hex" } } })).toContain("OBJECT_REQUIRED@custom_password_hash.salt");
  });

  it("invalid records and in-file duplicates come back in /errors with code and path", async () => {
    const { job, errors } = await runJob([{ email: "v1@example.com" }, { email: "not-an-email" }, { email: "V1@example.com" }]);
    expect(job).toMatchObject({ summary: { total: 3, inserted: 1, failed: 2 } });
    expect(errors.map((e) => e.errors[0]!.code).sort()).toEqual(["DUPLICATED_USER", "FORMAT"]);
  });

  it("rejects files over 500 KB with 413, NDJSON files with 400, unknown connections with 400", async () => {
    const big = Array.from({ length: 3000 }, (_, i) => ({ email: `big${i}@example.com`, user_metadata: { pad: "x".repeat(150) } }));
    expect((await api("/api/v2/jobs/users-imports", { method: "POST", body: importForm(big) })).status).toBe(413);
    expect((await api("/api/v2/jobs/users-imports", { method: "POST", body: importForm('{"email":"a@b.co"}\n{"email":"c@d.co"}\n') })).status).toBe(400);
    const f = new FormData();
    f.append("users", new Blob(["[]"]), "u.json");
    f.append("connection_id", "con_nope");
    expect((await api("/api/v2/jobs/users-imports", { method: "POST", body: f })).status).toBe(400);
  });

  it("allows at most 2 concurrent import jobs per tenant: the third is 429 too_many_requests", async () => {
    const s = await startAuth0({ jobDelayMs: 200 });
    try {
      const t = await getToken(s);
      const post = (i: number) => api("/api/v2/jobs/users-imports", { method: "POST", body: importForm([{ email: `c${i}@example.com` }], {}, s) }, s, t);
      expect((await post(1)).status).toBe(201);
      expect((await post(2)).status).toBe(201);
      const third = await post(3);
      expect(third.status).toBe(429);
      expect(await third.json()).toMatchObject({ statusCode: 429, errorCode: "too_many_requests" });
      expect(s.store.maxActiveJobsSeen).toBe(2);
    } finally {
      await s.close();
    }
  });

  it("rate limits with 429 and x-ratelimit-* headers", async () => {
    const s = await startAuth0({ rateLimit: 2, rateLimitBurst: 2 });
    try {
      const t = await getToken(s);
      const statuses: number[] = [];
      let last: Response | undefined;
      for (let i = 0; i < 4; i++) {
        last = await api("/api/v2/users", {}, s, t);
        statuses.push(last.status);
      }
      expect(statuses).toContain(429);
      expect(last!.status).toBe(429);
      expect(last!.headers.get("x-ratelimit-limit")).toBe("2");
      expect(last!.headers.get("x-ratelimit-remaining")).toBe("0");
      expect(Number(last!.headers.get("x-ratelimit-reset"))).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000));
      expect(await last!.json()).toMatchObject({ statusCode: 429, error: "Too Many Requests", errorCode: "too_many_requests" });
    } finally {
      await s.close();
    }
  });
});

describe("auth0 simulator: custom_password_hash sign-in", () => {
  const pick = (format: string) => VECTORS.find((v) => v.format === format && v.valid)!;
  const formats = ["md5-raw", "sha256-raw", "sha1-raw", "pbkdf2-sha256-django", "argon2id", "ldap-ssha", "scrypt-phc", "sha512-crypt"].filter((f) => VECTORS.some((v) => v.format === f && v.valid));

  it.each(formats)("%s converted for auth0 signs in with the old password (and is upgraded to bcrypt)", async (format) => {
    const v = pick(format);
    let fields: Record<string, unknown>;
    try {
      fields = convert({ format: v.format, value: v.hash, params: v.params }, "auth0").fields;
    } catch {
      return; // not importable into Auth0 (e.g. sha512-crypt → lazy): nothing to sign in with
    }
    const email = `${format}@vectors.test`;
    const { errors } = await runJob([{ email, ...fields }]);
    expect(errors).toEqual([]);
    expect(await signIn(email, v.password + "x")).toBe(403);
    expect(await signIn(email, v.password)).toBe(200);
    const u = [...sim.store.users.values()].find((x) => x.email === email)!;
    expect(u.password.bcrypt).toMatch(/^\$2/);
    expect(await signIn(email, v.password)).toBe(200);
  });

  it("salted digests and hmac verify with their salt position / key", async () => {
    const { createHash, createHmac } = await import("node:crypto");
    const users = [
      { email: "salt-pre@x.test", custom_password_hash: { algorithm: "sha256", hash: { value: createHash("sha256").update("NaClpw1").digest("base64"), encoding: "base64" }, salt: { value: "NaCl", encoding: "utf8", position: "prefix" } } },
      { email: "salt-suf@x.test", custom_password_hash: { algorithm: "md5", hash: { value: createHash("md5").update("pw1NaCl").digest("hex"), encoding: "hex" }, salt: { value: "NaCl", encoding: "utf8", position: "suffix" } } },
      { email: "hmac@x.test", custom_password_hash: { algorithm: "hmac", hash: { value: createHmac("sha256", "k3y").update("pw1").digest("hex"), encoding: "hex", digest: "sha256", key: { value: "k3y", encoding: "utf8" } } } },
    ];
    const { errors } = await runJob(users);
    expect(errors).toEqual([]);
    for (const u of users) {
      expect(await signIn(u.email, "pw2")).toBe(403);
      expect(await signIn(u.email, "pw1")).toBe(200);
    }
  });
});
