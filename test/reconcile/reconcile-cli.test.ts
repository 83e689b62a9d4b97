import Database from "better-sqlite3";
import { spawn } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import type { ConfigInput } from "../../src/config/schema.js";
import { runMigration } from "../../src/engine/run.js";
import { reconcile } from "../../src/reconcile/reconcile.js";
import { lastReconcileSummary } from "../../src/reconcile/summary-store.js";
import { CLI_ARGS, legacyConfig, tempDir } from "../helpers.js";
import { BCRYPT, injectBetterAuthDrift, seedBetterAuth, snapshot, writeLegacy } from "./fixtures.js";

function cli(args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [...CLI_ARGS, ...args], { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d) => (stdout += d));
    p.stderr.on("data", (d) => (stderr += d));
    p.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

const N = 1000;

describe("authmigrate reconcile (CLI, better-auth)", () => {
  it("--dry-run plans the fix and changes nothing; --json/--html report the drift without secrets; the summary lands in the ledger", { timeout: 240_000 }, async () => {
    const dir = tempDir("am-reconcile-cli-");
    writeLegacy(dir, N);
    const input: ConfigInput = legacyConfig({
      source: { type: "sqlite", path: "legacy.db", table: "Users", orderBy: ["Id"], pageSize: 500 },
      target: { type: "better-auth", database: "auth.db" },
    });
    writeFileSync(path.join(dir, "authmigrate.config.json"), JSON.stringify(input));
    const config = parseConfig(input, "test");
    await seedBetterAuth(config, dir);
    injectBetterAuthDrift(dir, N);
    const before = snapshot(dir);

    const [dry, report, usage] = await Promise.all([
      cli(["reconcile", "--fix", "--direction", "legacy-to-target", "--delete-extra", "--dry-run", "--json"], dir),
      cli(["reconcile", "--json", "--html", "drift.html", "--sample-size", "3"], dir),
      cli(["reconcile", "--fix"], dir),
    ]);

    expect(dry.code, dry.stderr).toBe(1);
    const planned = JSON.parse(dry.stdout);
    expect(planned.fix).toMatchObject({ dryRun: true, planned: { create: 10, update: 30, delete: 20 }, outcomes: {} });
    expect(snapshot(dir)).toBe(before);

    expect(report.code, report.stderr).toBe(1);
    const json = JSON.parse(report.stdout);
    expect(json.counts).toEqual({ missing_in_target: 10, missing_in_legacy: 10, profile: 10, identifiers: 10, orphan: 10, org_role: 10 });
    expect(json.samples.profile).toHaveLength(3);
    const html = readFileSync(path.join(dir, "drift.html"), "utf8");
    expect(html).toContain("<!doctype html>");
    expect(html).toContain("profile drift (10)");
    expect(html).toMatch(/Renamed in app/);
    // 10% of the users have a bcrypt hash in the legacy DB and in better-auth: it never reaches a report.
    for (const out of [report.stdout, dry.stdout, html]) {
      expect(out).not.toContain(BCRYPT);
      expect(out).not.toMatch(/\$2[aby]\$/);
    }

    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--fix needs --direction legacy-to-target\|target-to-legacy/);

    const stored = await lastReconcileSummary(config, dir);
    expect(stored?.counts).toEqual(json.counts);
  });
});

describe("reconcile --fix --direction target-to-legacy (file target)", () => {
  it("writes the target's values into the legacy table through reconcile.legacyWrite, parameterized", { timeout: 120_000 }, async () => {
    const dir = tempDir("am-reconcile-t2l-");
    writeLegacy(dir, 50);
    const config = parseConfig(
      legacyConfig({
        target: { type: "file", path: "out/users.ndjson" },
        reconcile: { legacyWrite: { table: "Users", keyColumn: "Id", columns: { email: "Email", "profile.givenName": "FirstName", "profile.familyName": "LastName" } } },
      }),
      "test",
    );
    await runMigration({ config, cwd: dir });
    // The app changed users 5 (name, with a quote: values are bound, never spliced) and 6 (email); user 7 was deleted from legacy.
    const file = path.join(dir, "out/users.ndjson");
    const lines = readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l));
    for (const u of lines) {
      if (u.externalId === "5") u.profile.givenName = "O'Brien";
      if (u.externalId === "6") u.email = "new6@example.org";
    }
    writeFileSync(file, lines.map((u) => JSON.stringify(u)).join("\n") + "\n");
    const legacy = new Database(path.join(dir, "legacy.db"));
    legacy.prepare("DELETE FROM Users WHERE Id = 7").run();

    const first = await reconcile({ config, cwd: dir });
    expect(first.counts).toMatchObject({ profile: 1, identifiers: 1, missing_in_legacy: 1 });
    const dry = await reconcile({ config, cwd: dir, fix: { direction: "target-to-legacy", dryRun: true } });
    expect(dry.fix!.planned).toEqual({ update_legacy: 2, insert_legacy: 1 });
    expect(legacy.prepare("SELECT FirstName FROM Users WHERE Id = 5").pluck().get()).toBe("First5");

    const fixed = await reconcile({ config, cwd: dir, fix: { direction: "target-to-legacy" } });
    expect(fixed.fix!.outcomes).toEqual({ updated: 2, inserted: 1 });
    expect(legacy.prepare("SELECT FirstName, Email FROM Users WHERE Id IN (5, 6) ORDER BY Id").all()).toEqual([
      { FirstName: "O'Brien", Email: "user5@example.com" },
      { FirstName: "First6", Email: "new6@example.org" },
    ]);
    expect(legacy.prepare("SELECT Email, FirstName FROM Users WHERE Id = 7").get()).toEqual({ Email: "user7@example.com", FirstName: "First7" });
    legacy.close();

    const second = await reconcile({ config, cwd: dir });
    expect(second.counts).toMatchObject({ profile: 0, identifiers: 0, missing_in_legacy: 0, missing_in_target: 0, orphan: 0 });
    // Memberships are never written to the legacy system: the re-inserted row has no tenant, and that is reported.
    expect(second.samples.org_role.map((i) => i.externalId)).toEqual(["7"]);
    expect(fixed.fix!.left).toEqual({});
  });
});

describe("reconcile interrupted", () => {
  it("never compares (or deletes on the strength of) a side read only in part, and leaves no sort file behind", { timeout: 60_000 }, async () => {
    const dir = tempDir("am-reconcile-abort-");
    writeLegacy(dir, 20);
    const config = parseConfig(legacyConfig({ target: { type: "file", path: "out/users.ndjson" } }), "test");
    await runMigration({ config, cwd: dir });
    const before = readFileSync(path.join(dir, "out/users.ndjson"), "utf8");
    const spills = () => readdirSync(tmpdir()).filter((f) => f.startsWith("authmigrate-reconcile-")).length;
    const spillsBefore = spills();
    await expect(reconcile({ config, cwd: dir, signal: AbortSignal.abort(), fix: { direction: "target-to-legacy", deleteExtra: true } })).rejects.toMatchObject({ code: "INTERRUPTED" });
    expect(readFileSync(path.join(dir, "out/users.ndjson"), "utf8")).toBe(before);
    expect(new Database(path.join(dir, "legacy.db"), { readonly: true }).prepare("SELECT COUNT(*) FROM Users").pluck().get()).toBe(20);
    expect(spills()).toBeLessThanOrEqual(spillsBefore);
  });
});
