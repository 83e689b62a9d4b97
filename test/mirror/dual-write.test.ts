import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openMirror, type Mirror } from "../../src/mirror/index.js";
import { nativeHash } from "../../src/hashes/index.js";
import { startWorkosSimulator, type RunningWorkosSimulator } from "../../src/simulators/workos/index.js";
import { tempDir } from "../helpers.js";

const FAST = { baseDelayMs: 20, maxDelayMs: 100 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("dual-write helpers on better-auth (SQLite), end to end through openMirror", () => {
  const dir = tempDir("am-dualwrite-");
  let m: Mirror;
  beforeAll(async () => {
    m = await openMirror({ target: { type: "better-auth", database: "app.db", organizations: false }, ledgerUrl: "ledger.db", cwd: dir, worker: false, outbox: FAST });
  });
  afterAll(async () => {
    await m.close();
  });
  const signIn = (email: string, password: string) => m.ctx.instance.signIn!(email, password);

  it("sign-up creates the user with a working password and records the legacy id → target id link", async () => {
    const r = await m.onSignUp({ externalId: "u1", email: "Jane@Example.com", profile: { givenName: "Jane", familyName: "Doe" } }, "first-pass-1");
    expect(r.result).toMatchObject({ status: "applied", action: "signup" });
    expect(await signIn("jane@example.com", "first-pass-1")).toBe(true);
    const row = (await m.ctx.ledger!.getUsers(["u1"])).get("u1");
    expect(row).toMatchObject({ targetId: r.result!.targetId, status: "created" });
    // A second sign-up of the same user links instead of duplicating.
    expect((await m.onSignUp({ externalId: "u1", email: "jane@example.com" })).result).toMatchObject({ status: "skipped" });
    expect(await m.ctx.instance.countUsers()).toBe(1);
  });

  it("email change moves sign-in to the new address", async () => {
    const r = await m.onEmailChange("u1", "Jane@New.example", { previousEmail: "jane@example.com" });
    expect(r.result).toMatchObject({ status: "applied" });
    expect(await signIn("jane@new.example", "first-pass-1")).toBe(true);
    expect(await signIn("jane@example.com", "first-pass-1")).toBe(false);
  });

  it("password change (plain or as a legacy hash) replaces the old password", async () => {
    expect((await m.onPasswordChange("u1", { password: "second-pass-2" })).result).toMatchObject({ status: "applied" });
    expect(await signIn("jane@new.example", "second-pass-2")).toBe(true);
    expect(await signIn("jane@new.example", "first-pass-1")).toBe(false);
    const hash = await nativeHash("third-pass-3", 4);
    expect((await m.onPasswordChange("u1", { hash: { format: "bcrypt", value: hash } })).result).toMatchObject({ status: "applied" });
    expect(await signIn("jane@new.example", "third-pass-3")).toBe(true);
  });

  it("mirrorUpsert diffs OAuth identities and patches the name; mirrorDelete removes the user", async () => {
    const base = { externalId: "u1", email: "jane@new.example", profile: { displayName: "Jane D." } };
    const up = await m.mirrorUpsert({ ...base, identities: [{ provider: "github", providerUserId: "77" }] });
    expect(up.result).toMatchObject({ status: "applied" });
    const db = new Database(`${dir}/app.db`, { readonly: true });
    const accounts = () => (db.prepare("SELECT providerId || ':' || accountId AS k FROM account WHERE providerId != 'credential' ORDER BY 1").all() as { k: string }[]).map((r) => r.k);
    expect(accounts()).toEqual(["github:77"]);
    expect((db.prepare("SELECT name FROM user").get() as { name: string }).name).toBe("Jane D.");
    await m.mirrorUpsert({ ...base, identities: [{ provider: "google", providerUserId: "g1" }] });
    expect(accounts()).toEqual(["google:g1"]);
    expect((await m.mirrorDelete("u1")).result).toMatchObject({ status: "applied" });
    expect(await m.ctx.instance.countUsers()).toBe(0);
    db.close();
  });

  it("a change for a user never migrated is skipped, not queued", async () => {
    expect((await m.onEmailChange("nobody", "x@example.com")).result).toMatchObject({ status: "skipped", reason: "not_migrated" });
    expect(await m.outboxDepth()).toEqual({ pending: 0, dead: 0 });
  });

  it("rejects bad input with the field and the fix", async () => {
    await expect(m.onEmailChange("u1", "not-an-email")).rejects.toThrow(/not an email address/);
    await expect(m.onSignUp({ externalId: "" })).rejects.toThrow(/externalId/);
    await expect(m.onPasswordChange("u1", { password: "" })).rejects.toThrow(/empty/);
  });
});

describe("dual-write on WorkOS (simulator): password change while the target is down", () => {
  const dir = tempDir("am-dualwrite-workos-");
  let sim: RunningWorkosSimulator;
  let m: Mirror;
  beforeAll(async () => {
    sim = await startWorkosSimulator();
    m = await openMirror({ target: { type: "workos", apiKey: sim.apiKey, clientId: sim.clientId, baseUrl: sim.url }, ledgerUrl: "ledger.db", cwd: dir, worker: false, outbox: FAST });
  });
  afterAll(async () => {
    await m.close();
    await sim.close();
  });

  it("queues a bcrypt hash (never the plain password) and lands it when WorkOS is back", async () => {
    const up = await m.onSignUp({ externalId: "w1", email: "w1@example.com", profile: { givenName: "W" } }, "before-pass-1");
    expect(up.result).toMatchObject({ status: "applied" });
    expect(await m.ctx.instance.signIn!("w1@example.com", "before-pass-1")).toBe(true);

    sim.faults.set({ failRate: 1, failStatus: 503 });
    const queued = await m.onPasswordChange("w1", { password: "plain-secret-xyz" });
    expect(queued).toEqual({ queued: true });
    const raw = new Database(`${dir}/ledger.db`, { readonly: true });
    const stored = (raw.prepare("SELECT payload || ' ' || COALESCE(last_error, '') AS t FROM am_mirror_outbox").all() as { t: string }[]).map((r) => r.t).join("\n");
    raw.close();
    expect(stored).not.toContain("plain-secret-xyz");
    expect(stored).toMatch(/\$2[aby]\$12\$/);
    expect(stored).toMatch(/503/);

    sim.faults.set({ failRate: 0 });
    await sleep(150);
    await m.drain();
    expect(await m.outboxDepth()).toEqual({ pending: 0, dead: 0 });
    expect(await m.ctx.instance.signIn!("w1@example.com", "plain-secret-xyz")).toBe(true);
    expect(await m.ctx.instance.signIn!("w1@example.com", "before-pass-1")).toBe(false);
  });

  it("email change replaces the one WorkOS email", async () => {
    expect((await m.onEmailChange("w1", "w1@new.example")).result).toMatchObject({ status: "applied" });
    expect(await m.ctx.instance.signIn!("w1@new.example", "plain-secret-xyz")).toBe(true);
  });
});
