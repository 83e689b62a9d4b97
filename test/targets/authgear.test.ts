import { generateKeyPairSync } from "node:crypto";
import path from "node:path";
import { hash } from "@node-rs/bcrypt";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import { runMigration } from "../../src/engine/run.js";
import { verifyMigration } from "../../src/engine/verify.js";
import { rollbackMigration } from "../../src/engine/rollback.js";
import { isAuthmigrateError } from "../../src/errors.js";
import { MigrationUserSchema, type MigrationUserInput } from "../../src/model/user.js";
import { startAuthgear, type RunningAuthgear } from "../../src/simulators/authgear/index.js";
import { AuthgearInstance, AuthgearOptionsSchema, authgearTarget, splitByBytes, type AuthgearOptionsInput } from "../../src/targets/authgear/index.js";
import { getTarget } from "../../src/targets/index.js";
import type { UserWrite } from "../../src/targets/types.js";
import { legacyConfig, tempDir, writeLegacyDb } from "../helpers.js";

const PBKDF2 = "pbkdf2_sha256$390000$seasalt$8xBlGd3jVgvJ+92hWPxi5ww0uuAuAnKgC45eudxro7c=";
let BCRYPT: string;

let sim: RunningAuthgear;
const opened: AuthgearInstance[] = [];

function instance(over: Partial<AuthgearOptionsInput> = {}, s: RunningAuthgear = sim, fetchImpl?: typeof fetch): AuthgearInstance {
  const opts = AuthgearOptionsSchema.parse({ endpoint: s.url, appId: s.appId, keyId: s.keyId, privateKey: s.privateKeyPem, pollIntervalMs: 10, ...over });
  const i = new AuthgearInstance(opts, { cwd: process.cwd() }, fetchImpl);
  opened.push(i);
  return i;
}

const user = (u: MigrationUserInput) => MigrationUserSchema.parse(u);
const write = (u: MigrationUserInput, extra: Partial<UserWrite> = {}): UserWrite => ({ user: user(u), action: "create", orgTargetIds: {}, ...extra });
const byEmail = (email: string) => [...sim.store.users.values()].find((u) => u.email === email);

beforeAll(async () => {
  BCRYPT = await hash("old password", 4);
  sim = await startAuthgear({ taskDelayMs: 5 });
});
afterAll(() => sim.close());
afterEach(async () => {
  for (const i of opened.splice(0)) await i.close();
});

describe("authgear target: registration and options", () => {
  it("is registered, has no orgs, takes bcrypt only and limits bodies to 500 KB", async () => {
    expect(await getTarget("authgear")).toBe(authgearTarget);
    expect(authgearTarget.capabilities).toMatchObject({ orgs: false, rollback: true, update: true, maxBatchBytes: 500_000 });
    expect(authgearTarget.capabilities.hashFormats).toContain("bcrypt");
    expect(authgearTarget.capabilities.hashFormats).not.toContain("pbkdf2-sha256-django");
    expect(AuthgearOptionsSchema.safeParse({ endpoint: "http://x", appId: "a", keyId: "k" }).success).toBe(false);
    expect(AuthgearOptionsSchema.parse({ endpoint: "http://x", appId: "a", keyId: "k", privateKey: "pem" })).toMatchObject({ identifier: "email", upsert: false });
  });
});

describe("authgear target: Admin API JWT", () => {
  it("prepare() succeeds with the project key and fails with AUTHGEAR_AUTH (not retryable) on a foreign key", async () => {
    await instance().prepare();
    // `authmigrate simulate authgear` prints the key on one line (literal \n): the target accepts it.
    expect(sim.credentials.privateKey).not.toContain("\n");
    await instance({ privateKey: sim.credentials.privateKey }).prepare();
    const other = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    const err = await instance({ privateKey: other }).prepare().catch((e: unknown) => e);
    expect(isAuthmigrateError(err) && err.code).toBe("AUTHGEAR_AUTH");
    expect(isAuthmigrateError(err) && err.retryable).toBe(false);
    expect(String((err as Error).message)).not.toContain("PRIVATE KEY");
    const wrongAud = await instance({ appId: "other" }).prepare().catch((e: unknown) => e);
    expect(isAuthmigrateError(wrongAud) && wrongAud.code).toBe("AUTHGEAR_AUTH");
    const notPem = await instance({ privateKey: "secret-value" }).prepare().catch((e: unknown) => e);
    expect(isAuthmigrateError(notPem) && notPem.code).toBe("AUTHGEAR_KEY_INVALID");
  });
});

describe("authgear target: writeUsers", () => {
  it("imports bcrypt users with their hash (they sign in with the old password) and others without a password", async () => {
    const t = instance();
    const out = await t.writeUsers([
      write({ externalId: "1", email: "bc@w.test", emailVerified: true, profile: { givenName: "Bea", familyName: "Crypt" }, credential: { kind: "hash", format: "bcrypt", value: BCRYPT } }),
      write({ externalId: "2", email: "pb@w.test", credential: { kind: "hash", format: "pbkdf2-sha256-django", value: PBKDF2 } }),
      write({ externalId: "3", email: "none@w.test", status: "disabled" }),
      write({ externalId: "4", email: "lazy@w.test", credential: { kind: "hash", format: "bcrypt", value: BCRYPT } }, { strategy: "lazy" }),
      write({ externalId: "5", email: "tmp@w.test" }, { strategy: "temporary", temporaryPassword: "Temp-Pass-123" }),
      write({ externalId: "6", phones: ["+15551230000"] }),
    ]);
    expect(out.map((o) => [o.externalId, o.status, o.reason])).toEqual([
      ["1", "created", undefined],
      ["2", "created", "password_not_importable:lazy"],
      ["3", "created", undefined],
      ["4", "created", undefined],
      ["5", "created", undefined],
      ["6", "failed", "no_email"],
    ]);
    expect(byEmail("bc@w.test")).toMatchObject({ passwordHash: BCRYPT, emailVerified: true, standardAttributes: { name: "Bea Crypt", given_name: "Bea", family_name: "Crypt" } });
    expect(byEmail("pb@w.test")!.passwordHash).toBeNull();
    expect(byEmail("lazy@w.test")!.passwordHash).toBeNull();
    expect(byEmail("none@w.test")).toMatchObject({ passwordHash: null, disabled: true });
    expect(out[0]!.targetId).toBe(byEmail("bc@w.test")!.id);

    expect(await t.signIn("bc@w.test", "old password")).toBe(true);
    expect(await t.signIn("bc@w.test", "wrong")).toBe(false);
    expect(await t.signIn("pb@w.test", "anything")).toBe(false);
    expect(await t.signIn("tmp@w.test", "Temp-Pass-123")).toBe(true);
    expect(await t.signIn("nobody@w.test", "x")).toBe(false);

    const view = await t.getUser(out[0]!.targetId!);
    expect(view).toEqual({ targetId: out[0]!.targetId, email: "bc@w.test", name: "Bea Crypt", disabled: false, memberships: {}, hasPassword: true });
    expect((await t.getUser(out[1]!.targetId!))!.hasPassword).toBe(false);
    expect(await t.getUser("00000000-0000-0000-0000-000000000000")).toBeUndefined();
  });

  it("re-posting is idempotent: the same process reports its own inserts as created, a new one as skipped exists_by_email", async () => {
    const w = write({ externalId: "r1", email: "re@w.test", credential: { kind: "hash", format: "bcrypt", value: BCRYPT } });
    const t = instance();
    const [first] = await t.writeUsers([w]);
    const [again] = await t.writeUsers([w]);
    expect(again).toMatchObject({ status: "created", targetId: first!.targetId });
    const [fresh] = await instance().writeUsers([w]);
    expect(fresh).toMatchObject({ status: "skipped", reason: "exists_by_email", targetId: first!.targetId });
  });

  it("upsert: a pre-existing user is linked with its profile overwritten; engine updates always upsert and never replace the password", async () => {
    const other = await hash("new password", 4);
    await instance().writeUsers([write({ externalId: "u1", email: "up@w.test", profile: { displayName: "Old" }, credential: { kind: "hash", format: "bcrypt", value: BCRYPT } })]);
    const [linked] = await instance({ upsert: true }).writeUsers([write({ externalId: "u1", email: "up@w.test", profile: { displayName: "Linked" } })]);
    expect(linked).toMatchObject({ status: "skipped", reason: "exists_by_email:profile_updated" });
    expect(byEmail("up@w.test")!.standardAttributes.name).toBe("Linked");
    const [updated] = await instance().writeUsers([
      write({ externalId: "u1", email: "up@w.test", profile: { displayName: "Updated" }, status: "disabled", credential: { kind: "hash", format: "bcrypt", value: other } }, { action: "update", targetId: linked!.targetId! }),
    ]);
    expect(updated).toMatchObject({ status: "updated", targetId: linked!.targetId });
    expect(byEmail("up@w.test")).toMatchObject({ disabled: true, passwordHash: BCRYPT, standardAttributes: { name: "Updated" } });
  });

  it("maps failed records to reasons: a phone owned by another user is a duplicated identity", async () => {
    await instance().writeUsers([write({ externalId: "p1", email: "p1@w.test", phones: ["+15550001111"] })]);
    const [dup] = await instance().writeUsers([write({ externalId: "p2", email: "p2@w.test", phones: ["+15550001111"] })]);
    expect(dup).toMatchObject({ status: "failed", retryable: false });
    expect(dup!.reason).toMatch(/^duplicated_identity/);
  });

  it("splits a batch that would exceed 500 KB into several import jobs, each under the limit", async () => {
    const jobsBefore = sim.store.jobs.size;
    const bodies: number[] = [];
    const spy: typeof fetch = async (input, init) => {
      if (String(input).endsWith("/users/import") && init?.method === "POST") bodies.push(Buffer.byteLength(String(init.body)));
      return fetch(input, init);
    };
    const big = "x".repeat(1500);
    const batch = Array.from({ length: 500 }, (_, i) => write({ externalId: `big${i}`, email: `big${i}@w.test`, profile: { displayName: `${big}${i}` }, credential: { kind: "hash", format: "bcrypt", value: BCRYPT } }));
    const out = await instance({}, sim, spy).writeUsers(batch);
    expect(out.every((o) => o.status === "created")).toBe(true);
    expect(bodies.length).toBeGreaterThanOrEqual(2);
    expect(bodies.every((b) => b <= 500_000)).toBe(true);
    expect(bodies.reduce((a, b) => a + b, 0)).toBeGreaterThan(500_000);
    expect(sim.store.jobs.size - jobsBefore).toBe(bodies.length);
  });

  it("splitByBytes packs exactly up to the limit and sets aside records that can never fit", () => {
    const items = [40, 40, 40, 200, 10].map((bytes, i) => ({ bytes, i }));
    const { chunks, tooLarge } = splitByBytes(items, 20, 101);
    // 20 + 40 + 1 + 40 = 101 fits; adding another 41 does not.
    expect(chunks.map((c) => c.map((x) => x.i))).toEqual([[0, 1], [2, 4]]);
    expect(tooLarge.map((x) => x.i)).toEqual([3]);
    expect(splitByBytes(items.slice(0, 3), 20, 1000, 2).chunks.map((c) => c.length)).toEqual([2, 1]);
  });
});

describe("authgear target: async polling, timeouts, 429", () => {
  it("polls a pending job until it completes", async () => {
    const slow = await startAuthgear({ taskDelayMs: 60 });
    try {
      const gets: string[] = [];
      const spy: typeof fetch = async (input, init) => {
        if ((init?.method ?? "GET") === "GET") gets.push(String(input));
        return fetch(input, init);
      };
      const out = await instance({}, slow, spy).writeUsers(Array.from({ length: 150 }, (_, i) => write({ externalId: `s${i}`, email: `s${i}@w.test` })));
      expect(out.filter((o) => o.status === "created")).toHaveLength(150);
      expect(gets.length).toBeGreaterThan(1);
      expect(gets.every((g) => /\/_api\/admin\/users\/import\/userimport_/.test(g))).toBe(true);
    } finally {
      await slow.close();
    }
  });

  it("gives up on a job that never completes with a retryable AUTHGEAR_IMPORT_TIMEOUT", async () => {
    const stuck = await startAuthgear({ taskDelayMs: 60_000 });
    try {
      const err = await instance({ timeoutMs: 150 }, stuck).writeUsers([write({ externalId: "t", email: "t@w.test" })]).catch((e: unknown) => e);
      expect(isAuthmigrateError(err) && err.code).toBe("AUTHGEAR_IMPORT_TIMEOUT");
      expect(isAuthmigrateError(err) && err.retryable).toBe(true);
    } finally {
      await stuck.close();
    }
  });

  it("a 429 TooManyRequest on import is a retryable error with the server's delay; 429s while polling are waited out", async () => {
    const limited = await startAuthgear({ taskDelayMs: 5 });
    try {
      limited.faults.set({ burst429: { windows: [{ fromMs: 0, toMs: 60_000 }], retryAfterSec: 1 }, match: (c) => c.req.method === "POST" });
      const err = await instance({}, limited).writeUsers([write({ externalId: "r", email: "r@w.test" })]).catch((e: unknown) => e);
      expect(isAuthmigrateError(err) && err.retryable).toBe(true);
      expect(isAuthmigrateError(err) && err.meta).toMatchObject({ status: 429, providerMessage: "request rate limited", retryAfterMs: 1000 });

      limited.faults.set({ burst429: { windows: [{ fromMs: 0, toMs: 300 }], retryAfterSec: 0 }, match: (c) => c.req.method === "GET" });
      const [ok] = await instance({}, limited).writeUsers([write({ externalId: "r", email: "r@w.test" })]);
      expect(ok!.status).toBe("created");
      expect(limited.faults.counts().burst429).toBeGreaterThan(1);
    } finally {
      await limited.close();
    }
  });
});

describe("authgear target: lookup, count, delete", () => {
  it("looks users up by identifier, counts them and deletes them (already deleted = ok)", async () => {
    const t = instance();
    const [a] = await t.writeUsers([write({ externalId: "l1", email: "look@w.test" })]);
    const found = await t.lookupUsers([user({ externalId: "l1", email: "LOOK@w.test" }), user({ externalId: "l2", email: "missing@w.test" }), user({ externalId: "l3" })]);
    expect([...found]).toEqual([["l1", { targetId: a!.targetId, matchedBy: "email" }]]);
    const before = await t.countUsers();
    expect(before).toBe(sim.store.users.size);
    expect(await t.deleteUsers([a!.targetId!, a!.targetId!])).toEqual([
      { targetId: a!.targetId, ok: true },
      { targetId: a!.targetId, ok: true, reason: "already_deleted" },
    ]);
    expect(await t.countUsers()).toBe(before - 1);
  });
});

describe("authgear target: end to end", () => {
  it("runMigration → verifyMigration over the simulator; rollback deletes only what it created", async () => {
    const e2e = await startAuthgear({ taskDelayMs: 2 });
    try {
      const dir = tempDir();
      const hashB = await hash("s3cret!", 4);
      writeLegacyDb(path.join(dir, "legacy.db"), [
        { Id: 1, Email: "ana@school.edu", PasswordHash: hashB },
        { Id: 2, Email: "ben@school.edu", PasswordHash: hashB, IsActive: 0 },
        { Id: 3, Email: "cy@school.edu", PasswordHash: null },
        { Id: 4, Email: "not-an-email" },
        ...Array.from({ length: 12 }, (_, i) => ({ Id: 10 + i, Email: `u${i}@school.edu`, PasswordHash: hashB })),
      ]);
      // A user that already exists in Authgear: linked, never deleted by rollback.
      await instance({}, e2e).writeUsers([write({ externalId: "pre", email: "u0@school.edu", profile: { givenName: "First", familyName: "Last" } })]);

      const target = { type: "authgear", endpoint: e2e.url, appId: e2e.appId, keyId: e2e.keyId, privateKey: e2e.privateKeyPem, pollIntervalMs: 5 };
      const { orgs: _orgs, ...base } = legacyConfig();
      const config = parseConfig({ ...base, target } as never);
      const report = await runMigration({ config, cwd: dir });
      expect(report.counts).toMatchObject({ total: 16, created: 14, skipped: 1, failed: 1 });
      expect(report.reasons).toMatchObject({ exists_by_email: 1, invalid_email: 1 });
      expect([...e2e.store.users.values()].find((u) => u.email === "ben@school.edu")!.disabled).toBe(true);

      const t = instance({}, e2e);
      expect(await t.signIn("ana@school.edu", "s3cret!")).toBe(true);

      const verify = await verifyMigration({ config, cwd: dir });
      expect(verify).toMatchObject({ ok: true, sourceRecords: 16, migrated: 15, notMigrated: 1, unprocessed: 0, missingInTarget: [], mismatches: [] });
      expect(verify.targetUsers).toBe(15);

      const again = await runMigration({ config, cwd: dir });
      expect(again.counts).toMatchObject({ created: 0, unchanged: 15 });

      const rb = await rollbackMigration({ config, cwd: dir });
      expect(rb).toMatchObject({ candidates: 14, deleted: 14, failed: [] });
      expect([...e2e.store.users.values()].map((u) => u.email)).toEqual(["u0@school.edu"]);
    } finally {
      await e2e.close();
    }
  });
});
