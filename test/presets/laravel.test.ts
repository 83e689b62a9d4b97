import { hash as argon2Hash, Algorithm } from "@node-rs/argon2";
import { afterEach, describe, expect, it } from "vitest";
import { tempDir } from "../helpers.js";
import { openTestDb, type Engine, type TestDb } from "./db.js";
import { NAMES, bcrypt2y, expectSignIns, initAuditRun, vectors, type Known } from "./harness.js";

/** Laravel 11's 0001_01_01_000000_create_users_table migration, as its schema grammars emit it. */
const DDL: Record<"mysql" | "sqlite", string> = {
  mysql: `
create table \`users\` (\`id\` bigint unsigned not null auto_increment primary key, \`name\` varchar(255) not null, \`email\` varchar(255) not null, \`email_verified_at\` timestamp null, \`password\` varchar(255) not null, \`remember_token\` varchar(100) null, \`created_at\` timestamp null, \`updated_at\` timestamp null) default character set utf8mb4 collate 'utf8mb4_unicode_ci';
alter table \`users\` add unique \`users_email_unique\`(\`email\`);
create table \`password_reset_tokens\` (\`email\` varchar(255) not null, \`token\` varchar(255) not null, \`created_at\` timestamp null, primary key (\`email\`)) default character set utf8mb4 collate 'utf8mb4_unicode_ci';
create table \`roles\` (\`id\` bigint unsigned not null auto_increment primary key, \`name\` varchar(255) not null, \`guard_name\` varchar(255) not null, \`created_at\` timestamp null, \`updated_at\` timestamp null) default character set utf8mb4 collate 'utf8mb4_unicode_ci';
alter table \`roles\` add unique \`roles_name_guard_name_unique\`(\`name\`, \`guard_name\`);
create table \`model_has_roles\` (\`role_id\` bigint unsigned not null, \`model_type\` varchar(255) not null, \`model_id\` bigint unsigned not null, primary key (\`role_id\`, \`model_id\`, \`model_type\`)) default character set utf8mb4 collate 'utf8mb4_unicode_ci';
alter table \`model_has_roles\` add index \`model_has_roles_model_id_model_type_index\`(\`model_id\`, \`model_type\`);
create table \`sessions\` (\`id\` varchar(255) not null, \`user_id\` bigint unsigned null, \`ip_address\` varchar(45) null, \`user_agent\` text null, \`payload\` longtext not null, \`last_activity\` int not null, primary key (\`id\`)) default character set utf8mb4 collate 'utf8mb4_unicode_ci';`,
  sqlite: `
create table "users" ("id" integer primary key autoincrement not null, "name" varchar not null, "email" varchar not null, "email_verified_at" datetime, "password" varchar not null, "remember_token" varchar, "created_at" datetime, "updated_at" datetime);
create unique index "users_email_unique" on "users" ("email");
create table "roles" ("id" integer primary key autoincrement not null, "name" varchar not null, "guard_name" varchar not null, "created_at" datetime, "updated_at" datetime);
create unique index "roles_name_guard_name_unique" on "roles" ("name", "guard_name");
create table "model_has_roles" ("role_id" integer not null, "model_type" varchar not null, "model_id" integer not null, foreign key("role_id") references "roles"("id") on delete cascade, primary key ("role_id", "model_id", "model_type"));
create index "model_has_roles_model_id_model_type_index" on "model_has_roles" ("model_id", "model_type");
create table "password_reset_tokens" ("email" varchar not null, "token" varchar not null, "created_at" datetime, primary key ("email"));`,
};

async function seed(db: TestDb): Promise<{ known: Known[]; verified: number }> {
  await db.exec(DDL[db.engine as "mysql" | "sqlite"]);
  // spatie/laravel-permission roles; a Team row with a user's id must not give that user the role.
  await db.insert("roles", { id: 1, name: "admin", guard_name: "web" });
  await db.insert("roles", { id: 2, name: "editor", guard_name: "web" });
  await db.insert("model_has_roles", { role_id: 1, model_type: "App\\Models\\Team", model_id: 2 });
  const argon2i = vectors("argon2i");
  const known: Known[] = [];
  let verified = 0;
  for (let i = 0; i < 34; i++) {
    const id = i + 1;
    const [first, last] = NAMES[i % NAMES.length]!;
    let password: string | undefined = `laravel-${id}-${first}`;
    let hash: string;
    if (i % 4 === 0) hash = await argon2Hash(password, { algorithm: Algorithm.Argon2id, memoryCost: 1024, timeCost: 2, parallelism: 1 }); // Hash::driver('argon2id')
    else if (i % 4 === 1) ({ hash, password } = argon2i[i % argon2i.length]!); // Hash::driver('argon')
    else hash = await bcrypt2y(password); // the default driver
    if (i === 9) { hash = ""; password = undefined; }
    const email = i === 20 ? "" : `${first.toLowerCase().replace(/[^a-z]/g, "") || "u"}+${id}@example.net`;
    const isVerified = i % 3 !== 0;
    if (isVerified) verified++;
    await db.insert("users", {
      id, name: `${first} ${last}`, email, email_verified_at: isVerified ? new Date(Date.UTC(2025, 1, 1 + (i % 27))) : null, password: hash,
      remember_token: "tOk3n" + "x".repeat(55), created_at: new Date(Date.UTC(2024, 0, 1 + i)), updated_at: new Date(Date.UTC(2024, 6, 1)),
    });
    if (i % 5 === 0) await db.insert("model_has_roles", { role_id: 1, model_type: "App\\Models\\User", model_id: id });
    if (i % 3 === 0) await db.insert("model_has_roles", { role_id: 2, model_type: "App\\Models\\User", model_id: id });
    known.push({ id: String(id), email: email || null, ...(password !== undefined ? { password } : {}) });
  }
  return { known, verified };
}

const open: TestDb[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

describe.each<Engine>(["mysql", "sqlite"])("laravel preset on %s", (engine) => {
  it("init → audit → run with no mapping; bcrypt $2y$ and argon2 users sign in; remember_token is not a credential", async () => {
    const dir = tempDir("am-laravel-");
    const db = await openTestDb(engine, dir);
    open.push(db);
    const { known, verified } = await seed(db);
    const out = await initAuditRun(dir, "laravel", db.source, engine === "mysql" ? "authmigrate.config.js" : "authmigrate.config.json");
    expect(out.init).toMatchObject({ preset: "laravel", users: 34, options: { permissions: true } });
    expect(new Set(out.users.get("1")!.metadata.roles as string[])).toEqual(new Set(["admin", "editor"]));
    expect(out.users.get("2")!.metadata).toMatchObject({ role: "member", roles: ["member"] });
    expect(out.users.get("4")!.metadata).toMatchObject({ role: "editor", roles: ["editor"] });
    expect(out.audit.totals).toMatchObject({ records: 34, users: 34, inactive: 0 });
    expect(out.audit.emails.missing.count).toBe(1);
    const byFormat = Object.fromEntries(out.audit.passwords.map((x) => [x.format, x.users]));
    expect(byFormat).toMatchObject({ bcrypt: 16, argon2id: 9, argon2i: 8, none: 1 });
    expect([...out.users.values()].filter((u) => u.emailVerified)).toHaveLength(verified);
    expect(out.users.get("2")!).toMatchObject({ profile: { displayName: "José Álvarez" }, emailVerified: true, email: "jos+2@example.net" });
    for (const u of out.users.values()) expect(JSON.stringify(u)).not.toContain("tOk3n");
    expect(out.report.filter((r) => r.status === "created")).toHaveLength(33);
    await expectSignIns(dir, known);
  }, 240_000);
});
