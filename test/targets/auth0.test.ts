import { readFileSync } from "node:fs";
import path from "node:path";
import { hash } from "@node-rs/bcrypt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import { runMigration } from "../../src/engine/run.js";
import { verifyMigration } from "../../src/engine/verify.js";
import { rollbackMigration } from "../../src/engine/rollback.js";
import { isAuthmigrateError } from "../../src/errors.js";
import { MigrationUserSchema, type MigrationUserInput } from "../../src/model/user.js";
import { startAuth0, type RunningAuth0 } from "../../src/simulators/auth0/index.js";
import { Auth0Instance, Auth0OptionsSchema, auth0Target, splitByBytes, toImportUser, type Auth0OptionsInput } from "../../src/targets/auth0/index.js";
import { getTarget } from "../../src/targets/index.js";
import type { UserWrite } from "../../src/targets/types.js";
import { legacyConfig, tempDir, writeLegacyDb } from "../helpers.js";

type Vector = { format: string; hash: string; params: Record<string, unknown>; password: string; valid: boolean };
const VECTORS = (JSON.parse(readFileSync(path.resolve(__dirname, "../../../shared/vectors/password-hashes.json"), "utf8")) as { vectors: Vector[] }).vectors;
const vector = (format: string) => VECTORS.find((v) => v.format === format && v.valid)!;

let sim: RunningAuth0;
let BCRYPT: string;

function instance(over: Partial<Auth0OptionsInput> = {}, s: RunningAuth0 = sim, fetchImpl?: typeof fetch): Auth0Instance {
  const opts = Auth0OptionsSchema.parse({ baseUrl: s.url, clientId: s.clientId, clientSecret: s.clientSecret, connectionId: s.connectionId, pollIntervalMs: 5, ...over });
  return new Auth0Instance(opts, { cwd: process.cwd() }, fetchImpl);
}
const user = (u: MigrationUserInput) => MigrationUserSchema.parse(u);
const write = (u: MigrationUserInput, extra: Partial<UserWrite> = {}): UserWrite => ({ user: user(u), action: "create", orgTargetIds: {}, ...extra });
const byEmail = (email: string, s: RunningAuth0 = sim) => [...s.store.users.values()].find((u) => u.email === email);

beforeAll(async () => {
  BCRYPT = await hash("old password", 4);
  sim = await startAuth0({ jobDelayMs: 3 });
});
afterAll(() => sim.close());

describe("auth0 target: registration and options", () => {
  it("is registered, has no orgs, 500 KB files, bcrypt + custom hashes", async () => {
    expect(await getTarget("auth0")).toBe(auth0Target);
    expect(auth0Target.capabilities).toMatchObject({ orgs: false, rollback: true, update: true, maxBatchBytes: 500_000, idempotentCreate: true });
    expect(auth0Target.capabilities.hashFormats).toEqual(expect.arrayContaining(["bcrypt", "md5-raw", "pbkdf2-sha256-django", "argon2id", "ldap-ssha"]));
    expect(auth0Target.capabilities.hashFormats).not.toContain("phpass-wordpress");
    const o = Auth0OptionsSchema.parse({ domain: "acme.eu.auth0.com", clientId: "c", clientSecret: "s", connectionId: "con_1" });
    expect(o).toMatchObject({ baseUrl: "https://acme.eu.auth0.com", audience: "https://acme.eu.auth0.com/api/v2/", upsert: false, maxConcurrentJobs: 2 });
    expect(Auth0OptionsSchema.safeParse({ clientId: "c", clientSecret: "s", connectionId: "con_1" }).success).toBe(false);
    expect(Auth0OptionsSchema.safeParse({ domain: "a", clientId: "c", clientSecret: "s", connectionId: "c", maxConcurrentJobs: 3 }).success).toBe(false);
  });

  it("maps a user to the import schema (user_id, app_metadata external id, blocked, names, bcrypt)", async () => {
    const r = await toImportUser(
      write({ externalId: "42", email: "a@b.co", emailVerified: true, status: "disabled", profile: { givenName: "A", familyName: "B" }, metadata: { plan: "pro", email: "dropped" }, credential: { kind: "hash", format: "bcrypt", value: BCRYPT } }),
      { setUserId: true, externalIdKey: "external_id", sendUsername: false },
    );
    expect(r).toEqual({ record: { email: "a@b.co", email_verified: true, user_id: "42", name: "A B", given_name: "A", family_name: "B", blocked: true, app_metadata: { plan: "pro", external_id: "42" }, password_hash: BCRYPT } });
    expect(await toImportUser(write({ externalId: "1" }), { setUserId: true, externalIdKey: "x", sendUsername: false })).toEqual({ error: "no_email" });
  });
});

describe("auth0 target: token", () => {
  it("prepare() gets and caches a token; wrong secret → AUTH0_AUTH, not retryable; an expired token is refreshed", async () => {
    const t = instance();
    await t.prepare();
    const first = await t.accessToken();
    expect(await t.accessToken()).toBe(first);
    const err = await instance({ clientSecret: "wrong-secret" }).prepare().catch((e: unknown) => e);
    expect(isAuthmigrateError(err) && err.code).toBe("AUTH0_AUTH");
    expect(isAuthmigrateError(err) && err.retryable).toBe(false);
    expect(String((err as Error).message)).not.toContain("wrong-secret");
    sim.expireTokens();
    expect(await t.countUsers()).toBeGreaterThanOrEqual(0);
    expect(await t.accessToken()).not.toBe(first);
  });
});

describe("auth0 target: writeUsers", () => {
  it("imports through a job (polled, /errors read): bcrypt and custom hashes sign in with the old password; invalid users fail with the message", async () => {
    const t = instance();
    const md5 = vector("md5-raw");
    const pbkdf2 = vector("pbkdf2-sha256-django");
    const out = await t.writeUsers([
      write({ externalId: "1", email: "bc@w.test", emailVerified: true, profile: { givenName: "Bea" }, credential: { kind: "hash", format: "bcrypt", value: BCRYPT } }),
      write({ externalId: "2", email: "md5@w.test", credential: { kind: "hash", format: "md5-raw", value: md5.hash } }),
      write({ externalId: "3", email: "pb@w.test", credential: { kind: "hash", format: pbkdf2.format, value: pbkdf2.hash } }),
      write({ externalId: "4", email: "lazy@w.test", credential: { kind: "hash", format: "bcrypt", value: BCRYPT } }, { strategy: "lazy" }),
      write({ externalId: "5", email: "bad@@w" }),
      write({ externalId: "6" }),
    ]);
    expect(out.map((o) => [o.externalId, o.status, o.targetId ?? o.reason])).toEqual([
      ["1", "created", "auth0|1"],
      ["2", "created", "auth0|2"],
      ["3", "created", "auth0|3"],
      ["4", "created", "auth0|4"],
      ["5", "failed", expect.stringMatching(/^format:email: /)],
      ["6", "failed", "no_email"],
    ]);
    expect(out[4]!.retryable).toBe(false);
    expect(byEmail("md5@w.test")!.password.custom).toMatchObject({ algorithm: "md5" });
    expect(byEmail("pb@w.test")!.password.custom).toMatchObject({ algorithm: "pbkdf2" });
    expect(byEmail("lazy@w.test")!.password).toEqual({});
    expect(await t.signIn("bc@w.test", "old password")).toBe(true);
    expect(await t.signIn("bc@w.test", "nope")).toBe(false);
    expect(await t.signIn("md5@w.test", md5.password)).toBe(true);
    expect(await t.signIn("pb@w.test", pbkdf2.password)).toBe(true);
    expect(await t.signIn("lazy@w.test", "old password")).toBe(false);
    const view = await t.getUser("auth0|1");
    expect(view).toEqual({ targetId: "auth0|1", externalId: "1", email: "bc@w.test", name: "Bea", disabled: false, memberships: {}, hasPassword: true });
    expect(await t.getUser("auth0|nobody")).toBeUndefined();
  });

  it("DUPLICATED_USER links the existing user (skipped, exists_by_email); a lost answer of our own import stays created", async () => {
    const pre = sim.store.addUser({ email: "pre@w.test" });
    const t = instance();
    const out = await t.writeUsers([write({ externalId: "10", email: "PRE@w.test" }), write({ externalId: "1", email: "bc@w.test" })]);
    expect(out[0]).toEqual({ externalId: "10", status: "skipped", targetId: pre.user_id, reason: "exists_by_email" });
    // bc@w.test was written by us earlier (auth0|1 with external_id 1): a re-post is still ours.
    expect(out[1]).toMatchObject({ externalId: "1", status: "created", targetId: "auth0|1" });
    const same = await t.writeUsers([write({ externalId: "20", email: "dup@w.test" }), write({ externalId: "21", email: "dup@w.test" })]);
    expect(same[0]).toMatchObject({ status: "created", targetId: "auth0|20" });
    expect(same[1]).toMatchObject({ status: "skipped", targetId: "auth0|20", reason: "exists_by_email" });
  });

  it("updates upsert the user (status updated); upsert=true creates report profile_updated for users not ours", async () => {
    const t = instance();
    const out = await t.writeUsers([write({ externalId: "1", email: "bc@w.test", status: "disabled", profile: { givenName: "Beatrix" } }, { action: "update", targetId: "auth0|1" })]);
    expect(out[0]).toMatchObject({ status: "updated", targetId: "auth0|1" });
    expect(byEmail("bc@w.test")).toMatchObject({ blocked: true, given_name: "Beatrix" });
    const up = instance({ upsert: true });
    const res = await up.writeUsers([write({ externalId: "11", email: "pre@w.test" }), write({ externalId: "12", email: "fresh@w.test" })]);
    expect(res[0]).toMatchObject({ status: "skipped", reason: "exists_by_email:profile_updated" });
    expect(res[1]).toMatchObject({ status: "created", targetId: "auth0|12" });
  });

  it("splits batches over 500 KB into several jobs, at most 2 in flight", async () => {
    const s = await startAuth0({ jobDelayMs: 30 });
    try {
      const t = instance({}, s);
      const pad = "x".repeat(900);
      const batch = Array.from({ length: 1400 }, (_, i) => write({ externalId: `big${i}`, email: `big${i}@w.test`, metadata: { pad } }));
      const out = await t.writeUsers(batch);
      expect(out.every((o) => o.status === "created")).toBe(true);
      const jobs = [...s.store.jobs.values()];
      expect(jobs.length).toBeGreaterThanOrEqual(3);
      for (const j of jobs) expect(Buffer.byteLength(JSON.stringify(j.users))).toBeLessThanOrEqual(500_000);
      expect(s.store.maxActiveJobsSeen).toBe(2);
      expect(t.maxJobsInFlight).toBe(2);
      expect(s.store.users.size).toBe(1400);
      // pure splitter: exact sizes, oversize items reported
      const { chunks, tooLarge } = splitByBytes([{ bytes: 4 }, { bytes: 4 }, { bytes: 4 }, { bytes: 20 }], 12);
      expect(chunks.map((c) => c.length)).toEqual([2, 1]);
      expect(tooLarge).toHaveLength(1);
    } finally {
      await s.close();
    }
  });

  it("a third concurrent job (another process) → 429: the job is re-posted once a slot frees", async () => {
    const s = await startAuth0({ jobDelayMs: 40 });
    try {
      const other = instance({}, s);
      const mine = instance({ maxConcurrentJobs: 1 }, s);
      const [a, b] = await Promise.all([
        other.writeUsers([write({ externalId: "o1", email: "o1@w.test" })]).then(() => other.writeUsers([write({ externalId: "o3", email: "o3@w.test" })])),
        Promise.all([other.writeUsers([write({ externalId: "o2", email: "o2@w.test" })]), new Promise((r) => setTimeout(r, 10)).then(() => mine.writeUsers([write({ externalId: "m1", email: "m1@w.test" })]))]),
      ]);
      expect(a[0]!.status).toBe("created");
      expect(b[1]![0]!.status).toBe("created");
      expect(s.stats.stats().byStatus[429] ?? 0).toBeGreaterThanOrEqual(1);
      expect(s.store.maxActiveJobsSeen).toBe(2);
    } finally {
      await s.close();
    }
  });

  it("a 429 with x-ratelimit-* (no Retry-After needed) is a retryable error with retryAfterMs", async () => {
    const reset = Math.floor(Date.now() / 1000) + 3;
    const fetch429: typeof fetch = async (input, init) => {
      const url = String(input);
      if (url.endsWith("/oauth/token")) return new Response(JSON.stringify({ access_token: "t", expires_in: 86400 }), { status: 200, headers: { "content-type": "application/json" } });
      void init;
      return new Response(JSON.stringify({ statusCode: 429, error: "Too Many Requests", message: "Global limit has been reached", errorCode: "too_many_requests" }), {
        status: 429,
        headers: { "content-type": "application/json", "x-ratelimit-limit": "10", "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(reset) },
      });
    };
    const t = instance({ timeoutMs: 1 }, sim, fetch429);
    const err = await t.writeUsers([write({ externalId: "r1", email: "r1@w.test" })]).catch((e: unknown) => e);
    expect(isAuthmigrateError(err) && err.retryable).toBe(true);
    expect(isAuthmigrateError(err) && err.meta.status).toBe(429);
    const ms = isAuthmigrateError(err) ? Number(err.meta.retryAfterMs) : 0;
    expect(ms).toBeGreaterThan(500);
    expect(ms).toBeLessThanOrEqual(3000);
    expect(isAuthmigrateError(err) && err.meta.providerCode).toBe("too_many_requests");
  });

  it("429s from the simulator's limiter while polling are waited out", async () => {
    const s = await startAuth0({ jobDelayMs: 5, rateLimit: 5, rateLimitBurst: 3 });
    try {
      const out = await instance({}, s).writeUsers([write({ externalId: "p1", email: "p1@w.test" })]);
      expect(out[0]).toMatchObject({ status: "created" });
    } finally {
      await s.close();
    }
  });

  it("looks users up by email (externalId match when app_metadata carries it), counts, deletes (already deleted = ok)", async () => {
    const t = instance();
    const found = await t.lookupUsers([user({ externalId: "1", email: "bc@w.test" }), user({ externalId: "99", email: "pre@w.test" }), user({ externalId: "nobody", email: "no@w.test" })]);
    expect(found.get("1")).toEqual({ targetId: "auth0|1", matchedBy: "externalId" });
    expect(found.get("99")).toMatchObject({ matchedBy: "email" });
    expect(found.has("nobody")).toBe(false);
    const before = await t.countUsers();
    expect(before).toBe(sim.store.users.size);
    expect(await t.deleteUsers(["auth0|4", "auth0|4"])).toEqual([
      { targetId: "auth0|4", ok: true },
      { targetId: "auth0|4", ok: true },
    ]);
    expect(await t.countUsers()).toBe(before - 1);
  });
});

describe("auth0 target: end to end", () => {
  it("runMigration → verifyMigration over the simulator; rollback deletes only what it created", async () => {
    const e2e = await startAuth0({ jobDelayMs: 2 });
    try {
      const dir = tempDir();
      const hashB = await hash("s3cret!", 4);
      const md5 = vector("md5-raw");
      writeLegacyDb(path.join(dir, "legacy.db"), [
        { Id: 1, Email: "ana@school.edu", PasswordHash: hashB },
        { Id: 2, Email: "ben@school.edu", PasswordHash: hashB, IsActive: 0 },
        { Id: 3, Email: "cy@school.edu", PasswordHash: null },
        { Id: 4, Email: "not-an-email" },
        { Id: 5, Email: "dee@school.edu", PasswordHash: md5.hash },
        ...Array.from({ length: 12 }, (_, i) => ({ Id: 10 + i, Email: `u${i}@school.edu`, PasswordHash: hashB })),
      ]);
      e2e.store.addUser({ email: "u0@school.edu" });

      const target = { type: "auth0", baseUrl: e2e.url, clientId: e2e.clientId, clientSecret: e2e.clientSecret, connectionId: e2e.connectionId, pollIntervalMs: 5 };
      const { orgs: _orgs, ...base } = legacyConfig();
      const config = parseConfig({ ...base, target, hashes: { assume: "md5-raw" } } as never);
      const report = await runMigration({ config, cwd: dir });
      expect(report.counts).toMatchObject({ total: 17, created: 15, skipped: 1, failed: 1 });
      expect(report.reasons).toMatchObject({ exists_by_email: 1, invalid_email: 1 });
      expect(byEmail("ben@school.edu", e2e)!.blocked).toBe(true);

      const t = instance({}, e2e);
      expect(await t.signIn("ana@school.edu", "s3cret!")).toBe(true);
      expect(await t.signIn("dee@school.edu", md5.password)).toBe(true);

      const verify = await verifyMigration({ config, cwd: dir });
      expect(verify).toMatchObject({ ok: true, sourceRecords: 17, migrated: 16, notMigrated: 1, unprocessed: 0, missingInTarget: [], mismatches: [] });
      expect(verify.targetUsers).toBe(16);

      const again = await runMigration({ config, cwd: dir });
      expect(again.counts).toMatchObject({ created: 0, unchanged: 16 });

      const rb = await rollbackMigration({ config, cwd: dir });
      expect(rb).toMatchObject({ candidates: 15, deleted: 15, failed: [] });
      expect([...e2e.store.users.values()].map((u) => u.email)).toEqual(["u0@school.edu"]);
    } finally {
      await e2e.close();
    }
  });
});
