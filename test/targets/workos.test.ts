import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import { runMigration } from "../../src/engine/run.js";
import { verifyMigration } from "../../src/engine/verify.js";
import { rollbackMigration } from "../../src/engine/rollback.js";
import { isAuthmigrateError } from "../../src/errors.js";
import { MigrationOrgSchema, MigrationUserSchema, type MigrationUserInput } from "../../src/model/user.js";
import { startWorkosSimulator, type RunningWorkosSimulator, type WorkosSimulatorOptions } from "../../src/simulators/workos/index.js";
import { getTarget } from "../../src/targets/index.js";
import type { UserWrite } from "../../src/targets/types.js";
import { isAlreadyMember, WorkosApi } from "../../src/targets/workos/api.js";
import { WORKOS_HASH_FORMATS, workosTarget, WorkosTargetOptionsSchema, type WorkosInstance, type WorkosTargetOptionsInput } from "../../src/targets/workos/index.js";
import { legacyConfig, tempDir, writeLegacyDb } from "../helpers.js";

const BCRYPT = { hash: "$2b$10$VvC10Nhzh8oCRE6A9ywlS.iV7fjqU4LFPnENq2jGdtLyn.SK0Ybju", pw: "correct horse battery staple" };
const DJANGO = { hash: "pbkdf2_sha256$260000$Xk4gHbqP2vRmYt8wLs6nQe$oiFzCBcaAPpsQ3HWEdI+4Sjf7+jl6q8XpjI1KnYBYdA=", pw: "correct horse battery staple" };
const FIREBASE = {
  hash: "lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==",
  params: { signer_key: "jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==", salt_separator: "Bw==", rounds: 8, mem_cost: 14, salt: "42xEC+ixf3L2lw==" },
  pw: "user1password",
};
const MD5 = { hash: "5f4dcc3b5aa765d61d8327deb882cf99", pw: "password" };

const sims: RunningWorkosSimulator[] = [];
async function sim(opts: WorkosSimulatorOptions = {}): Promise<RunningWorkosSimulator> {
  const s = await startWorkosSimulator({ roles: ["member", "admin", "owner"], ...opts });
  sims.push(s);
  return s;
}
afterAll(async () => {
  await Promise.all(sims.map((s) => s.close()));
});

function target(s: RunningWorkosSimulator, opts: Partial<WorkosTargetOptionsInput> = {}): WorkosInstance {
  const options = WorkosTargetOptionsSchema.parse({ apiKey: s.apiKey, clientId: s.clientId, baseUrl: s.url, requestsPerSecond: 1000, ...opts });
  return workosTarget.create(options, { cwd: process.cwd() }) as WorkosInstance;
}

let n = 0;
function user(input: Partial<MigrationUserInput> = {}) {
  n++;
  return MigrationUserSchema.parse({ externalId: `ext-${n}`, email: `user${n}@example.com`, ...input });
}
function write(u: ReturnType<typeof user>, extra: Partial<UserWrite> = {}): UserWrite {
  return { user: u, action: "create", orgTargetIds: {}, ...extra };
}
const hash = (format: string, value: string, params: Record<string, unknown> = {}) => ({ kind: "hash" as const, format, value, params });

describe("workos target: definition", () => {
  it("is registered, validates options and lists the hash formats WorkOS takes", async () => {
    expect(await getTarget("workos")).toBe(workosTarget);
    expect(WorkosTargetOptionsSchema.safeParse({ apiKey: "pk_nope" }).success).toBe(false);
    const parsed = WorkosTargetOptionsSchema.parse({ apiKey: "sk_test_x" });
    expect(parsed).toMatchObject({ baseUrl: "https://api.workos.com", passwordless: "reset", mode: "big-bang" });
    for (const f of ["bcrypt", "scrypt-phc", "firebase-scrypt", "ldap-ssha", "pbkdf2-phc", "pbkdf2-sha256-django", "argon2id"]) expect(WORKOS_HASH_FORMATS).toContain(f);
    for (const f of ["md5-raw", "phpass-wordpress", "sha512-crypt"]) expect(WORKOS_HASH_FORMATS).not.toContain(f);
    expect(workosTarget.capabilities).toMatchObject({ maxBatchSize: 50, update: true, orgs: true, rollback: true, rateLimit: { requestsPerSecond: 50 } });
  });

  it("prepare checks the API key", async () => {
    const s = await sim();
    await expect(target(s).prepare()).resolves.toBeUndefined();
    const bad = target(s, { apiKey: "sk_test_wrong" });
    await expect(bad.prepare()).rejects.toMatchObject({ code: "TARGET_AUTH_FAILED" });
    await expect(bad.prepare()).rejects.not.toThrow(/sk_test_wrong/);
  });
});

describe("workos target: users and passwords", () => {
  let s: RunningWorkosSimulator;
  let t: WorkosInstance;
  beforeAll(async () => {
    s = await sim();
    t = target(s);
  });

  it("bcrypt users sign in with their old password; names, external_id and email_verified carried", async () => {
    const u = user({ email: "jane@example.com", emailVerified: true, profile: { givenName: "Jane", familyName: "Doe" }, credential: hash("bcrypt", BCRYPT.hash) });
    const [o] = await t.writeUsers([write(u, { strategy: "native" })]);
    expect(o).toMatchObject({ externalId: u.externalId, status: "created" });
    expect(o!.reason).toBeUndefined();
    expect(s.store.users.get(o!.targetId!)).toMatchObject({ email: "jane@example.com", first_name: "Jane", last_name: "Doe", external_id: u.externalId, email_verified: true });
    expect(await t.signIn("Jane@Example.com", BCRYPT.pw)).toBe(true);
    expect(await t.signIn("jane@example.com", "wrong")).toBe(false);
    expect(await t.getUser(o!.targetId!)).toMatchObject({ email: "jane@example.com", name: "Jane Doe", hasPassword: true, memberships: {} });
  });

  it("re-encodes Django PBKDF2 → pbkdf2 and Firebase scrypt → firebase-scrypt; both sign in with the old password", async () => {
    const d = user({ credential: hash("pbkdf2-sha256-django", DJANGO.hash) });
    const f = user({ credential: hash("firebase-scrypt", FIREBASE.hash, FIREBASE.params) });
    const out = await t.writeUsers([write(d, { strategy: "re-encode" }), write(f, { strategy: "re-encode" })]);
    expect(out.map((o) => o.status)).toEqual(["created", "created"]);
    expect(s.store.passwords.get(out[0]!.targetId!)?.source).toBe("pbkdf2");
    expect(s.store.passwords.get(out[1]!.targetId!)?.source).toBe("firebase-scrypt");
    expect(await t.signIn(d.email!, DJANGO.pw)).toBe(true);
    expect(await t.signIn(f.email!, FIREBASE.pw)).toBe(true);
    expect(await t.signIn(f.email!, "nope")).toBe(false);
  });

  it("normalises email case and whitespace (seed 002: trim + lower-case)", async () => {
    const u = user({ email: "  Mixed.Case@Example.COM " });
    const [o] = await t.writeUsers([write(u)]);
    expect(o!.status).toBe("created");
    expect(s.store.users.get(o!.targetId!)!.email).toBe("mixed.case@example.com");
  });

  it("user already exists (dual-write or earlier import) → looked up by email and linked, not duplicated", async () => {
    const existing = await s.store.createUser({ email: "already@example.com" });
    const u = user({ email: "ALREADY@example.com", credential: hash("bcrypt", BCRYPT.hash) });
    const [o] = await t.writeUsers([write(u, { strategy: "native" })]);
    expect(o).toMatchObject({ status: "skipped", reason: "exists_by_email", targetId: existing.id });
    expect([...s.store.users.values()].filter((x) => x.email === "already@example.com")).toHaveLength(1);
  });

  it("handles the legacy 409 user_already_exists form too", async () => {
    const s409 = await sim({ duplicateEmail: "409" });
    const existing = await s409.store.createUser({ email: "dup@example.com" });
    const [o] = await target(s409).writeUsers([write(user({ email: "dup@example.com" }))]);
    expect(o).toMatchObject({ status: "skipped", reason: "exists_by_email", targetId: existing.id });
  });

  it("external_id already used (email changed in WorkOS) → linked by external_id", async () => {
    const u = user();
    const existing = await s.store.createUser({ email: "changed-in-workos@example.com", external_id: u.externalId });
    const [o] = await t.writeUsers([write(u)]);
    expect(o).toMatchObject({ status: "skipped", reason: "exists_by_external_id", targetId: existing.id });
  });

  it("hash WorkOS cannot take → created without password + reset email, reason recorded", async () => {
    const u = user({ credential: hash("md5-raw", MD5.hash) });
    const [o] = await t.writeUsers([write(u, { strategy: "native" })]);
    expect(o).toMatchObject({ status: "created", reason: "hash_not_importable:password_reset_sent" });
    expect(s.store.hasPassword(o!.targetId!)).toBe(false);
    expect(s.store.outbox.filter((e) => e.email === u.email)).toHaveLength(1);
    expect(await t.getUser(o!.targetId!)).toMatchObject({ hasPassword: false });
  });

  it("hash rejected by WorkOS (422 Invalid password hash type) → re-created without it, reset per config", async () => {
    const strict = await sim({ hashTypes: ["bcrypt", "scrypt", "firebase-scrypt", "ssha", "argon2"] });
    const u = user({ credential: hash("pbkdf2-sha256-django", DJANGO.hash) });
    const lazy = user({ credential: hash("pbkdf2-sha256-django", DJANGO.hash) });
    const [o] = await target(strict).writeUsers([write(u, { strategy: "re-encode" })]);
    expect(o).toMatchObject({ status: "created", reason: "invalid_hash:password_reset_sent" });
    expect(strict.store.hasPassword(o!.targetId!)).toBe(false);
    expect(strict.store.outbox.map((e) => e.email)).toEqual([u.email]);
    const [l] = await target(strict, { passwordless: "lazy" }).writeUsers([write(lazy, { strategy: "re-encode" })]);
    expect(l).toMatchObject({ status: "created", reason: "invalid_hash:lazy" });
    expect(strict.store.outbox).toHaveLength(1);
  });

  it("users without any hash: created without password; the engine's reset goes through sendPasswordResets, once", async () => {
    const before = s.store.outbox.length;
    const [r] = await t.writeUsers([write(user(), { strategy: "reset" })]);
    const [nn] = await t.writeUsers([write(user(), { strategy: "none" })]);
    expect([r!.status, r!.reason, nn!.reason]).toEqual(["created", undefined, undefined]);
    expect(s.store.outbox.length).toBe(before);
    expect(await t.sendPasswordResets([r!.targetId!, nn!.targetId!])).toEqual([
      { targetId: r!.targetId, ok: true },
      { targetId: nn!.targetId, ok: true },
    ]);
    expect(s.store.outbox.length).toBe(before + 2);
    // A second call in the same run sends nothing more.
    expect(await t.sendPasswordResets([r!.targetId!])).toEqual([{ targetId: r!.targetId, ok: true, reason: "already_sent" }]);
    expect(s.store.outbox.length).toBe(before + 2);
  });

  it("hashes WorkOS cannot take (planner strategy `lazy`) follow `passwordless`: reset (default), lazy, none", async () => {
    const md5 = () => user({ credential: hash("md5-raw", MD5.hash) });
    const before = s.store.outbox.length;
    const [zr] = await t.writeUsers([write(md5(), { strategy: "lazy" })]);
    expect(zr).toMatchObject({ status: "created", reason: "hash_not_importable:password_reset_sent" });
    expect(s.store.outbox.length).toBe(before + 1);
    // The engine's own reset pass (passwords.reset: all) does not send a second email.
    expect(await t.sendPasswordResets([zr!.targetId!])).toEqual([{ targetId: zr!.targetId, ok: true, reason: "already_sent" }]);
    const [zl] = await target(s, { passwordless: "lazy" }).writeUsers([write(md5(), { strategy: "lazy" })]);
    const [zn] = await target(s, { passwordless: "none" }).writeUsers([write(md5(), { strategy: "lazy" })]);
    expect([zl!.reason, zn!.reason]).toEqual(["hash_not_importable:lazy", "hash_not_importable:no_password"]);
    expect(s.store.outbox.length).toBe(before + 1);
  });

  it("social-only users are created without password and without a reset (WorkOS links OAuth sign-ins by email)", async () => {
    const u = user({ emailVerified: true, identities: [{ provider: "google", providerUserId: "g-1", email: "x@example.com" }] });
    const before = s.store.outbox.length;
    const [o] = await t.writeUsers([write(u, { strategy: "none" })]);
    expect(o).toMatchObject({ status: "created", reason: "social_only" });
    expect(s.store.hasPassword(o!.targetId!)).toBe(false);
    expect(await t.sendPasswordResets([o!.targetId!])).toEqual([{ targetId: o!.targetId, ok: true, reason: "social_only" }]);
    expect(s.store.outbox.length).toBe(before);
  });

  it("temporary strategy sends the generated password (WorkOS hashes it)", async () => {
    const u = user({ credential: hash("md5-raw", MD5.hash) });
    const [o] = await t.writeUsers([write(u, { strategy: "temporary", temporaryPassword: "Temp-Pass-123" })]);
    expect(o).toMatchObject({ status: "created", reason: "temporary_password" });
    expect(await t.signIn(u.email!, "Temp-Pass-123")).toBe(true);
    const [m] = await t.writeUsers([write(user(), { strategy: "temporary" })]);
    expect(m).toMatchObject({ status: "failed", reason: "missing_temporary_password" });
  });

  it("invalid email → failed invalid_email; no email → no_email; disabled → disabled_unsupported (or imported)", async () => {
    const out = await t.writeUsers([write(user({ email: "bad@@example" })), write(user({ email: undefined })), write(user({ status: "disabled" }))]);
    expect(out.map((o) => [o.status, o.reason])).toEqual([
      ["failed", "invalid_email"],
      ["failed", "no_email"],
      ["failed", "disabled_unsupported"],
    ]);
    const [d] = await target(s, { disabledUsers: "import" }).writeUsers([write(user({ status: "disabled" }))]);
    expect(d!.status).toBe("created");
  });

  it("'Email not verified' blocking login: emailVerified: always creates verified users", async () => {
    const strict = await sim({ requireVerifiedEmail: true });
    const a = user({ credential: hash("bcrypt", BCRYPT.hash) });
    const b = user({ credential: hash("bcrypt", BCRYPT.hash) });
    await target(strict).writeUsers([write(a, { strategy: "native" })]);
    await target(strict, { emailVerified: "always" }).writeUsers([write(b, { strategy: "native" })]);
    expect(await target(strict).signIn(a.email!, BCRYPT.pw)).toBe(false);
    expect(await target(strict).signIn(b.email!, BCRYPT.pw)).toBe(true);
  });

  it("update PUTs the profile and a carried hash", async () => {
    const u = user({ profile: { givenName: "Old" } });
    const [c] = await t.writeUsers([write(u)]);
    const changed = { ...u, profile: { givenName: "New", familyName: "Name" }, credential: hash("bcrypt", BCRYPT.hash) };
    const [o] = await t.writeUsers([{ user: changed, action: "update", targetId: c!.targetId!, orgTargetIds: {}, strategy: "native" }]);
    expect(o).toMatchObject({ status: "updated", targetId: c!.targetId });
    expect(s.store.users.get(c!.targetId!)).toMatchObject({ first_name: "New", last_name: "Name" });
    expect(await t.signIn(u.email!, BCRYPT.pw)).toBe(true);
    const [gone] = await t.writeUsers([{ user: user(), action: "update", targetId: "user_missing", orgTargetIds: {} }]);
    expect(gone).toMatchObject({ status: "failed", reason: "not_found" });
  });

  it("lookupUsers matches by external_id, then email", async () => {
    const a = user();
    const b = user();
    const [ca] = await t.writeUsers([write(a)]);
    const existing = await s.store.createUser({ email: b.email });
    const found = await t.lookupUsers([a, b, user()]);
    expect(found.get(a.externalId)).toEqual({ targetId: ca!.targetId, matchedBy: "externalId" });
    expect(found.get(b.externalId)).toEqual({ targetId: existing.id, matchedBy: "email" });
    expect(found.size).toBe(2);
  });

  it("countUsers pages through the list; deleteUsers is re-runnable; sendPasswordResets", async () => {
    const fresh = await sim();
    for (let i = 0; i < 123; i++) await fresh.store.createUser({ email: `c${i}@example.com` });
    const ft = target(fresh);
    expect(await ft.countUsers()).toBe(123);
    const ids = [...fresh.store.users.keys()].slice(0, 2);
    expect(await ft.sendPasswordResets([ids[0]!, "user_nope"])).toEqual([
      { targetId: ids[0], ok: true },
      { targetId: "user_nope", ok: false, reason: "not_found" },
    ]);
    expect(await ft.deleteUsers(ids)).toEqual(ids.map((targetId) => ({ targetId, ok: true })));
    expect(await ft.deleteUsers(ids)).toEqual(ids.map((targetId) => ({ targetId, ok: true, reason: "not_found" })));
    expect(await ft.countUsers()).toBe(121);
  });
});

describe("workos target: organizations and memberships", () => {
  let s: RunningWorkosSimulator;
  let t: WorkosInstance;
  let orgIds: Record<string, string>;
  beforeAll(async () => {
    s = await sim();
    t = target(s, { roleSlugs: { org_owner: "owner", org_admin: "admin" } });
    const orgs = [
      MigrationOrgSchema.parse({ externalId: "t1", name: "Springfield", slug: "springfield", domain: "Springfield.test" }),
      MigrationOrgSchema.parse({ externalId: "t2", name: "Shelbyville", slug: "shelbyville" }),
    ];
    const out = await t.upsertOrgs(orgs);
    expect(out.map((o) => o.status)).toEqual(["created", "created"]);
    orgIds = Object.fromEntries(out.map((o) => [o.externalId, o.targetId!]));
    const again = await t.upsertOrgs(orgs);
    expect(again).toEqual(out.map((o) => ({ externalId: o.externalId, status: "skipped", targetId: o.targetId, reason: "exists_by_external_id" })));
    expect(s.store.orgs.size).toBe(2);
    expect(s.store.orgs.get(orgIds.t1!)!.domains).toMatchObject([{ domain: "springfield.test", state: "pending" }]);
  });

  it("creates memberships with mapped role slugs; getUser reports the legacy role names", async () => {
    const u = user({ memberships: [{ orgExternalId: "t1", roles: ["org_owner"] }, { orgExternalId: "t2", roles: [] }] });
    const [o] = await t.writeUsers([write(u, { orgTargetIds: orgIds })]);
    expect(o!.status).toBe("created");
    const ms = [...s.store.memberships.values()].filter((m) => m.user_id === o!.targetId);
    expect(ms.map((m) => [m.organization_id, m.role.slug]).sort()).toEqual([[orgIds.t1, "owner"], [orgIds.t2, "member"]].sort());
    expect((await t.getUser(o!.targetId!))!.memberships).toEqual({ [orgIds.t1!]: ["org_owner"], [orgIds.t2!]: ["member"] });
  });

  it("membership already exists → ok (linked users keep their roles; update corrects them)", async () => {
    const existing = await s.store.createUser({ email: "member-before@example.com" });
    s.store.createMembership({ user_id: existing.id, organization_id: orgIds.t1, role_slug: "admin" });
    const u = user({ email: "member-before@example.com", memberships: [{ orgExternalId: "t1", roles: ["member"] }, { orgExternalId: "t2", roles: ["org_admin"] }] });
    const [o] = await t.writeUsers([write(u, { orgTargetIds: orgIds })]);
    expect(o).toMatchObject({ status: "skipped", reason: "exists_by_email", targetId: existing.id });
    const roles = () => Object.fromEntries([...s.store.memberships.values()].filter((m) => m.user_id === existing.id).map((m) => [m.organization_id, m.role.slug]));
    expect(roles()).toEqual({ [orgIds.t1!]: "admin", [orgIds.t2!]: "admin" });
    const [up] = await t.writeUsers([{ user: u, action: "update", targetId: existing.id, orgTargetIds: orgIds }]);
    expect(up!.status).toBe("updated");
    expect(roles()).toEqual({ [orgIds.t1!]: "member", [orgIds.t2!]: "admin" });
    // The "already a member" answer itself is recognised.
    const api = new WorkosApi((t as unknown as { api: WorkosApi }).api.http);
    const err = await api.createMembership({ user_id: existing.id, organization_id: orgIds.t1 }).catch((e: unknown) => e);
    expect(isAlreadyMember(err)).toBe(true);
  });

  it("several roles: first one only unless multipleRoles; unknown role slug fails the user with its id", async () => {
    const u = user({ memberships: [{ orgExternalId: "t1", roles: ["org_admin", "org_owner"] }] });
    const [o] = await t.writeUsers([write(u, { orgTargetIds: orgIds })]);
    expect(o!.status).toBe("created");
    expect([...s.store.memberships.values()].find((m) => m.user_id === o!.targetId)!.role.slug).toBe("admin");
    const multi = await sim({ multipleRoles: true });
    const mt = target(multi, { roleSlugs: { org_owner: "owner", org_admin: "admin" }, multipleRoles: true });
    const [org] = await mt.upsertOrgs([MigrationOrgSchema.parse({ externalId: "m1", name: "Multi", slug: "multi" })]);
    const [mo] = await mt.writeUsers([write(user({ memberships: [{ orgExternalId: "m1", roles: ["org_admin", "org_owner"] }] }), { orgTargetIds: { m1: org!.targetId! } })]);
    expect((await mt.getUser(mo!.targetId!))!.memberships[org!.targetId!]!.sort()).toEqual(["org_admin", "org_owner"]);

    const [bad] = await t.writeUsers([write(user({ memberships: [{ orgExternalId: "t1", roles: ["janitor"] }] }), { orgTargetIds: orgIds })]);
    expect(bad).toMatchObject({ status: "failed", reason: "membership_failed:workos_role_not_found", retryable: false });
    expect(s.store.users.has(bad!.targetId!)).toBe(true);
  });
});

describe("workos target: rate limits and dual-write", () => {
  it("429 → retryable AuthmigrateError with retryAfterMs; the retried batch resumes without duplicates", async () => {
    const s = await sim({ writesPerSecond: 1 });
    const t = target(s);
    const batch = [write(user()), write(user()), write(user())];
    const err = await t.writeUsers(batch).catch((e: unknown) => e);
    expect(isAuthmigrateError(err)).toBe(true);
    expect(err).toMatchObject({ retryable: true, meta: { status: 429 } });
    expect((err as { meta: { retryAfterMs: number } }).meta.retryAfterMs).toBeGreaterThanOrEqual(1000);
    expect(s.store.users.size).toBe(1);
    // What the engine does: wait and call again with the same batch (the instance's limiter also waits).
    s.limits.writes.setRate(1000, 1000);
    const out = await t.writeUsers(batch);
    expect(out.map((o) => o.status)).toEqual(["created", "created", "created"]);
    expect(s.store.users.size).toBe(3);
  }, 15_000);

  it("5xx and timeouts are retryable too", async () => {
    const s = await sim();
    const t = target(s, { timeoutMs: 200 });
    s.faults.set({ failRate: 1, failStatus: 502 });
    const err = await t.writeUsers([write(user())]).catch((e: unknown) => e);
    expect(err).toMatchObject({ retryable: true, meta: { status: 502 } });
    s.faults.set({ failRate: 0, timeoutRate: 1, timeoutMs: 1000 });
    const slow = await t.writeUsers([write(user())]).catch((e: unknown) => e);
    expect(slow).toMatchObject({ code: "TARGET_TIMEOUT", retryable: true });
    s.faults.set({ timeoutRate: 0 });
    expect(s.store.users.size).toBe(0);
  });

  it("a POST whose answer was lost is replayed by its Idempotency-Key (same instance), not duplicated", async () => {
    const s = await sim();
    const api = target(s).api;
    const a = await api.createUser({ email: "lost-answer@example.com", external_id: "lost-1" }, "user:lost-1");
    const b = await api.createUser({ email: "lost-answer@example.com", external_id: "lost-1" }, "user:lost-1");
    expect(b.id).toBe(a.id);
    expect(s.store.users.size).toBe(1);
    // Another instance (a later run) uses other keys: WorkOS answers with the duplicate error instead.
    await expect(target(s).api.createUser({ email: "lost-answer@example.com" }, "user:lost-1")).rejects.toMatchObject({ meta: { status: 422 } });
  });

  it("dual-write skips users that already carry a WorkOS id (ledger or mapped workos_user_id); the rest import, duplicates link", async () => {
    const s = await sim();
    const t = target(s, { mode: "dual-write" });
    const appMade = await s.store.createUser({ email: "app-made@example.com" });
    const race = await s.store.createUser({ email: "race@example.com" });
    const out = await t.writeUsers([
      write(user({ email: "app-made@example.com", metadata: { workos_user_id: appMade.id } })),
      write(user(), { action: "update", targetId: "user_from_ledger" }),
      write(user({ email: "race@example.com" })),
      write(user()),
    ]);
    expect(out.map((o) => [o.status, o.reason, o.targetId])).toEqual([
      ["skipped", "dual_write_linked", appMade.id],
      ["skipped", "dual_write_linked", "user_from_ledger"],
      ["skipped", "exists_by_email", race.id],
      ["created", undefined, out[3]!.targetId],
    ]);
    expect(s.store.users.size).toBe(3);
  });
});

describe("workos target: end to end", () => {
  let s: RunningWorkosSimulator;
  afterEach(() => {
    s.faults.set({ failRate: 0, burst429: undefined });
  });

  it("plan against a target whose lookups keep failing: each lookup is tried 5 times (its own retries), not 5 × 6, and the plan still finishes", async () => {
    s = await sim();
    const dir = tempDir();
    writeLegacyDb(path.join(dir, "legacy.db"), [
      { Id: 1, Email: "one@school.edu", PasswordHash: BCRYPT.hash },
      { Id: 2, Email: "two@school.edu", PasswordHash: BCRYPT.hash },
    ]);
    const config = parseConfig(legacyConfig({ orgs: undefined, target: { type: "workos", apiKey: s.apiKey, clientId: s.clientId, baseUrl: s.url } }));
    s.faults.set({ failRate: 1, failStatus: 502, match: (c) => c.req.method === "GET" && c.req.path.includes("/external_id/") });
    try {
      const report = await runMigration({ config, cwd: dir, dryRun: true });
      // WorkOS links existing users inside its create: a failed lookup does not block the plan.
      expect(report.counts).toMatchObject({ total: 2 });
      expect(report.counts.failed).toBe(0);
      // The batch's lookup stops at the first user's failing request: READ_RETRY's 5 attempts, once.
      expect(s.faults.counts().failed).toBe(5);
    } finally {
      s.faults.set({ failRate: 0, match: undefined });
    }
  });

  it("runMigration → verifyMigration against the simulator; old passwords sign in; rollback deletes only what it created", async () => {
    s = await sim();
    const pre = await s.store.createUser({ email: "preexisting@school.edu" });
    const dir = tempDir();
    writeLegacyDb(
      path.join(dir, "legacy.db"),
      [
        { Id: 1, Email: "Jane@School.edu", PasswordHash: BCRYPT.hash, TenantId: 1, RoleId: 1 },
        { Id: 2, Email: "django@school.edu", PasswordHash: DJANGO.hash, TenantId: 2, RoleId: 2 },
        { Id: 3, Email: "nohash@school.edu", TenantId: 1, RoleId: 3 },
        { Id: 4, Email: "md5@school.edu", PasswordHash: MD5.hash, TenantId: 2 },
        { Id: 5, Email: "not-an-email" },
        { Id: 6, Email: "preexisting@school.edu", PasswordHash: BCRYPT.hash, TenantId: 1 },
        ...Array.from({ length: 12 }, (_, i) => ({ Id: 10 + i, Email: `user${i}@school.edu`, PasswordHash: BCRYPT.hash, TenantId: 1 + (i % 2), RoleId: 1 + (i % 3) })),
      ],
      [
        { Id: 1, Name: "Springfield Elementary" },
        { Id: 2, Name: "Shelbyville High" },
      ],
    );
    const config = parseConfig(
      legacyConfig({
        target: { type: "workos", apiKey: s.apiKey, clientId: s.clientId, baseUrl: s.url, roleSlugs: { org_owner: "owner", org_admin: "admin" } },
      }),
    );
    // A 429 burst in the middle: the engine waits Retry-After and retries.
    s.faults.set({ burst429: { windows: [{ fromMs: 150, toMs: 1200 }], retryAfterSec: 1 } });
    const report = await runMigration({ config, cwd: dir });
    expect(report.counts).toMatchObject({ total: 18, created: 16, skipped: 1, failed: 1 });
    expect(report.reasons).toMatchObject({ invalid_email: 1, exists_by_email: 1 });
    expect(report.orgs).toMatchObject({ total: 2, created: 2 });
    expect(s.store.users.size).toBe(17);
    expect(s.faults.counts().burst429).toBeGreaterThan(0);

    const t = target(s);
    expect(await t.signIn("jane@school.edu", BCRYPT.pw)).toBe(true);
    expect(await t.signIn("django@school.edu", DJANGO.pw)).toBe(true);
    // md5: the target's fallback reset; nohash: the engine's reset pass (passwords.reset: missing). One email each.
    expect(s.store.outbox.map((e) => e.email).sort()).toEqual(["md5@school.edu", "nohash@school.edu"]);
    expect(report.resets).toEqual({ sent: 1, failed: 0 });
    const jane = s.store.userByEmail("jane@school.edu")!;
    const janeOrgs = [...s.store.memberships.values()].filter((m) => m.user_id === jane.id);
    expect(janeOrgs.map((m) => [m.organization_name, m.role.slug])).toEqual([["Springfield Elementary", "owner"]]);

    const verify = await verifyMigration({ config, cwd: dir });
    expect(verify).toMatchObject({ sourceRecords: 18, migrated: 17, notMigrated: 1, unprocessed: 0, targetUsers: 17, missingInTarget: [] });
    // The md5 user has no password in WorkOS: verify knows its strategy (lazy) did not promise one.
    expect(verify.mismatches).toEqual([]);
    expect(verify.ok).toBe(true);
    expect((await t.getUser(s.store.userByEmail("md5@school.edu")!.id))!.hasPassword).toBe(false);

    const again = await runMigration({ config, cwd: dir });
    expect(again.counts).toMatchObject({ created: 0, unchanged: 17, failed: 1 });
    expect(s.store.users.size).toBe(17);

    const rb = await rollbackMigration({ config, cwd: dir });
    expect(rb).toMatchObject({ candidates: 16, deleted: 16, failed: [] });
    expect([...s.store.users.keys()]).toEqual([pre.id]);
  }, 60_000);
});
