/**
 * Shared proof for the provider-export sources: migrate a fixture into a real better-auth SQLite
 * database with authmigrate's engine, then sign in through a real better-auth instance (with the
 * legacyPasswords() plugin, as an app would run it) and compare with the fixture's expected.json.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { betterAuth } from "better-auth";
import { admin } from "better-auth/plugins/admin";
import Database from "better-sqlite3";
import { expect } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import type { Config } from "../../src/config/schema.js";
import { openUserSource, readMappedUsers } from "../../src/engine/read.js";
import { runMigration, type RunReport } from "../../src/engine/run.js";
import type { MappedRecord } from "../../src/mapping/map-user.js";
import { legacyPasswords } from "../../src/targets/better-auth/plugin.js";
import { tempDir } from "../helpers.js";

export const FIXTURES = path.resolve(__dirname, "../fixtures/sources");

export interface Expected {
  externalId: string;
  email?: string;
  password?: string;
  disabled?: boolean;
  identities?: { provider: string; providerUserId: string }[];
  mfa?: boolean;
  metadata?: Record<string, unknown>;
  fails?: string;
}

export const expectedOf = (name: string): Expected[] => JSON.parse(readFileSync(path.join(FIXTURES, name, "expected.json"), "utf8")) as Expected[];

/** Every mapped record of a config, exactly as the engine reads it. */
export async function mapAll(config: Config, cwd: string): Promise<MappedRecord[]> {
  const source = await openUserSource(config, cwd);
  const out: MappedRecord[] = [];
  try {
    for await (const m of readMappedUsers(config, source)) out.push(m);
  } finally {
    await source.close();
  }
  return out;
}

export interface Migrated {
  dir: string;
  db: string;
  report: RunReport;
  mapped: MappedRecord[];
  config: Config;
}

/** A config with no `mapping`: the source supplies it. */
export async function migrate(source: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<Migrated> {
  const dir = tempDir();
  const config = parseConfig({
    source,
    target: { type: "better-auth", database: "auth.db", admin: true, organizations: false },
    ledger: { url: "ledger.sqlite" },
    run: { batchSize: 50, concurrency: 2, outDir: "out" },
    ...extra,
  });
  const mapped = await mapAll(config, dir);
  const report = await runMigration({ config, cwd: dir });
  return { dir, db: path.join(dir, "auth.db"), report, mapped, config };
}

/** Signs each email in through better-auth; true = HTTP 200. */
export async function signIn(dbFile: string, attempts: { email: string; password: string }[]): Promise<boolean[]> {
  const db = new Database(dbFile);
  try {
    const auth = betterAuth({
      database: db,
      secret: "authmigrate-test-secret-0123456789abcdef",
      baseURL: "http://127.0.0.1",
      emailAndPassword: { enabled: true },
      plugins: [legacyPasswords(), admin()],
      logger: { disabled: true },
      telemetry: { enabled: false },
    });
    const out: boolean[] = [];
    for (const a of attempts) {
      const res = await auth.api.signInEmail({ body: { email: a.email, password: a.password }, asResponse: true });
      out.push(res.status === 200);
    }
    return out;
  } finally {
    db.close();
  }
}

interface UserRow {
  id: string;
  email: string;
  banned: number | null;
}

/**
 * The checks every provider's end-to-end test makes against expected.json:
 * users with a usable hash sign in with their old password (and not with a wrong one), users
 * without one have no credential account, disabled users are banned and cannot sign in, social
 * identities are account rows, expected failures are reported with their reason, MFA and
 * metadata are on the user handed to the target.
 */
export async function assertMigrated(m: Migrated, expected: Expected[]): Promise<void> {
  const db = new Database(m.db, { readonly: true });
  const users = new Map((db.prepare("SELECT id, email, banned FROM user").all() as UserRow[]).map((u) => [u.email, u]));
  const accounts = db.prepare("SELECT providerId, accountId, password FROM account WHERE userId = ?");
  const mappedById = new Map(m.mapped.filter((r) => r.user).map((r) => [r.user!.externalId, r]));
  const signInable: { email: string; password: string }[] = [];
  for (const e of expected) {
    if (e.fails) {
      const rec = m.mapped.find((r) => r.externalId === e.externalId);
      expect(rec?.issues.map((i) => i.code), e.externalId).toContain(e.fails);
      continue;
    }
    const u = users.get(e.email!);
    expect(u, `${e.externalId} (${e.email}) in better-auth`).toBeDefined();
    const rows = accounts.all(u!.id) as { providerId: string; accountId: string; password: string | null }[];
    const credential = rows.find((r) => r.providerId === "credential");
    if (e.password !== undefined) {
      expect(credential?.password, `${e.email} has its legacy hash`).toBeTruthy();
      if (!e.disabled) signInable.push({ email: e.email!, password: e.password });
    } else {
      expect(credential?.password ?? null, `${e.email} must not get a credential`).toBeNull();
    }
    expect(Boolean(u!.banned), `${e.email} disabled`).toBe(Boolean(e.disabled));
    const social = rows.filter((r) => r.providerId !== "credential").map((r) => ({ provider: r.providerId, providerUserId: r.accountId }));
    expect(social, `${e.email} identities`).toEqual(expect.arrayContaining(e.identities ?? []));
    expect(social.length).toBe((e.identities ?? []).length);
    const mapped = mappedById.get(e.externalId)!;
    expect(mapped.user!.mfa.length > 0, `${e.email} mfa`).toBe(Boolean(e.mfa));
    if (e.metadata) expect(mapped.user!.metadata).toMatchObject(e.metadata);
  }
  db.close();
  // Right password signs in; a wrong one does not. (Cognito exports no hashes: nobody to sign in.)
  if (expected.every((e) => e.password === undefined)) return;
  expect(signInable.length).toBeGreaterThan(0);
  const ok = await signIn(m.db, signInable);
  expect(Object.fromEntries(signInable.map((s, i) => [s.email, ok[i]]))).toEqual(Object.fromEntries(signInable.map((s) => [s.email, true])));
  const wrong = await signIn(m.db, signInable.slice(0, 3).map((s) => ({ email: s.email, password: `${s.password}x` })));
  expect(wrong).toEqual([false, false, false].slice(0, wrong.length));
  // Disabled users with a password are refused even with the right one.
  const disabled = expected.filter((e) => e.disabled && e.password !== undefined && e.email);
  if (disabled.length) expect(await signIn(m.db, disabled.map((e) => ({ email: e.email!, password: e.password! })))).toEqual(disabled.map(() => false));
}
