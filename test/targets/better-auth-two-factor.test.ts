/**
 * Legacy TOTP secrets imported into better-auth's twoFactor plugin: a migrated user signs in with
 * the old password, is asked for the second factor, and the code from the authenticator app they
 * already have (computed here per RFC 6238, independently of better-auth) lets them in.
 */
import { createHmac } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import bcrypt from "bcryptjs";
import { twoFactor } from "better-auth/plugins/two-factor";
import Database from "better-sqlite3";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshPgDatabase } from "../helpers.js";
import { MigrationUserSchema } from "../../src/model/user.js";
import { betterAuthTarget } from "../../src/targets/better-auth/index.js";
import { legacyPasswords } from "../../src/targets/better-auth/plugin.js";
import type { TargetInstance } from "../../src/targets/types.js";
import { startBetterAuthApp, type BetterAuthApp } from "./better-auth-app.js";

const APP_SECRET = "authmigrate-2fa-test-secret-0123456789abcdef";
const TOTP_SECRET = "JBSWY3DPEHPK3PXP"; // base32, as authenticator apps show it

/** RFC 6238 TOTP (SHA-1, 6 digits, 30 s) from a base32 secret. */
function totp(base32: string, at = Date.now()): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const c of base32.replace(/=+$/, "").toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, "0");
  const key = Buffer.from(bits.match(/.{8}/g)!.map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 1000 / 30)));
  const h = createHmac("sha1", key).update(counter).digest();
  const o = h[h.length - 1]! & 0xf;
  return String((h.readUInt32BE(o) & 0x7fffffff) % 1_000_000).padStart(6, "0");
}

/** The app's database seen from the test: one row by SQL (`?` placeholders). */
interface AppDb {
  database: Database.Database | pg.Pool;
  one(sql: string, ...params: unknown[]): Promise<Record<string, unknown> | undefined>;
  close(): Promise<void>;
}

const backends: [string, () => Promise<{ url: string; app: () => AppDb; drop: () => Promise<void> }>][] = [
  [
    "sqlite",
    async () => {
      const dir = mkdtempSync(path.join(tmpdir(), "authmigrate-ba-2fa-"));
      const file = path.join(dir, "auth.db");
      return {
        url: file,
        app: () => {
          const db = new Database(file);
          return { database: db, one: async (sql, ...p) => db.prepare(sql).get(...p) as Record<string, unknown> | undefined, close: async () => void db.close() };
        },
        drop: async () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  ],
  [
    "postgres",
    async () => {
      const db = await freshPgDatabase("am_ba_2fa");
      return {
        url: db.url,
        app: () => {
          const pool = new pg.Pool({ connectionString: db.url, max: 2 });
          let n = 0;
          return { database: pool, one: async (sql, ...p) => (await pool.query(sql.replace(/\?/g, () => `$${++n}`), p).finally(() => (n = 0))).rows[0], close: () => pool.end() };
        },
        drop: db.drop,
      };
    },
  ],
];

describe.each(backends)("better-auth target: TOTP secrets (twoFactor, %s)", (kind, open) => {
  let target: TargetInstance;
  let app: BetterAuthApp;
  let base: string;
  let appDb: AppDb;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const db = await open();
    drop = db.drop;
    target = betterAuthTarget.create(betterAuthTarget.options.parse({ database: db.url, organizations: false, twoFactor: { secret: APP_SECRET } }), { cwd: "/" });
    await target.prepare();
    appDb = db.app();
    app = await startBetterAuthApp({ database: appDb.database as never, secret: APP_SECRET, plugins: [twoFactor(), legacyPasswords()] });
    base = app.base;
  });

  afterAll(async () => {
    await app?.close();
    await appDb?.close();
    await target?.close();
    await drop?.();
  });

  const post = (p: string, body: unknown, cookie = "") =>
    fetch(`${base}/api/auth${p}`, { method: "POST", headers: { "content-type": "application/json", origin: base, ...(cookie ? { cookie } : {}) }, body: JSON.stringify(body) });
  const cookies = (res: Response) => res.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
  const user = (id: string, email: string, pw: string, mfa: { type: "totp"; secret: string }[] = []) =>
    MigrationUserSchema.parse({ externalId: id, email, credential: { kind: "hash", format: "bcrypt", value: bcrypt.hashSync(pw, 4) }, mfa });

  it("old password → second factor asked; the legacy authenticator code signs in, a wrong one does not", async () => {
    const [out] = await target.writeUsers([{ user: user("1", "tess@example.com", "tess-password", [{ type: "totp", secret: "jbsw y3dp ehpk 3pxp" }]), action: "create", orgTargetIds: {} }]);
    expect(out?.status).toBe("created");
    // The secret is stored encrypted with the app's secret, never in clear.
    const row = (await appDb.one('select secret, "backupCodes" from "twoFactor" where "userId" = ?', out!.targetId)) as { secret: string; backupCodes: string };
    expect(row.secret).not.toContain(TOTP_SECRET);
    const enabled = await appDb.one('select "twoFactorEnabled" as e from "user" where id = ?', out!.targetId);
    expect(enabled?.e).toBe(kind === "sqlite" ? 1 : true);

    const first = await post("/sign-in/email", { email: "tess@example.com", password: "tess-password" });
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({ twoFactorRedirect: true });
    const pending = cookies(first);

    expect((await post("/two-factor/verify-totp", { code: totp(TOTP_SECRET, Date.now() + 5 * 60_000) }, pending)).status).toBe(401);
    const ok = await post("/two-factor/verify-totp", { code: totp(TOTP_SECRET) }, pending);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ user: { email: "tess@example.com", twoFactorEnabled: true } });
    expect(cookies(ok)).toMatch(/session_token=/);
  });

  it("users without TOTP sign in with the password alone; a secret that is not base32 fails the user with the reason", async () => {
    const [plain, bad] = await target.writeUsers([
      { user: user("2", "pat@example.com", "pat-password"), action: "create", orgTargetIds: {} },
      { user: user("3", "bad@example.com", "bad-password", [{ type: "totp", secret: "not-base32!" }]), action: "create", orgTargetIds: {} },
    ]);
    expect(plain?.status).toBe("created");
    const res = await post("/sign-in/email", { email: "pat@example.com", password: "pat-password" });
    expect(res.status).toBe(200);
    expect(await res.json()).not.toHaveProperty("twoFactorRedirect");
    expect(bad).toMatchObject({ status: "failed" });
    expect(bad?.reason).toMatch(/^mfa_secret_invalid/);
  });

  it("an update adds a TOTP secret the app does not have yet, and keeps one it has", async () => {
    const [created] = await target.writeUsers([{ user: user("4", "ula@example.com", "ula-password"), action: "create", orgTargetIds: {} }]);
    const id = created!.targetId!;
    const withMfa = user("4", "ula@example.com", "ula-password", [{ type: "totp", secret: TOTP_SECRET }]);
    expect((await target.writeUsers([{ user: withMfa, action: "update", targetId: id, orgTargetIds: {} }]))[0]?.status).toBe("updated");
    const stored = await appDb.one('select secret from "twoFactor" where "userId" = ?', id);
    expect(stored?.secret).toBeTruthy();
    const other = { ...withMfa, mfa: [{ type: "totp" as const, secret: "GEZDGNBVGY3TQOJQ" }] };
    await target.writeUsers([{ user: other, action: "update", targetId: id, orgTargetIds: {} }]);
    expect(await appDb.one('select secret from "twoFactor" where "userId" = ?', id)).toEqual(stored);

    const first = await post("/sign-in/email", { email: "ula@example.com", password: "ula-password" });
    expect(await first.json()).toMatchObject({ twoFactorRedirect: true });
    expect((await post("/two-factor/verify-totp", { code: totp(TOTP_SECRET) }, cookies(first))).status).toBe(200);
  });
});
