/**
 * One better-auth target suite, run against SQLite (better-auth.test.ts) and PostgreSQL
 * (better-auth.postgres.test.ts). Signs in through a real better-auth HTTP server.
 */
import bcrypt from "bcryptjs";
import { organization } from "better-auth/plugins/organization";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packHash } from "../../src/hashes/index.js";
import { MigrationOrgSchema, MigrationUserSchema, type MigrationUser, type MigrationUserInput } from "../../src/model/user.js";
import { betterAuthTarget } from "../../src/targets/better-auth/index.js";
import { startBetterAuthApp, type BetterAuthApp } from "./better-auth-app.js";
import { openDatabase, type BetterAuthDb } from "../../src/targets/better-auth/db.js";
import { legacyPasswords } from "../../src/targets/better-auth/plugin.js";
import type { TargetInstance, UserOutcome, UserWrite } from "../../src/targets/types.js";

export interface SuiteDb {
  /** `database` option of the target. */
  database: string;
  cwd: string;
  /** What the app passes to betterAuth({ database }): a better-sqlite3 Database or a pg Pool. */
  appDatabase(): { database: unknown; close(): Promise<void> };
}

/** From shared/vectors/password-hashes.json: Keycloak secret_data + credential_data, pbkdf2-sha256, 27500 iterations. */
const kc = {
  hash: '{"value":"TLFOjmL24jpjxc6Amh8y/v/oIn+8pjVtd+2aqAgqW2kQlc48pvMNY/p/Az9m0NySQdmGIX6qCsZMwwWOn20gaw==","salt":"heOnhyAcitUr3MWYM+KTUg==","additionalParameters":{}}',
  params: { credentialData: '{"hashIterations":27500,"algorithm":"pbkdf2-sha256","additionalParameters":{}}' },
  password: "pässwörd",
};

const PW = {
  alice: "alice-password-1",
  bob: "bob-pässwörd-2",
  carol: kc.password,
};

const ORGS = [
  MigrationOrgSchema.parse({ externalId: "org-1", name: "Acme", slug: "acme", domain: "acme.test", metadata: { tier: "gold" } }),
  MigrationOrgSchema.parse({ externalId: "org-2", name: "Globex", slug: "globex" }),
];

function users(): MigrationUser[] {
  const b2b = bcrypt.hashSync(PW.alice, 4);
  // bcryptjs writes $2b$; $2a$ is the same algorithm, only the prefix differs.
  const b2a = bcrypt.hashSync(PW.bob, 4).replace(/^\$2b\$/, "$2a$");
  const inputs: MigrationUserInput[] = [
    {
      externalId: "u-alice",
      email: "alice@example.com",
      emailVerified: true,
      profile: { givenName: "Alice", familyName: "Liddell", picture: "https://img.test/alice.png" },
      credential: { kind: "hash", format: "bcrypt", value: b2b },
      identities: [{ provider: "google", providerUserId: "g-123" }],
      memberships: [{ orgExternalId: "org-1", roles: ["owner"] }],
    },
    {
      externalId: "u-bob",
      email: "Bob@Example.com",
      profile: { displayName: "Bobby" },
      credential: { kind: "hash", format: "bcrypt", value: b2a },
      memberships: [
        { orgExternalId: "org-1", roles: ["member", "billing"] },
        { orgExternalId: "org-2", roles: [] },
      ],
    },
    {
      externalId: "u-carol",
      email: "carol@example.com",
      credential: { kind: "hash", format: "pbkdf2-keycloak-json", value: kc.hash, params: kc.params },
    },
    { externalId: "u-dave", email: "dave@example.com", username: "dave" },
    { externalId: "u-eve", username: "eve-no-email", credential: { kind: "hash", format: "bcrypt", value: b2b } },
    { externalId: "u-frank", email: "frank@example.com", status: "disabled" },
  ];
  return inputs.map((u) => MigrationUserSchema.parse(u));
}

const orgIdsOf = (outcomes: { externalId: string; targetId?: string }[]): Record<string, string> =>
  Object.fromEntries(outcomes.map((o) => [o.externalId, o.targetId!]));

const byId = (outcomes: UserOutcome[]): Record<string, UserOutcome> => Object.fromEntries(outcomes.map((o) => [o.externalId, o]));

export function betterAuthSuite(name: string, setup: () => Promise<SuiteDb>, teardown: () => Promise<void>): void {
  describe(`better-auth target (${name})`, () => {
    let env: SuiteDb;
    let target: TargetInstance;
    let raw: BetterAuthDb;
    let orgTargetIds: Record<string, string>;
    let batch: UserWrite[];
    let first: Record<string, UserOutcome>;

    const credentialOf = async (userId: string) =>
      raw.db.selectFrom("account").select("password").where("userId", "=", userId).where("providerId", "=", "credential").executeTakeFirst();

    beforeAll(async () => {
      env = await setup();
      target = betterAuthTarget.create(betterAuthTarget.options.parse({ database: env.database }), { cwd: env.cwd });
      await target.prepare();
      await target.prepare(); // idempotent
      raw = openDatabase(env.database, env.cwd);
    });

    afterAll(async () => {
      await target?.close();
      await raw?.close();
      await teardown();
    });

    it("creates organizations once, idempotent by slug", async () => {
      const created = await target.upsertOrgs(ORGS);
      expect(created.map((o) => o.status)).toEqual(["created", "created"]);
      const again = await target.upsertOrgs(ORGS);
      expect(again.map((o) => o.status)).toEqual(["skipped", "skipped"]);
      expect(again.map((o) => o.targetId)).toEqual(created.map((o) => o.targetId));
      orgTargetIds = orgIdsOf(created);
      const acme = await raw.db.selectFrom("organization").selectAll().where("slug", "=", "acme").executeTakeFirstOrThrow();
      expect(acme.name).toBe("Acme");
      expect(JSON.parse(acme.metadata!)).toEqual({ tier: "gold", domain: "acme.test", externalId: "org-1" });
    });

    it("writes users, accounts and memberships; fails users without email or that are disabled", async () => {
      batch = users().map((user) => ({ user, action: "create", orgTargetIds }));
      first = byId(await target.writeUsers(batch));
      expect(Object.fromEntries(Object.entries(first).map(([k, o]) => [k, o.status]))).toEqual({
        "u-alice": "created",
        "u-bob": "created",
        "u-carol": "created",
        "u-dave": "created",
        "u-eve": "failed",
        "u-frank": "failed",
      });
      expect(first["u-eve"]).toMatchObject({ reason: "no_email", retryable: false });
      expect(first["u-frank"]).toMatchObject({ reason: "disabled_unsupported" });
      expect(await target.countUsers()).toBe(4);

      const alice = first["u-alice"]!.targetId!;
      expect(alice).toMatch(/^[A-Za-z0-9]{32}$/);
      const row = await raw.db.selectFrom("user").selectAll().where("id", "=", alice).executeTakeFirstOrThrow();
      expect(row).toMatchObject({ name: "Alice Liddell", email: "alice@example.com", image: "https://img.test/alice.png" });
      expect(Boolean(row.emailVerified)).toBe(true);

      // Self-describing bcrypt is stored as-is; Keycloak JSON + credentialData is packed into one string.
      expect((await credentialOf(alice))?.password).toMatch(/^\$2b\$04\$/);
      expect((await credentialOf(first["u-bob"]!.targetId!))?.password).toMatch(/^\$2a\$04\$/);
      expect((await credentialOf(first["u-carol"]!.targetId!))?.password).toMatch(/^\$authmigrate\$pbkdf2-keycloak-json\$/);
      // No password: no credential account (the user resets or signs in socially).
      expect(await credentialOf(first["u-dave"]!.targetId!)).toBeUndefined();

      const google = await raw.db.selectFrom("account").selectAll().where("providerId", "=", "google").executeTakeFirstOrThrow();
      expect(google).toMatchObject({ accountId: "g-123", userId: alice, password: null });
    });

    it("lookupUsers finds existing users by email; signIn checks a password like the app would", async () => {
      const found = await target.lookupUsers!(users());
      expect(Object.fromEntries(found)).toEqual(
        Object.fromEntries(["u-alice", "u-bob", "u-carol", "u-dave"].map((k) => [k, { targetId: first[k]!.targetId, matchedBy: "email" }])),
      );
      expect(await target.signIn!("Alice@Example.com", PW.alice)).toBe(true);
      expect(await target.signIn!("alice@example.com", "wrong")).toBe(false);
      expect(await target.signIn!("carol@example.com", PW.carol)).toBe(true);
      expect(await target.signIn!("dave@example.com", "anything")).toBe(false);
      expect(await target.signIn!("nobody@example.com", "anything")).toBe(false);
      // Checking does not upgrade: only the app's sign-in does.
      expect((await credentialOf(first["u-alice"]!.targetId!))?.password).toMatch(/^\$2b\$/);
    });

    it("password strategies: temporary stores a better-auth hash, reset/sso store none, unverifiable formats fail", async () => {
      const mk = (id: string, extra: Partial<UserWrite> = {}, cred: MigrationUserInput["credential"] = { kind: "hash", format: "bcrypt", value: bcrypt.hashSync("x-password", 4) }) => ({
        user: MigrationUserSchema.parse({ externalId: id, email: `${id}@example.com`, credential: cred }),
        action: "create" as const,
        orgTargetIds,
        ...extra,
      });
      const out = byId(
        await target.writeUsers([
          mk("s-temp", { strategy: "temporary", temporaryPassword: "Temp-Pass-123!" }),
          mk("s-reset", { strategy: "reset" }),
          mk("s-sso", { strategy: "sso" }),
          mk("s-temp-missing", { strategy: "temporary" }),
          mk("s-yescrypt", {}, { kind: "hash", format: "yescrypt", value: "$y$j75$LdJMENpBABJJ3hIHjB1Bi.$KdzgkknR77mrk3X5yAUt9w27j3DuAmnAhuFZy7MAY5C" }),
          mk("s-unknown", {}, { kind: "hash", format: "no-such-format", value: "abc" }),
        ]),
      );
      expect(out["s-temp"]?.status).toBe("created");
      expect((await credentialOf(out["s-temp"]!.targetId!))?.password).toMatch(/^[0-9a-f]{32}:[0-9a-f]{128}$/);
      expect(await target.signIn!("s-temp@example.com", "Temp-Pass-123!")).toBe(true);
      expect(await credentialOf(out["s-reset"]!.targetId!)).toBeUndefined();
      expect(await credentialOf(out["s-sso"]!.targetId!)).toBeUndefined();
      expect(out["s-temp-missing"]).toMatchObject({ status: "failed", reason: "missing_temporary_password" });
      expect(out["s-yescrypt"]).toMatchObject({ status: "failed", reason: "hash_unverifiable" });
      expect(out["s-unknown"]).toMatchObject({ status: "failed", reason: "hash_unsupported_format" });
      const created = ["s-temp", "s-reset", "s-sso"].map((k) => out[k]!.targetId!);
      expect((await target.deleteUsers(created)).every((r) => r.ok)).toBe(true);
    });

    it("gives members their roles", async () => {
      const alice = await target.getUser(first["u-alice"]!.targetId!);
      expect(alice).toMatchObject({ email: "alice@example.com", hasPassword: true, disabled: false });
      expect(alice?.memberships).toEqual({ [orgTargetIds["org-1"]!]: ["owner"] });
      const bob = await target.getUser(first["u-bob"]!.targetId!);
      expect(bob?.email).toBe("bob@example.com");
      expect(bob?.memberships).toEqual({ [orgTargetIds["org-1"]!]: ["member", "billing"], [orgTargetIds["org-2"]!]: ["member"] });
      const raw1 = await raw.db.selectFrom("member").select("role").where("userId", "=", first["u-bob"]!.targetId!).orderBy("role").execute();
      expect(raw1.map((r) => r.role)).toEqual(["member", "member,billing"]);
      expect((await target.getUser(first["u-dave"]!.targetId!))?.hasPassword).toBe(false);
      expect(await target.getUser("no-such-id")).toBeUndefined();
    });

    it("writing the same batch again creates nothing (skipped, same target ids)", async () => {
      const again = byId(await target.writeUsers(batch));
      for (const id of ["u-alice", "u-bob", "u-carol", "u-dave"]) {
        expect(again[id]).toMatchObject({ status: "skipped", reason: "exists_by_email", targetId: first[id]!.targetId });
      }
      expect(await target.countUsers()).toBe(4);
      const accounts = await raw.db.selectFrom("account").select((eb) => eb.fn.countAll<number | string>().as("n")).executeTakeFirstOrThrow();
      expect(Number(accounts.n)).toBe(4); // 3 credential + 1 google
      const members = await raw.db.selectFrom("member").select((eb) => eb.fn.countAll<number | string>().as("n")).executeTakeFirstOrThrow();
      expect(Number(members.n)).toBe(3);
    });

    it("fails a user whose org is unknown or whose identity belongs to someone else, without touching the others", async () => {
      const [u1, u2, u3] = [
        MigrationUserSchema.parse({ externalId: "u-x", email: "x@example.com", memberships: [{ orgExternalId: "org-missing" }] }),
        MigrationUserSchema.parse({ externalId: "u-y", email: "y@example.com", identities: [{ provider: "google", providerUserId: "g-123" }] }),
        MigrationUserSchema.parse({ externalId: "u-z", email: "z@example.com" }),
      ];
      const out = byId(await target.writeUsers([u1!, u2!, u3!].map((user) => ({ user, action: "create" as const, orgTargetIds }))));
      expect(out["u-x"]).toMatchObject({ status: "failed", reason: "unknown_org" });
      expect(out["u-y"]).toMatchObject({ status: "failed", reason: "identity_in_use" });
      expect(out["u-z"]?.status).toBe("created");
      expect(await raw.db.selectFrom("user").select("id").where("email", "in", ["x@example.com", "y@example.com"]).execute()).toEqual([]);
      await target.deleteUsers([out["u-z"]!.targetId!]);
    });

    it("a constraint the checks cannot see (dangling org id) fails only that user", async () => {
      const ok = MigrationUserSchema.parse({ externalId: "u-ok", email: "ok@example.com", memberships: [{ orgExternalId: "org-1" }] });
      const bad = MigrationUserSchema.parse({ externalId: "u-bad", email: "bad@example.com", memberships: [{ orgExternalId: "org-ghost" }] });
      const ids = { ...orgTargetIds, "org-ghost": "no-such-organization-row" };
      const out = byId(await target.writeUsers([ok, bad].map((user) => ({ user, action: "create" as const, orgTargetIds: ids }))));
      expect(out["u-ok"]?.status).toBe("created");
      expect(out["u-bad"]).toMatchObject({ status: "failed", reason: "constraint_violation", retryable: true });
      expect((await target.getUser(out["u-ok"]!.targetId!))?.memberships).toEqual({ [orgTargetIds["org-1"]!]: ["member"] });
      expect(await raw.db.selectFrom("user").select("id").where("email", "=", "bad@example.com").execute()).toEqual([]);
      expect(await target.deleteUsers([out["u-ok"]!.targetId!])).toEqual([{ targetId: out["u-ok"]!.targetId!, ok: true }]);
    });

    it("two users with the same email in one batch: the second links to the first", async () => {
      const a = MigrationUserSchema.parse({ externalId: "u-twin-a", email: "twin@example.com" });
      const b = MigrationUserSchema.parse({ externalId: "u-twin-b", email: "TWIN@example.com" });
      const out = byId(await target.writeUsers([a, b].map((user) => ({ user, action: "create" as const, orgTargetIds }))));
      expect(out["u-twin-a"]?.status).toBe("created");
      expect(out["u-twin-b"]).toMatchObject({ status: "skipped", reason: "exists_by_email", targetId: out["u-twin-a"]!.targetId });
      await target.deleteUsers([out["u-twin-a"]!.targetId!]);
    });

    describe("sign-in through a real better-auth server with the legacyPasswords() plugin", () => {
      let baApp: BetterAuthApp;
      let base: string;
      let app: { close(): Promise<void> };
      const logs: string[] = [];

      beforeAll(async () => {
        const appDb = env.appDatabase();
        app = appDb;
        baApp = await startBetterAuthApp({
          database: appDb.database as never,
          plugins: [organization(), legacyPasswords()],
          logger: { level: "debug", log: (level, message, ...args) => void logs.push([level, message, ...args].map((x) => JSON.stringify(x)).join(" ")) },
        });
        base = baApp.base;
      });

      afterAll(async () => {
        await baApp?.close();
        await app?.close();
      });

      const signIn = (email: string, password: string) => baApp.signIn(email, password);

      it.each([
        ["alice@example.com", "u-alice", PW.alice],
        ["bob@example.com", "u-bob", PW.bob],
        ["carol@example.com", "u-carol", PW.carol],
      ])("%s: old password works, wrong one does not, and the hash is upgraded to scrypt", async (email, externalId, password) => {
        const userId = first[externalId]!.targetId!;
        const before = (await credentialOf(userId))!.password!;

        const wrong = await signIn(email, password + "x");
        expect(wrong.status).toBe(401);
        expect((await credentialOf(userId))?.password).toBe(before);

        const ok = await signIn(email, password);
        expect(ok.status).toBe(200);
        const body = (await ok.json()) as { user: { id: string; email: string } };
        expect(body.user).toMatchObject({ id: userId, email });

        const after = (await credentialOf(userId))!.password!;
        expect(after).toMatch(/^[0-9a-f]{32}:[0-9a-f]{128}$/);

        expect((await signIn(email, password)).status).toBe(200);
        expect((await signIn(email, password + "x")).status).toBe(401);
        expect(await target.signIn!(email, password)).toBe(true);
        expect((await credentialOf(userId))?.password).toBe(after);
      });

      it("unknown or malformed stored hashes are a 401 (never a 500) and never reach the logs", async () => {
        const dave = first["u-dave"]!.targetId!;
        const secrets = ["definitely-not-a-hash", "secret-inner-value", "$2b$04$broken"];
        const stored = [
          secrets[0]!,
          packHash({ format: "no-such-format", value: secrets[1]! }),
          packHash({ format: "bcrypt", value: secrets[2]! }),
          "$2b$04$broken", // looks like bcrypt, is not
        ];
        await raw.db
          .insertInto("account")
          .values({ id: "dave-cred", accountId: dave, providerId: "credential", userId: dave, password: stored[0]!, createdAt: raw.date(new Date()), updatedAt: raw.date(new Date()) })
          .execute();
        try {
          for (const value of stored) {
            await raw.db.updateTable("account").set({ password: value }).where("id", "=", "dave-cred").execute();
            expect((await signIn("dave@example.com", "dave-secret-password")).status, value).toBe(401);
            expect((await credentialOf(dave))?.password).toBe(value);
          }
        } finally {
          await raw.db.deleteFrom("account").where("id", "=", "dave-cred").execute();
        }
        const text = logs.join("\n");
        expect(text).toContain("legacy password hash could not be verified"); // the logger is really captured
        for (const secret of [...secrets, "dave-secret-password", PW.alice, PW.bob, PW.carol]) expect(text).not.toContain(secret);
      });

      it("a user imported without a password cannot sign in with one; unknown users get 401", async () => {
        expect((await signIn("dave@example.com", "anything-at-all")).status).toBe(401);
        expect((await signIn("nobody@example.com", "anything-at-all")).status).toBe(401);
      });
    });

    it("update: changes profile, roles and a not-yet-upgraded password; keeps a native one", async () => {
      const [alice, bob, , dave] = users();
      const newDaveHash = bcrypt.hashSync("dave-new-password", 4);
      const writes: UserWrite[] = [
        {
          // Alice signed in above: her scrypt hash belongs to the app now and survives a legacy update.
          user: { ...alice!, profile: { displayName: "Alice L." }, memberships: [{ orgExternalId: "org-1", roles: ["admin"] }] },
          action: "update",
          targetId: first["u-alice"]!.targetId!,
          orgTargetIds,
        },
        { user: { ...dave!, emailVerified: true, credential: { kind: "hash", format: "bcrypt", value: newDaveHash, params: {} } }, action: "update", targetId: first["u-dave"]!.targetId!, orgTargetIds },
        { user: bob!, action: "update", targetId: "gone", orgTargetIds },
      ];
      const nativeBefore = (await credentialOf(first["u-alice"]!.targetId!))!.password;
      const out = byId(await target.writeUsers(writes));
      expect(out["u-alice"]).toMatchObject({ status: "updated", targetId: first["u-alice"]!.targetId });
      expect(out["u-dave"]).toMatchObject({ status: "updated", targetId: first["u-dave"]!.targetId });
      expect(out["u-bob"]).toMatchObject({ status: "failed", reason: "not_found" });

      const a = await target.getUser(first["u-alice"]!.targetId!);
      expect(a?.name).toBe("Alice L.");
      expect(a?.memberships).toEqual({ [orgTargetIds["org-1"]!]: ["admin"] });
      expect((await credentialOf(first["u-alice"]!.targetId!))?.password).toBe(nativeBefore);

      const d = await target.getUser(first["u-dave"]!.targetId!);
      expect(d?.hasPassword).toBe(true);
      expect((await credentialOf(first["u-dave"]!.targetId!))?.password).toBe(newDaveHash);
      const drow = await raw.db.selectFrom("user").select("emailVerified").where("id", "=", first["u-dave"]!.targetId!).executeTakeFirstOrThrow();
      expect(Boolean(drow.emailVerified)).toBe(true);
      expect(await target.countUsers()).toBe(4);
    });

    it("deleteUsers removes users with their accounts, sessions and memberships", async () => {
      const ids = ["u-alice", "u-bob", "u-carol", "u-dave"].map((k) => first[k]!.targetId!);
      expect(Number((await raw.db.selectFrom("session").select((eb) => eb.fn.countAll<number | string>().as("n")).executeTakeFirstOrThrow()).n)).toBeGreaterThan(0);
      const out = await target.deleteUsers(ids);
      expect(out).toEqual(ids.map((targetId) => ({ targetId, ok: true })));
      expect(await target.countUsers()).toBe(0);
      for (const table of ["account", "session", "member"] as const) {
        const n = await raw.db.selectFrom(table).select((eb) => eb.fn.countAll<number | string>().as("n")).executeTakeFirstOrThrow();
        expect(Number(n.n), table).toBe(0);
      }
      // Organizations stay; deleting again is a no-op that still succeeds.
      expect(await target.deleteUsers(ids.slice(0, 1))).toEqual([{ targetId: ids[0], ok: true, reason: "not_found" }]);
      expect((await raw.db.selectFrom("organization").select("id").execute()).length).toBe(2);
    });
  });
}

export { PW, ORGS, users };
