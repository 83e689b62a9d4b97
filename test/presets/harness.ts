/**
 * Shared steps of the preset proofs: a framework database is created by the test (real DDL,
 * real hashes), then the user's path is run through the CLI — `init --preset X --source …`,
 * `audit`, `run` into better-auth — and every user with a usable hash signs in through a real
 * better-auth instance with the old password.
 */
import { hash as bcryptHash } from "@node-rs/bcrypt";
import { spawnSync } from "node:child_process";
import { createHash, pbkdf2Sync, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import mysql from "mysql2/promise";
import { expect } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { signInDemoAccounts } from "../../src/demo/sign-in.js";
import { openUserSource, readMappedUsers } from "../../src/engine/read.js";
import type { MigrationUser } from "../../src/model/user.js";
import { CLI_ARGS } from "../helpers.js";

export function cli(args: string[], cwd: string, env: Record<string, string> = {}): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [...CLI_ARGS, ...args], { cwd, encoding: "utf8", env: { ...process.env, AUTHMIGRATE_HASH_POOL: "0", ...env }, timeout: 300_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Names people really have: accents, CJK, Cyrillic, apostrophes, emoji. */
export const NAMES: readonly [string, string][] = [
  ["Zoë", "Müller"], ["José", "Álvarez"], ["小龙", "李"], ["Ørjan", "Østby"], ["Анна", "Иванова"], ["Siobhán", "O'Brien"],
  ["François", "Lefèvre"], ["Dvořák", "Antonín"], ["Ngọc", "Trần"], ["Ayşe", "Yılmaz"], ["محمد", "علي"], ["Ada", "Lovelace"],
  ["Grace", "Hopper"], ["Émilie", "du Châtelet"], ["Søren", "Kierkegaard"], ["Łukasz", "Wróbel"], ["Ingrid", "Bergström"], ["Kenji", "田中"],
  ["Renée", "Zellweger"], ["Björk", "Guðmundsdóttir"], ["Noah", "Smith 🚀"], ["Chloé", "Dubois"], ["Amara", "Okafor"], ["Yuki", "Sato"],
  ["Omar", "Haddad"], ["Liam", "Nguyen"], ["Fatima", "Zahra"], ["Sven", "Larsson"], ["Olga", "Kowalski"], ["Ravi", "Patel"],
  ["Marta", "Rossi"], ["Wei", "Chen"], ["Aisha", "Bello"], ["Carlos", "Silva"], ["Emma", "Brown"], ["Jana", "Novák"],
];

/** One legacy user as the test knows it: the old password when it should sign in. */
export interface Known {
  id: string;
  email: string | null;
  password?: string;
  /** The user must arrive unable to sign in (inactive, locked, spam). */
  disabled?: boolean;
}

export interface Vector {
  format: string;
  hash: string;
  password: string;
  valid: boolean;
  params: Record<string, unknown>;
}
const VECTORS = (JSON.parse(readFileSync("/work/shared/vectors/password-hashes.json", "utf8")) as { vectors: Vector[] }).vectors;

/** Valid vectors of `format` without extra params (the hash string is all a framework stores). */
export function vectors(format: string): Vector[] {
  const out = VECTORS.filter((v) => v.format === format && v.valid && Object.keys(v.params ?? {}).length === 0 && v.password !== "");
  if (out.length === 0) throw new Error(`no vectors for ${format}`);
  return out;
}

export const md5Hex = (pw: string): string => createHash("md5").update(pw, "utf8").digest("hex");
/** bcrypt as PHP writes it ($2y$); cost 4 keeps the suite quick. */
export const bcrypt2y = async (pw: string): Promise<string> => (await bcryptHash(pw, 4)).replace(/^\$2[ab]\$/, "$2y$");
export const bcrypt2b = async (pw: string): Promise<string> => (await bcryptHash(pw, 4)).replace(/^\$2[ay]\$/, "$2b$");

/** Django PBKDF2PasswordHasher: `pbkdf2_sha256$<iter>$<salt>$<b64>` (low iterations: test speed). */
export function djangoPbkdf2(pw: string, digest: "sha256" | "sha1" = "sha256", iterations = 1200): string {
  const salt = randomBytes(9).toString("hex");
  const dk = pbkdf2Sync(pw, salt, iterations, digest === "sha256" ? 32 : 20, digest).toString("base64");
  return `pbkdf2_${digest}$${iterations}$${salt}$${dk}`;
}

/** ASP.NET Identity v3 (PasswordHasher, IdentityV3): 0x01 | prf | iter | saltLen | salt | subkey, BE. */
export function aspnetV3(pw: string, iterations = 10_000, prf: 1 | 2 = 1): string {
  const salt = randomBytes(16);
  const sub = pbkdf2Sync(pw, salt, iterations, 32, prf === 1 ? "sha256" : "sha512");
  const head = Buffer.alloc(13);
  head[0] = 0x01;
  head.writeUInt32BE(prf, 1);
  head.writeUInt32BE(iterations, 5);
  head.writeUInt32BE(salt.length, 9);
  return Buffer.concat([head, salt, sub]).toString("base64");
}

/** ASP.NET Identity v2 (IdentityV2): 0x00 | salt(16) | PBKDF2-HMAC-SHA1(1000) subkey(32). */
export function aspnetV2(pw: string): string {
  const salt = randomBytes(16);
  return Buffer.concat([Buffer.from([0]), salt, pbkdf2Sync(pw, salt, 1000, 32, "sha1")]).toString("base64");
}

export interface Outcome {
  init: { preset: string; users: number; options: Record<string, unknown>; notes: string[] };
  audit: { totals: { records: number; users: number; active: number; inactive: number; failed: number }; passwords: { format: string; users: number }[]; emails: { missing: { count: number } } };
  report: { externalId?: string; email?: string; status: string; reason?: string }[];
  /** The canonical users the preset produced, by legacy id (read in-process from the written config). */
  users: Map<string, MigrationUser>;
}

/** init → audit → run, as a user would type them; asserts each step succeeded. */
export async function initAuditRun(dir: string, preset: string, source: string, out = "authmigrate.config.json", env: Record<string, string> = {}): Promise<Outcome> {
  const init = cli(["init", "--preset", preset, "--source", source, "-o", out, "--json"], dir, env);
  expect(init.code, init.stderr).toBe(0);
  const audit = cli(["audit", "-c", out, "--json", "--as-of", "2026-11-01"], dir, env);
  expect(audit.code, audit.stderr).toBe(0);
  const run = cli(["run", "-c", out, "--json"], dir, env);
  expect([0, 1], run.stderr).toContain(run.code);
  const runJson = JSON.parse(run.stdout) as { reportFile?: string };
  const reportFile = runJson.reportFile ?? path.join(dir, ".authmigrate", "report.jsonl");
  const report = readFileSync(reportFile, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as Outcome["report"][number]);
  return { init: JSON.parse(init.stdout) as Outcome["init"], audit: JSON.parse(audit.stdout) as Outcome["audit"], report, users: await mappedUsers(dir, out, env) };
}

async function mappedUsers(dir: string, out: string, env: Record<string, string>): Promise<Map<string, MigrationUser>> {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    const { config, cwd } = await loadConfig(path.join(dir, out));
    const source = await openUserSource(config, cwd);
    const users = new Map<string, MigrationUser>();
    try {
      for await (const rec of readMappedUsers(config, source)) if (rec.user) users.set(rec.user.externalId, rec.user);
    } finally {
      await source.close();
    }
    return users;
  } finally {
    for (const k of Object.keys(env)) if (saved[k] === undefined) delete process.env[k];
  }
}

/**
 * Every known user with a password and an email signs in with it through better-auth; a wrong
 * password never does; disabled users never do. Returns how many signed in.
 */
export async function expectSignIns(dir: string, known: readonly Known[]): Promise<number> {
  const db = path.join(dir, "auth.db");
  const withPw = known.filter((k) => k.password !== undefined && k.email);
  const results = await signInDemoAccounts(db, withPw.map((k) => ({ email: k.email!.trim().toLowerCase(), password: k.password! })));
  const expected = withPw.map((k) => ({ id: k.id, ok: !k.disabled }));
  expect(results.map((r, i) => ({ id: withPw[i]!.id, ok: r.ok }))).toEqual(expected);
  // Signed-in legacy hashes are upgraded to better-auth's own.
  for (const [i, r] of results.entries()) if (!withPw[i]!.disabled) expect(r.storedHash, withPw[i]!.id).toBe("native");
  const wrong = withPw.find((k) => !k.disabled)!;
  const [bad] = await signInDemoAccounts(db, [{ email: wrong.email!.toLowerCase(), password: `${wrong.password}-wrong` }]);
  expect(bad!.ok).toBe(false);
  return results.filter((r) => r.ok).length;
}

/** A fresh MariaDB database on the local server, dropped by the returned cleanup. */
export async function freshMysqlDatabase(prefix: string): Promise<{ url: string; conn: mysql.Connection; drop: () => Promise<void> }> {
  const name = `${prefix}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = await mysql.createConnection({ host: "127.0.0.1", port: 3306, user: "root" });
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_520_ci`);
  await admin.end();
  const conn = await mysql.createConnection({ host: "127.0.0.1", port: 3306, user: "root", database: name, multipleStatements: true, timezone: "Z" });
  return {
    url: `mysql://root@127.0.0.1:3306/${name}`,
    conn,
    async drop() {
      await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await conn.end();
    },
  };
}
