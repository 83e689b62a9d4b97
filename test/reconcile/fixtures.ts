import Database from "better-sqlite3";
import path from "node:path";
import type { Config } from "../../src/config/schema.js";
import { syncOrgs } from "../../src/engine/orgs.js";
import { openUserSource, readMappedUsers } from "../../src/engine/read.js";
import { userDigest } from "../../src/engine/digest.js";
import { openSession } from "../../src/engine/session.js";
import type { LedgerUserWrite } from "../../src/ledger/types.js";
import type { MigrationUser } from "../../src/model/user.js";
import { newId } from "../../src/targets/better-auth/db.js";
import { toPasswordColumn } from "../../src/targets/better-auth/password.js";
import { displayName, roleOf } from "../../src/targets/better-auth/records.js";
import { writeLegacyDb, type LegacyRow } from "../helpers.js";

export const TENANTS = [1, 2, 3, 4, 5].map((Id) => ({ Id, Name: `Tenant ${Id}` }));
export const BCRYPT = "$2b$10$VvC10Nhzh8oCRE6A9ywlS.iV7fjqU4LFPnENq2jGdtLyn.SK0Ybju";

export function legacyRows(n: number): LegacyRow[] {
  return Array.from({ length: n }, (_, i) => ({
    Id: i + 1,
    Email: `user${i + 1}@example.com`,
    FirstName: `First${i + 1}`,
    LastName: `Last${(i * 7) % 1000}`,
    TenantId: (i % 5) + 1,
    RoleId: (i % 3) + 1,
    PasswordHash: i % 10 === 0 ? BCRYPT : null,
  }));
}

export function writeLegacy(dir: string, n: number): void {
  writeLegacyDb(path.join(dir, "legacy.db"), legacyRows(n), TENANTS);
}

/**
 * Put every legacy user into better-auth and the ledger the fast way, for a test fixture: the rows
 * better-auth's writeUsers would insert (built with the target's own displayName/roleOf/password
 * helpers), written with one prepared statement each, and the ledger rows a run records. `run`
 * is tested elsewhere; through the full engine 100k users would eat most of the time budget.
 */
export async function seedBetterAuth(config: Config, cwd: string): Promise<void> {
  const session = await openSession(config, cwd);
  try {
    await session.instance.prepare();
    const { map } = await syncOrgs(session, false);
    const run = await session.ledger.startRun("run");
    const db = new Database(path.join(cwd, "auth.db"));
    const insUser = db.prepare("INSERT INTO user (id, name, email, emailVerified, image, createdAt, updatedAt) VALUES (?, ?, ?, ?, NULL, ?, ?)");
    const insAccount = db.prepare("INSERT INTO account (id, accountId, providerId, userId, password, createdAt, updatedAt) VALUES (?, ?, 'credential', ?, ?, ?, ?)");
    const insMember = db.prepare("INSERT INTO member (id, organizationId, userId, role, createdAt) VALUES (?, ?, ?, ?, ?)");
    const source = await openUserSource(config, cwd);
    let rows: LedgerUserWrite[] = [];
    let users: MigrationUser[] = [];
    const flush = async (): Promise<void> => {
      const now = new Date().toISOString();
      db.transaction(() => {
        for (const u of users) {
          const id = newId("random");
          insUser.run(id, displayName(u), u.email!, u.emailVerified ? 1 : 0, (u.createdAt ?? new Date()).toISOString(), now);
          if (u.credential.kind === "hash") insAccount.run(newId("random"), id, id, toPasswordColumn(u.credential), now, now);
          for (const m of u.memberships) insMember.run(newId("random"), map[m.orgExternalId]!, id, roleOf(m.roles), now);
          rows.push({ externalId: u.externalId, email: u.email ?? null, digest: userDigest(u), targetId: id, status: "created", reason: null, strategy: "native" });
        }
      })();
      await session.ledger.recordUsers(run.id, rows);
      rows = [];
      users = [];
    };
    for await (const rec of readMappedUsers(config, source)) {
      users.push(rec.user!);
      if (users.length >= 5000) await flush();
    }
    await flush();
    await source.close();
    db.close();
    await session.ledger.finishRun(run.id, "completed", {});
  } finally {
    await session.close();
  }
}

export interface Injected {
  missing_in_target: string[];
  missing_in_legacy: string[];
  profile: string[];
  identifiers: string[];
  /** Target ids (orphans have no legacy id). */
  orphan: string[];
  org_role: string[];
}

/**
 * Exactly 1% of each drift kind, on disjoint users (id % 100 picks the kind), made the way drift
 * happens: rows deleted on either side, a profile edited in the app, an email changed in the app,
 * sign-ups straight into the target, a role changed in the app.
 */
export function injectBetterAuthDrift(dir: string, n: number): Injected {
  const ledger = new Database(path.join(dir, "ledger.sqlite"));
  const targetOf = new Map((ledger.prepare("SELECT external_id, target_id FROM am_users").all() as { external_id: string; target_id: string }[]).map((r) => [r.external_id, r.target_id]));
  ledger.close();
  const pick = (k: number): string[] => Array.from({ length: n / 100 }, (_, i) => String(i * 100 + k));
  const inj: Injected = { missing_in_target: pick(1), missing_in_legacy: pick(2), profile: pick(3), identifiers: pick(4), orphan: [], org_role: pick(5) };
  const auth = new Database(path.join(dir, "auth.db"));
  const legacy = new Database(path.join(dir, "legacy.db"));
  const tid = (id: string): string => targetOf.get(id)!;
  auth.transaction(() => {
    for (const id of inj.missing_in_target) {
      auth.prepare("DELETE FROM member WHERE userId = ?").run(tid(id));
      auth.prepare("DELETE FROM account WHERE userId = ?").run(tid(id));
      auth.prepare("DELETE FROM user WHERE id = ?").run(tid(id));
    }
    for (const id of inj.profile) auth.prepare("UPDATE user SET name = 'Renamed in app' WHERE id = ?").run(tid(id));
    for (const id of inj.identifiers) auth.prepare("UPDATE user SET email = 'changed-' || email WHERE id = ?").run(tid(id));
    for (const id of inj.org_role) auth.prepare("UPDATE member SET role = 'billing' WHERE userId = ?").run(tid(id));
    const now = new Date().toISOString();
    for (let i = 0; i < n / 100; i++) {
      const id = `orphan${String(i).padStart(6, "0")}`;
      auth.prepare("INSERT INTO user (id, name, email, emailVerified, image, createdAt, updatedAt) VALUES (?, ?, ?, 0, NULL, ?, ?)").run(id, "Signed Up", `signup${i}@example.com`, now, now);
      inj.orphan.push(id);
    }
  })();
  legacy.transaction(() => {
    for (const id of inj.missing_in_legacy) legacy.prepare("DELETE FROM Users WHERE Id = ?").run(Number(id));
  })();
  auth.close();
  legacy.close();
  return inj;
}

/** A digest of everything reconcile could change, on both sides. */
export function snapshot(dir: string): string {
  const auth = new Database(path.join(dir, "auth.db"), { readonly: true });
  const legacy = new Database(path.join(dir, "legacy.db"), { readonly: true });
  const parts = [
    auth.prepare("SELECT id, name, email, image FROM user ORDER BY id").all(),
    auth.prepare("SELECT userId, providerId, accountId, password FROM account ORDER BY id").all(),
    auth.prepare("SELECT userId, organizationId, role FROM member ORDER BY id").all(),
    legacy.prepare("SELECT * FROM Users ORDER BY Id").all(),
  ];
  auth.close();
  legacy.close();
  return JSON.stringify(parts);
}
