import Database from "better-sqlite3";
import { readFileSync, existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import type { ConfigInput } from "../../src/config/schema.js";
import { runMigration } from "../../src/engine/run.js";
import { migrationStatus } from "../../src/engine/status.js";
import { verifyMigration } from "../../src/engine/verify.js";
import { rollbackMigration } from "../../src/engine/rollback.js";
import { legacyConfig, tempDir, writeLegacyDb, type LegacyRow } from "../helpers.js";

const BCRYPT = "$2b$10$VvC10Nhzh8oCRE6A9ywlS.iV7fjqU4LFPnENq2jGdtLyn.SK0Ybju";

function setup(rows: LegacyRow[], overrides: Partial<ConfigInput> = {}) {
  const dir = tempDir();
  writeLegacyDb(path.join(dir, "legacy.db"), rows, [
    { Id: 1, Name: "Springfield Elementary" },
    { Id: 2, Name: "Shelbyville High" },
  ]);
  const config = parseConfig(legacyConfig(overrides));
  return { dir, config, run: (extra = {}) => runMigration({ config, cwd: dir, ...extra }) };
}

const readLines = (file: string): Record<string, unknown>[] =>
  readFileSync(file, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

const baseUsers: LegacyRow[] = [
  { Id: 1, Email: "jane@school.edu", PasswordHash: BCRYPT, TenantId: 1, RoleId: 1 },
  { Id: 2, Email: " JANE@school.edu ", TenantId: 1, RoleId: 3, LastLoginDate: "2026-10-01 00:00:00" },
  { Id: 3, Email: null, TenantId: 2 },
  { Id: 4, Email: "not-an-email" },
  { Id: 5, Email: "old@school.edu", IsActive: 0, TenantId: 2, RoleId: 2 },
  ...Array.from({ length: 20 }, (_, i) => ({ Id: 10 + i, Email: `user${i}@school.edu`, TenantId: 1 + (i % 2), RoleId: 1 + (i % 3) })),
];

describe("run (file target)", () => {
  it("migrates valid users once, reports every other record with a reason, and writes report + retry files", async () => {
    const { dir, run } = setup(baseUsers);
    const report = await run();
    expect(report.counts).toMatchObject({ total: 25, created: 22, skipped: 1, failed: 2, unchanged: 0 });
    expect(report.reasons).toEqual({ duplicate_of: 1, no_email: 1, invalid_email: 1 });
    expect(report.orgs).toMatchObject({ total: 2, created: 2 });

    const users = readLines(path.join(dir, "out/users.ndjson"));
    expect(users.map((u) => u.externalId)).toEqual(["1", "5", ...Array.from({ length: 20 }, (_, i) => String(10 + i))]);
    expect(users[1]).toMatchObject({ email: "old@school.edu", status: "disabled", memberships: [{ orgExternalId: "2", roles: ["org_admin"] }] });

    const lines = readLines(report.reportFile!);
    expect(lines).toHaveLength(25);
    expect(lines.find((l) => l.externalId === "2")).toMatchObject({ status: "skipped", reason: "duplicate_of:1" });
    expect(lines.find((l) => l.externalId === "3")).toMatchObject({ status: "failed", reason: "no_email", location: "Users Id=3" });
    const reportText = readFileSync(report.reportFile!, "utf8");
    expect(reportText).not.toContain(BCRYPT);
    expect(reportText).not.toContain("$2b$");

    const retry = readFileSync(report.retryFile!, "utf8").trim().split("\n");
    expect(retry[0]).toBe("location,externalId,email,reason,retryable");
    expect(retry.slice(1).map((l) => l.split(",")[3]).sort()).toEqual(["invalid_email", "no_email"]);
  });

  it("is idempotent: a second run changes nothing and the output file is byte-identical", async () => {
    const { dir, run } = setup(baseUsers);
    await run();
    const before = readFileSync(path.join(dir, "out/users.ndjson"));
    const again = await run();
    expect(again.counts).toMatchObject({ created: 0, unchanged: 22, skipped: 1, failed: 2 });
    expect(readFileSync(path.join(dir, "out/users.ndjson")).equals(before)).toBe(true);
    const status = await migrationStatus({ config: parseConfig(legacyConfig()), cwd: dir });
    expect(status.users).toMatchObject({ created: 22, skipped: 1, failed: 2 });
    expect(status.runs).toHaveLength(2);
  });

  it("plan decides without writing anything", async () => {
    const { dir, run } = setup(baseUsers);
    const decisions: string[] = [];
    const report = await run({ dryRun: true, onDecision: (d: { kind: string; externalId?: string }) => decisions.push(`${d.externalId}:${d.kind}`) });
    expect(report.counts).toMatchObject({ would_create: 22, skipped: 1, failed: 2 });
    expect(decisions).toContain("2:skip");
    expect(existsSync(path.join(dir, "out/users.ndjson"))).toBe(false);
    expect(existsSync(path.join(dir, "ledger.sqlite"))).toBe(true); // opened, but empty
    const db = new Database(path.join(dir, "ledger.sqlite"));
    expect((db.prepare("SELECT COUNT(*) n FROM am_users").get() as { n: number }).n).toBe(0);
    db.close();
  });

  it("duplicate policy latest-login keeps the most recent login; fail rejects the whole group", async () => {
    const latest = await setup(baseUsers, { validation: { duplicates: { keep: "latest-login" } } }).run();
    expect(latest.counts).toMatchObject({ created: 22, skipped: 1 });
    const lines = readLines(latest.reportFile!);
    expect(lines.find((l) => l.externalId === "1")).toMatchObject({ status: "skipped", reason: "duplicate_of:2" });

    const fail = await setup(baseUsers, { validation: { duplicates: { keep: "fail" } } }).run();
    expect(fail.counts).toMatchObject({ created: 21, failed: 4 });
    expect(fail.reasons.duplicate_email).toBe(2);
  });

  it("inactive users can be skipped instead of migrated disabled", async () => {
    const r = await setup(baseUsers, { validation: { inactive: "skip" } }).run();
    expect(r.counts).toMatchObject({ created: 21, skipped: 2 });
    expect(r.reasons.inactive).toBe(1);
  });

  it("a malformed CSV row is reported with file:line and the run goes on", async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, "users.csv"), "\ufeffId,Email,FirstName\r\n1,a@x.io,Ann\r\n2,b@x.io,\"Bob, Jr\",extra\r\n3,c@x.io,Cy\r\n");
    const config = parseConfig({
      ...legacyConfig(),
      orgs: undefined,
      source: { type: "csv", path: "users.csv" },
      mapping: { fields: { externalId: "Id", email: "Email", givenName: "FirstName" } },
    });
    const r = await runMigration({ config, cwd: dir });
    expect(r.counts).toMatchObject({ total: 3, created: 2, failed: 1 });
    const bad = readLines(r.reportFile!).find((l) => l.status === "failed")!;
    expect(bad.location).toBe("users.csv:3");
    expect(String(bad.reason)).toContain("source_error");
  });

  it("verify reconciles source, ledger and target", async () => {
    const { dir, config, run } = setup(baseUsers);
    const before = await verifyMigration({ config, cwd: dir });
    expect(before).toMatchObject({ ok: false, unprocessed: 25, migrated: 0 });
    await run();
    const after = await verifyMigration({ config, cwd: dir });
    expect(after).toMatchObject({ ok: true, sourceRecords: 25, migrated: 22, notMigrated: 3, unprocessed: 0, missingInTarget: [] });
  });

  it("rollback refuses on a target that cannot delete", async () => {
    const { dir, config, run } = setup(baseUsers);
    await run();
    await expect(rollbackMigration({ config, cwd: dir })).rejects.toMatchObject({ code: "ROLLBACK_UNSUPPORTED" });
  });

  it("an unknown column in the mapping fails before any row is read", async () => {
    const cfg = legacyConfig();
    const { dir } = setup(baseUsers);
    const config = parseConfig({ ...cfg, mapping: { ...cfg.mapping, fields: { ...cfg.mapping.fields, email: "EmailAddress" } } });
    await expect(runMigration({ config, cwd: dir })).rejects.toMatchObject({ code: "MAPPING_UNKNOWN_COLUMN", hint: expect.stringContaining("Email") });
  });
});
