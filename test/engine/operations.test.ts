import Database from "better-sqlite3";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import { exportMapping } from "../../src/engine/export-mapping.js";
import { rollbackMigration } from "../../src/engine/rollback.js";
import { runMigration } from "../../src/engine/run.js";
import { migrationStatus } from "../../src/engine/status.js";
import { verifyMigration } from "../../src/engine/verify.js";
import { legacyConfig, tempDir, writeLegacyDb, type LegacyRow } from "../helpers.js";

const BCRYPT = "$2b$10$VvC10Nhzh8oCRE6A9ywlS.iV7fjqU4LFPnENq2jGdtLyn.SK0Ybju"; // "correct horse battery staple"

function setup(rows: LegacyRow[]) {
  const dir = tempDir();
  writeLegacyDb(path.join(dir, "legacy.db"), rows, [{ Id: 1, Name: "One" }]);
  const config = parseConfig(legacyConfig({ target: { type: "better-auth", database: "auth.db" } }));
  return { dir, config };
}

const users = (from: number, n: number): LegacyRow[] =>
  Array.from({ length: n }, (_, i) => ({ Id: from + i, Email: `u${from + i}@school.edu`, TenantId: 1, RoleId: 2, PasswordHash: BCRYPT }));

const authUsers = (dir: string): string[] =>
  (new Database(path.join(dir, "auth.db"), { readonly: true }).prepare("SELECT email FROM user ORDER BY email").all() as { email: string }[]).map((r) => r.email);

describe("pilot, rollback --run, export-mapping, status, verify --sign-in", () => {
  it("a pilot run migrates only the pilot group; the full run then completes the rest", async () => {
    const { dir, config } = setup(users(1, 8));
    const pilot = new Set(["u2@school.edu", "u5@school.edu"]);
    const r = await runMigration({ config, cwd: dir, only: (rec) => pilot.has(rec.user?.email ?? "") });
    expect(r.counts).toMatchObject({ total: 2, created: 2 });
    expect(authUsers(dir)).toEqual(["u2@school.edu", "u5@school.edu"]);
    const full = await runMigration({ config, cwd: dir });
    expect(full.counts).toMatchObject({ total: 8, created: 6, unchanged: 2 });
  });

  it("rollback --run deletes only that run's users, after exporting them", async () => {
    const { dir, config } = setup(users(1, 4));
    const first = await runMigration({ config, cwd: dir });
    writeLegacyDb(path.join(dir, "legacy.db"), users(5, 3));
    const second = await runMigration({ config, cwd: dir });
    expect(second.counts).toMatchObject({ created: 3, unchanged: 4 });

    const dry = await rollbackMigration({ config, cwd: dir, runId: second.runId!, dryRun: true });
    expect(dry).toMatchObject({ candidates: 3, deleted: 0 });
    expect(authUsers(dir)).toHaveLength(7);

    const done = await rollbackMigration({ config, cwd: dir, runId: second.runId! });
    expect(done).toMatchObject({ candidates: 3, deleted: 3, failed: [] });
    expect(readFileSync(done.exportFile!, "utf8").trim().split("\n")).toHaveLength(3);
    expect(authUsers(dir)).toEqual(["u1@school.edu", "u2@school.edu", "u3@school.edu", "u4@school.edu"]);
    const status = await migrationStatus({ config, cwd: dir });
    expect(status.users).toMatchObject({ created: 4, rolled_back: 3 });
    expect(first.runId).not.toBe(second.runId);
  });

  it("rollback --mode disable bans only that run's users (they stay, cannot sign in); pre-existing users untouched", async () => {
    const dir = tempDir();
    writeLegacyDb(path.join(dir, "legacy.db"), users(1, 3), [{ Id: 1, Name: "One" }]);
    const config = parseConfig(legacyConfig({ target: { type: "better-auth", database: "auth.db", admin: true } }));
    const first = await runMigration({ config, cwd: dir });
    writeLegacyDb(path.join(dir, "legacy.db"), users(4, 2));
    const second = await runMigration({ config, cwd: dir });
    expect(second.counts).toMatchObject({ created: 2, unchanged: 3 });

    const done = await rollbackMigration({ config, cwd: dir, runId: second.runId!, mode: "disable" });
    expect(done).toMatchObject({ mode: "disable", candidates: 2, deleted: 2, failed: [] });
    expect(authUsers(dir)).toHaveLength(5); // nobody deleted
    const { signInDemoAccounts } = await import("../../src/demo/sign-in.js");
    const pw = "correct horse battery staple";
    const results = await signInDemoAccounts(path.join(dir, "auth.db"), ["u1@school.edu", "u4@school.edu", "u5@school.edu"].map((email) => ({ email, password: pw })));
    expect(results.map((r) => [r.email, r.ok])).toEqual([["u1@school.edu", true], ["u4@school.edu", false], ["u5@school.edu", false]]);
    const status = await migrationStatus({ config, cwd: dir });
    expect(status.users).toMatchObject({ created: 3, rolled_back: 2 });
    expect(first.runId).not.toBe(second.runId);

    // Without the admin plugin's `banned` column there is no way to disable: each user fails with the fix.
    const noAdmin = setup(users(1, 1));
    await runMigration({ config: noAdmin.config, cwd: noAdmin.dir });
    const refused = await rollbackMigration({ config: noAdmin.config, cwd: noAdmin.dir, mode: "disable" });
    expect(refused.failed).toEqual([{ externalId: "1", reason: expect.stringContaining("target.admin: true") }]);
  });

  it("export-mapping lists legacyId ↔ targetId for every migrated user", async () => {
    const { dir, config } = setup([...users(1, 3), { Id: 9, Email: null }]);
    await runMigration({ config, cwd: dir });
    let csv = "";
    for await (const line of exportMapping({ config, cwd: dir })) csv += line;
    const rows = csv.trim().split("\n");
    expect(rows[0]).toBe("externalId,targetId,status,email");
    expect(rows.slice(1).map((r) => r.split(",")[0])).toEqual(["1", "2", "3"]);
    const db = new Database(path.join(dir, "auth.db"), { readonly: true });
    for (const r of rows.slice(1)) {
      const [, targetId, , email] = r.split(",");
      expect((db.prepare("SELECT email FROM user WHERE id = ?").get(targetId) as { email: string }).email).toBe(email);
    }
  });

  it("status has seed 000's migration-status shape, from the ledger and the target", async () => {
    const { dir, config } = setup([...users(1, 3), { Id: 9, Email: null }]);
    await runMigration({ config, cwd: dir });
    const s = await migrationStatus({ config, cwd: dir });
    expect(s.status).toMatchObject({
      totalUsers: 3,
      migrationProgress: { migratedUsers: 3, nativeUsers: 0, migrationPercentage: 75 },
      health: { failed: 1, failedPercentage: 25, pending: 0 },
    });
    expect(s.status.byStatus).toContainEqual({ status: "created", count: 3 });
  });

  it("verify --sign-in proves pilot credentials and fails on a wrong one", async () => {
    const { dir, config } = setup(users(1, 2));
    await runMigration({ config, cwd: dir });
    const ok = await verifyMigration({ config, cwd: dir, signIn: [{ email: "u1@school.edu", password: "correct horse battery staple" }] });
    expect(ok.checks.find((c) => c.id === "sign_in")).toMatchObject({ status: "pass" });
    expect(ok.ok).toBe(true);
    const bad = await verifyMigration({ config, cwd: dir, signIn: [{ email: "u2@school.edu", password: "nope" }] });
    expect(bad.checks.find((c) => c.id === "sign_in")).toMatchObject({ status: "fail" });
    expect(bad.ok).toBe(false);
    expect(JSON.stringify(bad)).not.toContain("nope");
  });
});
