import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import bcrypt from "bcryptjs";
import { admin } from "better-auth/plugins/admin";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MigrationOrgSchema, MigrationUserSchema } from "../../src/model/user.js";
import { betterAuthTarget, DISABLED_BAN_REASON } from "../../src/targets/better-auth/index.js";
import { isLegacyHash, legacyPasswords } from "../../src/targets/better-auth/plugin.js";
import { startBetterAuthApp, type BetterAuthApp } from "./better-auth-app.js";
import type { TargetInstance } from "../../src/targets/types.js";
import { betterAuthSuite } from "./better-auth.suite.js";

const dir = mkdtempSync(path.join(tmpdir(), "authmigrate-ba-"));

betterAuthSuite(
  "sqlite",
  async () => ({
    database: "app.db", // relative to cwd
    cwd: dir,
    appDatabase: () => {
      const db = new Database(path.join(dir, "app.db"));
      return { database: db, close: async () => void db.close() };
    },
  }),
  async () => rmSync(dir, { recursive: true, force: true }),
);

describe("legacyPasswords() plugin", () => {
  it("tells legacy hashes from native and unknown strings", () => {
    expect(isLegacyHash("$2b$04$LPy8o7Ply1nWjadB3Uoc8OTGJvo799i2fuAtv7svqFGv5gTzwJPH.")).toBe(true);
    expect(isLegacyHash("$authmigrate$pbkdf2-keycloak-json$eyJ2YWx1ZSI6IngiLCJwYXJhbXMiOnt9fQ")).toBe(true);
    expect(isLegacyHash(`${"a".repeat(32)}:${"b".repeat(128)}`)).toBe(false);
    expect(isLegacyHash("plaintext?")).toBe(false);
  });

  it("is a better-auth plugin with a stable id", () => {
    expect(legacyPasswords().id).toBe("authmigrate-legacy-passwords");
  });
});

describe("better-auth target with admin: true and idFormat: uuid (sqlite)", () => {
  const adminDir = mkdtempSync(path.join(tmpdir(), "authmigrate-ba-admin-"));
  const file = path.join(adminDir, "auth.db");
  let target: TargetInstance;
  let app: BetterAuthApp;
  let base: string;
  let appDb: Database.Database;

  beforeAll(async () => {
    target = betterAuthTarget.create(betterAuthTarget.options.parse({ database: file, admin: true, idFormat: "uuid", organizations: false }), { cwd: "/" });
    await target.prepare();
    appDb = new Database(file);
    app = await startBetterAuthApp({ database: appDb, advanced: { database: { generateId: "uuid" } }, plugins: [admin(), legacyPasswords()] });
    base = app.base;
  });

  afterAll(async () => {
    await app?.close();
    appDb?.close();
    await target?.close();
    rmSync(adminDir, { recursive: true, force: true });
  });

  const signIn = (email: string, password: string) => app.signIn(email, password);

  it("imports disabled users as banned, lifts only its own ban on update", async () => {
    const frank = MigrationUserSchema.parse({
      externalId: "u-frank",
      email: "frank@example.com",
      status: "disabled",
      credential: { kind: "hash", format: "bcrypt", value: bcrypt.hashSync("frank-password", 4) },
      memberships: [{ orgExternalId: "ignored-when-organizations-off" }],
    });
    const [created] = await target.writeUsers([{ user: frank, action: "create", orgTargetIds: {} }]);
    expect(created?.status).toBe("created");
    const id = created!.targetId!;
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(await target.getUser(id)).toMatchObject({ disabled: true, hasPassword: true, memberships: {} });
    expect(appDb.prepare('select banReason from "user" where id = ?').get(id)).toEqual({ banReason: DISABLED_BAN_REASON });
    expect((await signIn("frank@example.com", "frank-password")).status).toBe(403);
    expect(await target.signIn!("frank@example.com", "frank-password")).toBe(false);

    const [updated] = await target.writeUsers([{ user: { ...frank, status: "active" }, action: "update", targetId: id, orgTargetIds: {} }]);
    expect(updated?.status).toBe("updated");
    expect((await target.getUser(id))?.disabled).toBe(false);
    expect((await signIn("frank@example.com", "frank-password")).status).toBe(200);
    expect(await target.signIn!("frank@example.com", "frank-password")).toBe(true);

    // A ban the app's admins set is not ours to lift.
    appDb.prepare('update "user" set banned = 1, banReason = ? where id = ?').run("spam", id);
    await target.writeUsers([{ user: { ...frank, status: "active" }, action: "update", targetId: id, orgTargetIds: {} }]);
    expect((await target.getUser(id))?.disabled).toBe(true);
    await target.writeUsers([{ user: frank, action: "update", targetId: id, orgTargetIds: {} }]);
    expect(appDb.prepare('select banned, banReason from "user" where id = ?').get(id)).toEqual({ banned: 1, banReason: "spam" });
  });

  it("writes global roles (metadata.roles, e.g. from a preset) to the admin plugin's role column; the session carries them", async () => {
    const gail = MigrationUserSchema.parse({
      externalId: "u-gail",
      email: "gail@example.com",
      credential: { kind: "hash", format: "bcrypt", value: bcrypt.hashSync("gail-password", 4) },
      metadata: { role: "admin", roles: ["admin", "teacher"] },
    });
    const plain = MigrationUserSchema.parse({ externalId: "u-hal", email: "hal@example.com", credential: { kind: "hash", format: "bcrypt", value: bcrypt.hashSync("hal-password", 4) } });
    const [g, h] = await target.writeUsers([
      { user: gail, action: "create", orgTargetIds: {} },
      { user: plain, action: "create", orgTargetIds: {} },
    ]);
    expect(appDb.prepare('select role from "user" where id = ?').get(g!.targetId)).toEqual({ role: "admin,teacher" });
    expect(appDb.prepare('select role from "user" where id = ?').get(h!.targetId)).toEqual({ role: null });

    const res = await signIn("gail@example.com", "gail-password");
    expect(res.status).toBe(200);
    const cookie = res.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
    const session = (await (await fetch(`${base}/api/auth/get-session`, { headers: { cookie, origin: base } })).json()) as { user: { role: string } };
    expect(session.user.role).toBe("admin,teacher");

    // An update follows the legacy roles.
    await target.writeUsers([{ user: { ...gail, metadata: { roles: ["teacher"] } }, action: "update", targetId: g!.targetId!, orgTargetIds: {} }]);
    expect(appDb.prepare('select role from "user" where id = ?').get(g!.targetId)).toEqual({ role: "teacher" });
  });

  it("fails organizations when they are turned off", async () => {
    expect(await target.upsertOrgs([MigrationOrgSchema.parse({ externalId: "o", name: "O", slug: "o" })])).toEqual([
      { externalId: "o", status: "failed", reason: "organizations_disabled" },
    ]);
  });
});
