/** A migrated legacy DB (file target) with failures, orgs and hashes, served with the dashboard on. */
import Database from "better-sqlite3";
import bcrypt from "bcryptjs";
import path from "node:path";
import { parseConfig } from "../../src/config/load.js";
import type { Config } from "../../src/config/schema.js";
import { targetKey } from "../../src/ledger/index.js";
import { legacyConfig, tempDir, writeLegacyDb, type LegacyRow } from "../helpers.js";

export const DASH_TOKEN = "dash-token-0123456789-abcdef";
export const HOOK_SECRET = "hook-secret-0123456789-abcdef";
export const PW = "correct horse battery staple";

export interface DashFixture {
  dir: string;
  config: Config;
  hashes: string[];
  users: LegacyRow[];
}

export function dashFixture(ledgerUrl = "ledger.sqlite"): DashFixture {
  const dir = tempDir("am-dash-");
  const hash = bcrypt.hashSync(PW, 4);
  const users: LegacyRow[] = [
    { Id: 1, Email: "Alice@Example.com", PasswordHash: hash, TenantId: 10, LastLoginDate: "2024-05-01 10:00:00" },
    { Id: 2, Email: "bob@example.com", PasswordHash: bcrypt.hashSync("bob-password-1", 4), TenantId: 10 },
    { Id: 3, Email: "carol@example.com", PasswordHash: bcrypt.hashSync("carol-password-1", 4), TenantId: 20, LastLoginDate: "2024-06-01 10:00:00" },
    { Id: 4, Email: "dave@example.com", PasswordHash: null, TenantId: null },
    { Id: 5, Email: "not-an-email", PasswordHash: bcrypt.hashSync("x-password-1", 4), TenantId: 20 },
    { Id: 6, Email: "also bad@", PasswordHash: null, TenantId: 10 },
    { Id: 7, Email: null, PasswordHash: null, TenantId: 20 },
  ];
  writeLegacyDb(path.join(dir, "legacy.db"), users, [
    { Id: 10, Name: "Ten" },
    { Id: 20, Name: "Twenty" },
  ]);
  const config = parseConfig({ ...legacyConfig({ ledger: { url: ledgerUrl } }), serve: { secret: HOOK_SECRET, dashboard: { token: DASH_TOKEN, refreshMs: 250 } } });
  return { dir, config, users, hashes: users.map((u) => u.PasswordHash).filter((h): h is string => !!h) };
}

export interface LedgerUserRow {
  external_id: string;
  email: string | null;
  status: string;
  reason: string | null;
  target_id: string | null;
  org: string | null;
  run_id: number;
  has_logged_in: number | null;
  hash_format: string | null;
  strategy: string | null;
}

/** The ledger's rows for this config's target, read directly (what the dashboard must agree with). */
export function ledgerRows(f: { dir: string; config: Config }): LedgerUserRow[] {
  const db = new Database(path.join(f.dir, "ledger.sqlite"), { readonly: true });
  try {
    return db.prepare("SELECT * FROM am_users WHERE target = ? ORDER BY external_id").all(targetKey(f.config.target)) as LedgerUserRow[];
  } finally {
    db.close();
  }
}

export const count = (rows: LedgerUserRow[], pred: (r: LedgerUserRow) => boolean): number => rows.filter(pred).length;
