import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import { runMigration } from "../../src/engine/run.js";
import { rollbackMigration } from "../../src/engine/rollback.js";
import { verifyMigration } from "../../src/engine/verify.js";
import { isAuthmigrateError } from "../../src/errors.js";
import { MigrationOrgSchema, MigrationUserSchema, type MigrationUserInput } from "../../src/model/user.js";
import { startCalimatic, type RunningCalimatic } from "../../src/simulators/calimatic/index.js";
import { CalimaticInstance, CalimaticTargetOptionsSchema, calimaticTarget, mapImportResponse, type CalimaticTargetOptionsInput } from "../../src/targets/calimatic/index.js";
import { createTarget } from "../../src/targets/index.js";
import type { UserWrite } from "../../src/targets/types.js";
import { legacyConfig, tempDir, writeLegacyDb } from "../helpers.js";

/** shared/vectors/password-hashes.json: bcrypt $2b$ cost 10 of "correct horse battery staple". */
const BCRYPT = "$2b$10$VvC10Nhzh8oCRE6A9ywlS.iV7fjqU4LFPnENq2jGdtLyn.SK0Ybju";
const BCRYPT_PW = "correct horse battery staple";
/** shared/vectors/password-hashes.json: Keycloak pbkdf2-sha256, 27500 iterations, password "test". */
const KC_SECRET = '{"value":"/bVkHA4G/VOskjaCgNYyTz1BhgD+9X8bxCNEPGGpnDCJbWHDXIW0G8IlSBhDdJsXTjrXt/7yQguBwJ3sxSmSKA==","salt":"lZtleWv1DeEcNIr8MTzdeg==","additionalParameters":{}}';
const KC_CRED = '{"hashIterations":27500,"algorithm":"pbkdf2-sha256","additionalParameters":{}}';
/** `$2y$` (PHP): not accepted by Calimatic as-is, re-encoded to `$2b$` (same algorithm). */
const BCRYPT_2Y = "$2y$10$acP1AZs.YWSL623jzZ34JeSP2EWu279XoQ6/sBvaH2ZlZdoMl0fDK";

let sim: RunningCalimatic;
beforeAll(async () => {
  sim = await startCalimatic({ bcryptCost: 4, recordImports: true });
});
afterAll(async () => {
  await sim.close();
});
beforeEach(() => {
  sim.store.users.clear();
  sim.store.orgs.clear();
  sim.store.outbox.length = 0;
  sim.store.imports.length = 0;
  sim.faults.set({ failRate: 0 });
});

function instance(extra: Partial<CalimaticTargetOptionsInput> = {}, s: RunningCalimatic = sim): CalimaticInstance {
  const opts = CalimaticTargetOptionsSchema.parse({
    baseUrl: s.url,
    apiKey: s.credentials.apiKey,
    clientId: s.credentials.clientId,
    clientSecret: s.credentials.clientSecret,
    defaultApplications: ["edtech"],
    importsPerSecond: 0,
    requestsPerSecond: 0,
    ...extra,
  });
  return new CalimaticInstance(opts, { cwd: "." });
}

const user = (input: Partial<MigrationUserInput> & { externalId: string }) =>
  MigrationUserSchema.parse({ email: `u${input.externalId}@school.edu`, profile: { givenName: "Jane", familyName: "Smith" }, ...input });
const write = (input: Partial<MigrationUserInput> & { externalId: string }, w: Partial<UserWrite> = {}): UserWrite => ({ user: user(input), action: "create", orgTargetIds: {}, ...w });

describe("calimatic target: options and registration", () => {
  it("is registered, validates its options, and declares the seed's limits", async () => {
    const { target, instance: inst } = await createTarget({ type: "calimatic", baseUrl: sim.url, clientId: "a", clientSecret: "b" }, { cwd: "." });
    expect(target).toBe(calimaticTarget);
    expect(inst).toBeInstanceOf(CalimaticInstance);
    expect(target.capabilities).toMatchObject({ maxBatchSize: 500, update: true, orgs: true, rollback: true, idempotentCreate: true, hashFormats: ["bcrypt", "pbkdf2-keycloak-json"], rateLimit: { requestsPerSecond: 0.5 } });
    await expect(createTarget({ type: "calimatic", baseUrl: sim.url, clientId: "a" }, { cwd: "." })).rejects.toMatchObject({ code: "CONFIG_INVALID" });
    const parsed = CalimaticTargetOptionsSchema.parse({ clientId: "a", clientSecret: "b" });
    expect(parsed).toMatchObject({ baseUrl: "https://auth.calimatic.com", sendInviteEmails: false, skipExisting: true, defaultApplications: [] });
    expect(parsed.importsPerSecond).toBeUndefined(); // the run's limiter (0.5/s from capabilities) paces imports
  });

  it("prepare() checks the credentials; a wrong secret is a non-retryable auth error", async () => {
    await instance().prepare();
    const bad = instance({ clientSecret: "wrong-secret" });
    const err = await bad.prepare().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "TARGET_AUTH_FAILED", retryable: false });
    expect(String((err as Error).message)).not.toContain("wrong-secret");
    const write401 = await bad.writeUsers([write({ externalId: "1" })]).catch((e: unknown) => e);
    expect(write401).toMatchObject({ code: "TARGET_HTTP_ERROR", retryable: false, meta: { status: 401 } });
  });
});

describe("calimatic target: organizations", () => {
  it("creates orgs and links to an existing slug on 409", async () => {
    const existing = sim.store.createOrg({ name: "Shelbyville High", slug: "shelbyville-high" });
    const t = instance({ orgDefaults: { type: "school", plan: "professional" } });
    const orgs = [
      MigrationOrgSchema.parse({ externalId: "1", name: "Springfield Elementary", slug: "springfield-elementary", domain: "springfield.edu" }),
      MigrationOrgSchema.parse({ externalId: "2", name: "Shelbyville", slug: "shelbyville-high" }),
    ];
    const out = await t.upsertOrgs(orgs);
    expect(out[0]).toMatchObject({ externalId: "1", status: "created", targetId: expect.any(String) });
    expect(sim.store.orgs.get(out[0]!.targetId!)).toMatchObject({ slug: "springfield-elementary", domain: "springfield.edu", type: "school", plan: "professional" });
    expect(out[1]).toEqual({ externalId: "2", status: "skipped", targetId: existing.id, reason: "exists_by_slug" });
    // Idempotent: again → both linked.
    expect((await t.upsertOrgs(orgs)).map((o) => o.status)).toEqual(["skipped", "skipped"]);
    expect(await instance({ apiKey: undefined }).upsertOrgs(orgs)).toMatchObject([{ status: "failed", reason: "api_key_missing" }, { status: "failed" }]);
  });
});

describe("calimatic target: writeUsers", () => {
  it("maps a mixed batch to one outcome per user and sends the seed's import payload", async () => {
    const org = sim.store.createOrg({ name: "S", slug: "s" });
    const native = await sim.store.addUser({ email: "native@school.edu" });
    const t = instance();
    const batch: UserWrite[] = [
      write(
        { externalId: "1", credential: { kind: "hash", format: "bcrypt", value: BCRYPT }, phones: ["+15551234567"], memberships: [{ orgExternalId: "10", roles: ["edtech_teacher"] }], metadata: { legacyRoleId: 4 } },
        { orgTargetIds: { "10": org.id }, strategy: "native" },
      ),
      write({ externalId: "2", credential: { kind: "hash", format: "pbkdf2-keycloak-json", value: KC_SECRET, params: { credentialData: KC_CRED } } }, { strategy: "native" }),
      write({ externalId: "3", email: "not-an-email" }),
      write({ externalId: "4", profile: { givenName: "x".repeat(101), familyName: "Long" } }),
      write({ externalId: "5", email: "native@school.edu" }),
      write({ externalId: "6" }, { strategy: "temporary", temporaryPassword: "TempP@ss2024!" }),
      write({ externalId: "7", credential: { kind: "hash", format: "bcrypt", value: BCRYPT } }, { strategy: "reset" }),
      write({ externalId: "8", profile: {} }),
      write({ externalId: "9", status: "disabled", credential: { kind: "hash", format: "bcrypt", value: BCRYPT_2Y } }),
      write({ externalId: "10", profile: { displayName: "Ada King Lovelace" } }),
    ];
    const out = await t.writeUsers(batch);
    expect(out.map((o) => [o.externalId, o.status, o.reason])).toEqual([
      ["1", "created", undefined],
      ["2", "created", undefined],
      ["3", "failed", "Must be a valid email address"],
      ["4", "failed", "firstName must be at most 100 characters"],
      ["5", "skipped", "exists_by_email"],
      ["6", "created", undefined],
      ["7", "created", undefined],
      ["8", "failed", "missing_first_name"],
      ["9", "created", undefined],
      ["10", "created", undefined],
    ]);
    expect(out[2]!.retryable).toBe(false);
    expect(out[4]!.targetId).toBe(native.id);
    expect(sim.store.imports).toHaveLength(1);
    const sent = sim.store.imports[0]!;
    expect(sent).toMatchObject({ defaultApplications: ["edtech"], sendInviteEmails: false, skipExisting: true });
    expect(sent.users).toHaveLength(9);
    expect(sent.users[0]).toEqual({
      email: "u1@school.edu",
      firstName: "Jane",
      lastName: "Smith",
      organizationId: org.id,
      role: "edtech_teacher",
      externalId: "1",
      metadata: { legacyRoleId: 4, phone: "+15551234567", legacyTenantId: "10", migratedBy: "authmigrate" },
      passwordHash: BCRYPT,
    });
    expect(JSON.parse((sent.users[1] as { passwordHash: string }).passwordHash)).toEqual({ secretData: expect.any(String), credentialData: expect.any(String) });
    expect(sent.users[5]).not.toHaveProperty("passwordHash"); // reset strategy: no hash
    expect(sent.users[7]).toMatchObject({ status: "disabled", passwordHash: expect.stringMatching(/^\$2b\$10\$acP1/) });
    expect(sent.users[8]).toMatchObject({ firstName: "Ada", lastName: "King Lovelace", role: "member" });

    const byExt = (id: string) => [...sim.store.users.values()].find((u) => u.externalId === id)!;
    expect(byExt("1")).toMatchObject({ organizationId: org.id, role: "edtech_teacher", applications: ["edtech"] });
    expect(byExt("6")).toMatchObject({ mustChangePassword: true });
    expect(byExt("7").password).toBeNull();
    expect(byExt("9").status).toBe("disabled");
    expect(sim.store.outbox).toHaveLength(0);

    // Strategy A: both formats sign in; the PBKDF2 one is upgraded to bcrypt at Calimatic.
    expect(await t.signIn("u1@school.edu", BCRYPT_PW)).toBe(true);
    expect(await t.signIn("u1@school.edu", "wrong")).toBe(false);
    expect(byExt("2").password?.kind).toBe("pbkdf2");
    expect(await t.signIn("u2@school.edu", "test")).toBe(true);
    expect(byExt("2").password?.kind).toBe("bcrypt");
    expect(await t.signIn("u9@school.edu", "P@ssw0rd!")).toBe(false); // disabled → 403
    expect(await t.signIn("u6@school.edu", "TempP@ss2024!")).toBe(true);
  });

  it("is idempotent: re-sending a batch after a crash recognises its own users, never a pre-existing one", async () => {
    await sim.store.addUser({ email: "u2@school.edu", externalId: "2" }); // same legacy id, created by someone else
    const t = instance();
    const batch = [write({ externalId: "1" }), write({ externalId: "2" })];
    expect((await t.writeUsers(batch)).map((o) => o.status)).toEqual(["created", "skipped"]);
    const again = await t.writeUsers(batch);
    expect(again.map((o) => [o.status, o.reason])).toEqual([
      ["created", "already_imported"],
      ["skipped", "exists_by_email"],
    ]);
    expect(sim.store.users.size).toBe(2);
  });

  it("updates go with skipExisting:false and keep the password unless updatePasswords", async () => {
    const t = instance();
    const [created] = await t.writeUsers([write({ externalId: "1", credential: { kind: "hash", format: "bcrypt", value: BCRYPT } })]);
    const id = created!.targetId!;
    const upd = await t.writeUsers([
      write({ externalId: "1", profile: { givenName: "Janet", familyName: "Smith" }, credential: { kind: "hash", format: "bcrypt", value: BCRYPT_2Y } }, { action: "update", targetId: id }),
      write({ externalId: "2" }),
    ]);
    expect(upd.map((o) => [o.status, o.targetId === id])).toEqual([
      ["updated", true],
      ["created", false],
    ]);
    expect(sim.store.imports.slice(1).map((r) => r.skipExisting)).toEqual([true, false]);
    expect(sim.store.users.get(id)).toMatchObject({ firstName: "Janet" });
    expect(await t.signIn("u1@school.edu", BCRYPT_PW)).toBe(true);
    await instance({ updatePasswords: true }).writeUsers([write({ externalId: "1", credential: { kind: "hash", format: "bcrypt", value: BCRYPT_2Y } }, { action: "update", targetId: id })]);
    expect(await t.signIn("u1@school.edu", "P@ssw0rd!")).toBe(true);
  });

  it("skipExisting:false overwrites a pre-existing user but still reports it as linked (never rolled back)", async () => {
    const native = await sim.store.addUser({ email: "u1@school.edu", firstName: "Old" });
    const [o] = await instance({ skipExisting: false }).writeUsers([write({ externalId: "1" })]);
    expect(o).toMatchObject({ status: "skipped", reason: "exists_by_email", targetId: native.id });
    expect(sim.store.users.get(native.id)!.firstName).toBe("Jane");
    expect(sim.store.imports.map((r) => r.skipExisting)).toEqual([true, false]);
    // A re-run still recognises the overwritten user as not ours.
    const [again] = await instance({ skipExisting: false }).writeUsers([write({ externalId: "1" })]);
    expect(again).toMatchObject({ status: "skipped", reason: "exists_by_email" });
  });

  it("whole-request failures throw: 500 retryable, 429 retryable with retryAfterMs", async () => {
    sim.faults.set({ failRate: 1 });
    const e500 = await instance().writeUsers([write({ externalId: "1" })]).catch((e: unknown) => e);
    expect(isAuthmigrateError(e500) && e500.retryable).toBe(true);
    expect(e500).toMatchObject({ meta: { status: 500 } });
    sim.faults.set({ failRate: 0 });

    const limited = await startCalimatic({ rateLimit: 1, rateLimitBurst: 1, bcryptCost: 4 });
    try {
      const t = instance({}, limited);
      expect(await t.writeUsers([write({ externalId: "1" })])).toMatchObject([{ status: "created" }]);
      const e429 = await t.writeUsers([write({ externalId: "2" })]).catch((e: unknown) => e);
      expect(e429).toMatchObject({ code: "TARGET_HTTP_ERROR", retryable: true, meta: { status: 429, retryAfterMs: expect.any(Number) } });
      expect((e429 as { meta: { retryAfterMs: number } }).meta.retryAfterMs).toBeGreaterThanOrEqual(1000);
    } finally {
      await limited.close();
    }
  });

  it("lookups of more users than the rate limit's burst: each 429 is retried alone, every user is found", async () => {
    // A run that restarts after a crash looks up every user of the requests left in flight before
    // resending. Retried as one unit, 30 lookups against a burst of 10 met the limit on every
    // attempt, and the run then wrote those users blind.
    const limited = await startCalimatic({ rateLimit: 10, bcryptCost: 4 });
    try {
      const users = Array.from({ length: 30 }, (_, i) => write({ externalId: String(i + 1) }));
      await limited.store.importUsers({ users: users.map((w) => ({ email: w.user.email, firstName: "Jane", lastName: "Smith", externalId: w.user.externalId })) });
      const found = await instance({ concurrency: 4 }, limited).lookupUsers(users.map((w) => w.user));
      expect([...found.keys()].sort((a, b) => Number(a) - Number(b))).toEqual(users.map((w) => w.user.externalId));
      expect(limited.stats().byStatus[429]).toBeGreaterThan(0);
    } finally {
      await limited.close();
    }
  });

  it("without importsPerSecond, imports go through the run's shared limiter; other calls do not", async () => {
    const seen: string[] = [];
    const limiter = { acquire: async () => void seen.push("acquire"), observe: (r: { status: number }) => void seen.push(`observe:${r.status}`) };
    const opts = CalimaticTargetOptionsSchema.parse({ baseUrl: sim.url, clientId: sim.credentials.clientId, clientSecret: sim.credentials.clientSecret, requestsPerSecond: 0 });
    const t = new CalimaticInstance(opts, { cwd: ".", limiter });
    await t.writeUsers([write({ externalId: "1" })]);
    expect(seen).toEqual(["acquire", "observe:200"]);
    await t.countUsers();
    expect(seen).toHaveLength(2);
  });

  it("spaces import calls by importsPerSecond (the seed's pause between batches)", async () => {
    const t = instance({ importsPerSecond: 5 });
    const started = Date.now();
    await Promise.all([t.writeUsers([write({ externalId: "1" })]), t.writeUsers([write({ externalId: "2" })]), t.writeUsers([write({ externalId: "3" })])]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(380);
  });
});

describe("calimatic target: response mapping (pure)", () => {
  const item = (email: string) => ({ email, firstName: "A", lastName: "B" });
  it("matches errors by index and users by normalised email in order; the unmentioned fail retryable", () => {
    const sent = [item("a@x.io"), item("dup@x.io"), item("bad"), item("dup@x.io"), item("gone@x.io"), item("odd@x.io")];
    const out = mapImportResponse(sent, {
      total: 6, created: 2, updated: 0, skipped: 1, failed: 1,
      errors: [{ email: "bad", error: "Must be a valid email address", index: 2 }, { index: 99, error: "ignored" }],
      users: [
        { email: "DUP@x.io", userId: "u2", status: "user_created" },
        { email: "a@x.io", userId: "u1", status: "user_created" },
        { email: "dup@x.io", userId: "u2", status: "skipped" },
        { email: "odd@x.io", userId: "u9", status: "banana" },
        { email: "stranger@x.io", userId: "u7", status: "user_created" },
      ],
    });
    expect(out).toEqual([
      { kind: "created", targetId: "u1" },
      { kind: "created", targetId: "u2" },
      { kind: "failed", reason: "Must be a valid email address", retryable: false },
      { kind: "existing", targetId: "u2" },
      { kind: "failed", reason: "missing_from_response", retryable: true },
      { kind: "failed", reason: "unexpected_status:banana", retryable: false },
    ]);
  });
});

describe("calimatic target: read, resets, delete", () => {
  it("getUser, lookupUsers, countUsers, sendPasswordResets, deleteUsers", async () => {
    const org = sim.store.createOrg({ name: "S", slug: "s" });
    await sim.store.addUser({ email: "native@school.edu" });
    const t = instance();
    const [a, b] = await t.writeUsers([
      write({ externalId: "1", credential: { kind: "hash", format: "bcrypt", value: BCRYPT }, memberships: [{ orgExternalId: "o", roles: ["org_admin"] }] }, { orgTargetIds: { o: org.id } }),
      write({ externalId: "2", status: "disabled" }),
    ]);
    expect(await t.getUser(a!.targetId!)).toEqual({ targetId: a!.targetId, email: "u1@school.edu", name: "Jane Smith", disabled: false, memberships: { [org.id]: ["org_admin"] }, hasPassword: true, externalId: "1", missingLicenses: [] });
    expect(await t.getUser(b!.targetId!)).toMatchObject({ disabled: true, memberships: {}, hasPassword: false });
    expect(await t.getUser("00000000-0000-0000-0000-000000000000")).toBeUndefined();
    const found = await t.lookupUsers([user({ externalId: "1" }), user({ externalId: "x", email: "native@school.edu" }), user({ externalId: "y" })]);
    expect(found.get("1")).toEqual({ targetId: a!.targetId, matchedBy: "externalId" });
    expect(found.get("x")).toMatchObject({ matchedBy: "email" });
    expect(found.has("y")).toBe(false);
    expect(await t.countUsers()).toBe(3);
    expect(await instance({ sessionCookie: sim.credentials.sessionCookie, clientSecret: "unused" }).countUsers()).toBe(3);

    const resets = await t.sendPasswordResets([a!.targetId!, "nope"]);
    expect(resets[0]).toEqual({ targetId: a!.targetId, ok: true });
    expect(resets[1]).toMatchObject({ ok: false, reason: expect.stringContaining("http_404") });
    expect(sim.store.outbox).toMatchObject([{ kind: "password_reset", to: "u1@school.edu" }]);

    expect(await t.deleteUsers([a!.targetId!, a!.targetId!])).toEqual([
      { targetId: a!.targetId, ok: true },
      { targetId: a!.targetId, ok: true, reason: "not_found" },
    ]);
    expect(await t.countUsers()).toBe(2);
  });
});

describe("calimatic target: end to end through the engine", () => {
  it("run → verify → sign in with the old password (bcrypt and Keycloak PBKDF2) → re-run is a no-op → rollback", async () => {
    const dir = tempDir();
    writeLegacyDb(
      path.join(dir, "legacy.db"),
      [
        { Id: 1, Email: "jane@school.edu", PasswordHash: BCRYPT, TenantId: 1, RoleId: 1, PhoneNumber: "+15551234567" },
        { Id: 2, Email: "kc@school.edu", PasswordHash: JSON.stringify({ secretData: KC_SECRET, credentialData: KC_CRED }), TenantId: 2, RoleId: 2 },
        { Id: 3, Email: "old@school.edu", IsActive: 0, TenantId: 2, RoleId: 3 },
        { Id: 4, Email: "not-an-email" },
        { Id: 5, Email: "native@school.edu", TenantId: 1 },
        ...Array.from({ length: 12 }, (_, i) => ({ Id: 10 + i, Email: `user${i}@school.edu`, TenantId: 1 + (i % 2), RoleId: 1 + (i % 3) })),
      ],
      [
        { Id: 1, Name: "Springfield Elementary" },
        { Id: 2, Name: "Shelbyville High" },
      ],
    );
    const native = await sim.store.addUser({ email: "native@school.edu" });
    const config = parseConfig(
      legacyConfig({
        target: {
          type: "calimatic",
          baseUrl: `${sim.url}/api/v1`,
          apiKey: sim.credentials.apiKey,
          clientId: sim.credentials.clientId,
          clientSecret: sim.credentials.clientSecret,
          defaultApplications: ["edtech"],
          importsPerSecond: 0,
        },
      }),
    );
    const report = await runMigration({ config, cwd: dir });
    expect(report.orgs).toMatchObject({ total: 2, created: 2 });
    expect(report.counts).toMatchObject({ total: 17, created: 15, skipped: 1, failed: 1 });
    expect(report.reasons).toMatchObject({ exists_by_email: 1, invalid_email: 1 });
    expect(sim.store.users.size).toBe(16);
    expect(sim.store.imports.every((r) => r.users.length <= 5)).toBe(true);

    const verify = await verifyMigration({ config, cwd: dir });
    expect(verify).toMatchObject({ ok: true, migrated: 16, notMigrated: 1, unprocessed: 0, targetUsers: 16, missingInTarget: [], mismatches: [] });

    const { instance: t } = await createTarget(config.target, { cwd: dir });
    expect(await t.signIn!("jane@school.edu", BCRYPT_PW)).toBe(true);
    expect(await t.signIn!("kc@school.edu", "test")).toBe(true);
    expect(sim.store.findUserByEmail("kc@school.edu")!.password?.kind).toBe("bcrypt");
    expect(sim.store.findUserByEmail("jane@school.edu")).toMatchObject({ role: "org_owner", externalId: "1", metadata: { phone: "+15551234567" } });
    expect(sim.store.findUserByEmail("old@school.edu")!.status).toBe("disabled");

    const again = await runMigration({ config, cwd: dir });
    expect(again.counts).toMatchObject({ created: 0, updated: 0, unchanged: 16 });

    const rb = await rollbackMigration({ config, cwd: dir });
    expect(rb).toMatchObject({ candidates: 15, deleted: 15, failed: [] });
    expect([...sim.store.users.values()].map((u) => u.id)).toEqual([native.id]);
  });

  it("rides out 500s and 429 bursts: every user lands exactly once", async () => {
    const flaky = await startCalimatic({ bcryptCost: 4, seed: 7, faults: { failRate: 0.3, burst429: { windows: [{ fromMs: 0, toMs: 300 }], retryAfterSec: 1 } } });
    try {
      const dir = tempDir();
      writeLegacyDb(path.join(dir, "legacy.db"), Array.from({ length: 23 }, (_, i) => ({ Id: 1 + i, Email: `f${i}@school.edu`, TenantId: 1 + (i % 2), PasswordHash: BCRYPT })), [
        { Id: 1, Name: "Springfield Elementary" },
        { Id: 2, Name: "Shelbyville High" },
      ]);
      // Orgs are created once, without the engine's retry loop: let them through.
      flaky.faults.set({ match: (c) => c.req.path.endsWith("/users/import") });
      const config = parseConfig(
        legacyConfig({
          target: { type: "calimatic", baseUrl: flaky.url, apiKey: flaky.credentials.apiKey, clientId: flaky.credentials.clientId, clientSecret: flaky.credentials.clientSecret, importsPerSecond: 0 },
        }),
      );
      const report = await runMigration({ config, cwd: dir });
      expect(report.counts).toMatchObject({ total: 23, created: 23, failed: 0 });
      expect(flaky.faults.counts().failed + flaky.faults.counts().burst429).toBeGreaterThan(0);
      expect(flaky.store.users.size).toBe(23);
      expect(new Set([...flaky.store.users.values()].map((u) => u.email)).size).toBe(23);
      flaky.faults.set({ failRate: 0 });
      expect(await verifyMigration({ config, cwd: dir })).toMatchObject({ ok: true, migrated: 23 });
    } finally {
      await flaky.close();
    }
  });
});
