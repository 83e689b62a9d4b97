import { hash as bcryptHash } from "@node-rs/bcrypt";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { tempDir } from "../helpers.js";
import { openTestDb, type Engine, type TestDb } from "./db.js";
import { NAMES, cli, expectSignIns, initAuditRun, type Known } from "./harness.js";

/** db/schema.rb of `rails g devise User` with confirmable, lockable and trackable enabled. */
function ddl(engine: Engine): string {
  const pg = engine === "postgres";
  const ts = pg ? "timestamp(6) without time zone" : "datetime(6)";
  const id = pg ? `"id" bigserial primary key` : `"id" integer PRIMARY KEY AUTOINCREMENT NOT NULL`;
  return `
CREATE TABLE "users" (${id}, "email" varchar DEFAULT '' NOT NULL, "encrypted_password" varchar DEFAULT '' NOT NULL, "reset_password_token" varchar, "reset_password_sent_at" ${ts}, "remember_created_at" ${ts}, "sign_in_count" integer DEFAULT 0 NOT NULL, "current_sign_in_at" ${ts}, "last_sign_in_at" ${ts}, "current_sign_in_ip" varchar, "last_sign_in_ip" varchar, "confirmation_token" varchar, "confirmed_at" ${ts}, "confirmation_sent_at" ${ts}, "unconfirmed_email" varchar, "failed_attempts" integer DEFAULT 0 NOT NULL, "unlock_token" varchar, "locked_at" ${ts}, "created_at" ${ts} NOT NULL, "updated_at" ${ts} NOT NULL);
CREATE UNIQUE INDEX "index_users_on_email" ON "users" ("email");
CREATE UNIQUE INDEX "index_users_on_reset_password_token" ON "users" ("reset_password_token");
CREATE UNIQUE INDEX "index_users_on_confirmation_token" ON "users" ("confirmation_token");
CREATE UNIQUE INDEX "index_users_on_unlock_token" ON "users" ("unlock_token");
CREATE TABLE "schema_migrations" ("version" varchar NOT NULL PRIMARY KEY);`;
}

const PEPPER = "f0c9a3b1e2d4c6b8a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7";

async function seed(db: TestDb, pepper: string): Promise<{ known: Known[]; locked: number; confirmed: number }> {
  await db.exec(ddl(db.engine));
  const known: Known[] = [];
  let locked = 0;
  let confirmed = 0;
  for (let i = 0; i < 32; i++) {
    const id = i + 1;
    const [first] = NAMES[i % NAMES.length]!;
    let password: string | undefined = `rails-${id}-${first}`;
    // Devise::Encryptor.digest: BCrypt::Password.create("#{password}#{pepper}", cost: stretches)
    let hash = (await bcryptHash(password + pepper, 4)).replace(/^\$2b\$/, "$2a$");
    if (i === 17) { hash = ""; password = undefined; } // created through OmniAuth / invitation, never set
    const isLocked = i % 10 === 4;
    const isConfirmed = i % 3 !== 2;
    if (isLocked) locked++;
    if (isConfirmed) confirmed++;
    const email = `${first.toLowerCase().replace(/[^a-z]/g, "") || "user"}${id}@rails.example`;
    await db.insert("users", {
      id, email, encrypted_password: hash, sign_in_count: i * 3, last_sign_in_at: i % 4 ? new Date(Date.UTC(2026, 8, 1 + (i % 28))) : null,
      confirmed_at: isConfirmed ? new Date(Date.UTC(2023, 1, 1)) : null, failed_attempts: isLocked ? 5 : 0, locked_at: isLocked ? new Date(Date.UTC(2026, 9, 1)) : null,
      unlock_token: isLocked ? `unlock-${id}` : null, created_at: new Date(Date.UTC(2022, 0, 1 + i)), updated_at: new Date(Date.UTC(2026, 0, 1)),
    });
    known.push({ id: String(id), email, ...(password !== undefined ? { password } : {}), disabled: isLocked });
  }
  return { known, locked, confirmed };
}

const open: TestDb[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

describe.each<Engine>(["sqlite", "postgres"])("devise preset on %s", (engine) => {
  it("with config.pepper set through preset.pepper, every bcrypt user signs in; lockable/confirmable/trackable map", async () => {
    const dir = tempDir("am-devise-");
    const db = await openTestDb(engine, dir);
    open.push(db);
    const { known, locked, confirmed } = await seed(db, PEPPER);

    // init knows nothing of the pepper (it lives in the Rails app): it says so, and the user adds it.
    const init = cli(["init", "--preset", "devise", "--source", db.source, "-o", "written.json", "--json"], dir);
    expect(init.code, init.stderr).toBe(0);
    expect(init.stdout).toContain("config.pepper");
    const file = path.join(dir, "written.json");
    const written = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
    expect(written.preset).toBe("devise");
    writeFileSync(path.join(dir, "authmigrate.config.json"), JSON.stringify({ ...written, preset: { name: "devise", pepper: "${DEVISE_PEPPER}" } }));
    const env = { DEVISE_PEPPER: PEPPER };

    const out = await initAuditRunExisting(dir, env);
    expect(out.audit.totals).toMatchObject({ records: 32, users: 32, inactive: locked });
    const byFormat = Object.fromEntries(out.audit.passwords.map((x) => [x.format, x.users]));
    expect(byFormat).toMatchObject({ "devise-bcrypt": 31, none: 1 });
    expect([...out.users.values()].filter((u) => u.emailVerified)).toHaveLength(confirmed);
    expect(out.users.get("5")!).toMatchObject({ status: "disabled", metadata: { signInCount: 12, lockedAt: "2026-10-01T00:00:00.000Z" } });
    expect(out.users.get("2")!.lastLoginAt?.toISOString()).toBe("2026-09-02T00:00:00.000Z");
    // The pepper reaches the credential (it is needed at sign-in) but never the report.
    expect(readFileSync(path.join(dir, ".authmigrate", "report.jsonl"), "utf8")).not.toContain(PEPPER);
    await expectSignIns(dir, known);
  }, 240_000);
});

describe("devise preset without the pepper", () => {
  it("peppered hashes do not verify when the pepper is missing (so it must be configured)", async () => {
    const dir = tempDir("am-devise-");
    const db = await openTestDb("sqlite", dir);
    open.push(db);
    const { known } = await seed(db, PEPPER);
    const out = await initAuditRun(dir, "devise", db.source);
    const byFormat = Object.fromEntries(out.audit.passwords.map((x) => [x.format, x.users]));
    expect(byFormat).toMatchObject({ bcrypt: 31 });
    const { signInDemoAccounts } = await import("../../src/demo/sign-in.js");
    const k = known.find((x) => x.password && !x.disabled)!;
    const [r] = await signInDemoAccounts(path.join(dir, "auth.db"), [{ email: k.email!, password: k.password! }]);
    expect(r!.ok).toBe(false);
  }, 120_000);
});

/** audit + run over a config the test wrote (the pepper added by hand, as a user would). */
async function initAuditRunExisting(dir: string, env: Record<string, string>) {
  const { loadConfig } = await import("../../src/config/load.js");
  const { openUserSource, readMappedUsers } = await import("../../src/engine/read.js");
  const audit = cli(["audit", "--json"], dir, env);
  expect(audit.code, audit.stderr).toBe(0);
  const run = cli(["run", "--json"], dir, env);
  expect([0, 1], run.stderr).toContain(run.code);
  Object.assign(process.env, env);
  const users = new Map<string, import("../../src/model/user.js").MigrationUser>();
  try {
    const { config, cwd } = await loadConfig(path.join(dir, "authmigrate.config.json"));
    const source = await openUserSource(config, cwd);
    for await (const rec of readMappedUsers(config, source)) if (rec.user) users.set(rec.user.externalId, rec.user);
    await source.close();
  } finally {
    delete process.env.DEVISE_PEPPER;
  }
  return { audit: JSON.parse(audit.stdout) as { totals: Record<string, number>; passwords: { format: string; users: number }[] }, users };
}
