import Database from "better-sqlite3";
import { spawn, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { CLI_ARGS, legacyConfig, tempDir, writeLegacyDb } from "../helpers.js";

const CLI = CLI_ARGS;
const USERS = 3000;

function countUsers(file: string): number {
  try {
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      return (db.prepare("SELECT COUNT(*) AS n FROM user").get() as { n: number }).n;
    } finally {
      db.close();
    }
  } catch {
    return 0; // not created yet, or mid-migration schema
  }
}

describe("crash safety", () => {
  it("kill -9 in the middle of run, then run again: every user exactly once in the target", async () => {
    const dir = tempDir();
    writeLegacyDb(
      path.join(dir, "legacy.db"),
      Array.from({ length: USERS }, (_, i) => ({ Id: i + 1, Email: `user${i + 1}@school.edu`, TenantId: 1 + (i % 2), RoleId: 1 + (i % 3) })),
      [
        { Id: 1, Name: "One" },
        { Id: 2, Name: "Two" },
      ],
    );
    const cfg = legacyConfig({ target: { type: "better-auth", database: "auth.db" }, run: { batchSize: 25, concurrency: 2, outDir: "out" } });
    writeFileSync(path.join(dir, "authmigrate.config.json"), JSON.stringify(cfg));
    const authDb = path.join(dir, "auth.db");

    const child = spawn(process.execPath, [...CLI, "run"], { cwd: dir, stdio: "ignore" });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    // Wait until the run is visibly in progress, then pull the plug.
    for (let i = 0; i < 600 && countUsers(authDb) < 200; i++) await sleep(50);
    const atKill = countUsers(authDb);
    child.kill("SIGKILL");
    await exited;
    expect(atKill).toBeGreaterThanOrEqual(200);
    expect(atKill).toBeLessThan(USERS);

    const second = spawnSync(process.execPath, [...CLI, "run", "--json"], { cwd: dir, encoding: "utf8" });
    expect(second.status, second.stderr).toBe(0);
    const report = JSON.parse(second.stdout) as { counts: Record<string, number> };
    // Users written before the crash but not yet in the ledger are linked, not duplicated.
    expect(report.counts.failed).toBe(0);
    expect((report.counts.created ?? 0) + (report.counts.skipped ?? 0) + (report.counts.unchanged ?? 0)).toBe(USERS);

    const db = new Database(authDb, { readonly: true });
    const total = (db.prepare("SELECT COUNT(*) n, COUNT(DISTINCT email) d FROM user").get() as { n: number; d: number });
    const accounts = (db.prepare("SELECT COUNT(*) n FROM account").get() as { n: number }).n;
    const members = (db.prepare("SELECT COUNT(*) n, COUNT(DISTINCT userId) d FROM member").get() as { n: number; d: number });
    db.close();
    expect(total).toEqual({ n: USERS, d: USERS });
    expect(members).toEqual({ n: USERS, d: USERS });
    expect(accounts).toBe(0); // no passwords in this fixture: no credential rows

    const verify = spawnSync(process.execPath, [...CLI, "verify", "--json"], { cwd: dir, encoding: "utf8" });
    expect(verify.status, verify.stderr).toBe(0);
    expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true, migrated: USERS, targetUsers: USERS });
  });
});
