import Database from "better-sqlite3";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runDemo } from "../../src/demo/run-demo.js";
import { generateLegacyDb } from "../../src/demo/generate-legacy.js";
import { tempDir } from "../helpers.js";

describe("authmigrate demo", () => {
  it("generates a deterministic legacy DB with every data problem the runbook warns about", () => {
    const a = path.join(tempDir(), "a.db");
    const b = path.join(tempDir(), "b.db");
    generateLegacyDb({ file: a, users: 400 });
    generateLegacyDb({ file: b, users: 400 });
    const dump = (f: string) => {
      const db = new Database(f, { readonly: true });
      const rows = db.prepare("SELECT * FROM Users ORDER BY Id").all();
      db.close();
      return createHash("sha256").update(JSON.stringify(rows)).digest("hex");
    };
    expect(dump(a)).toBe(dump(b));
    const db = new Database(a, { readonly: true });
    const one = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
    expect(one("SELECT COUNT(*) n FROM Users")).toBe(400);
    expect(one("SELECT COUNT(*) n FROM Users WHERE Email IS NULL OR TRIM(Email) = ''")).toBeGreaterThan(0);
    expect(one("SELECT COUNT(*) n FROM (SELECT LOWER(TRIM(Email)) e FROM Users WHERE Email <> '' GROUP BY e HAVING COUNT(*) > 1)")).toBeGreaterThan(0);
    expect(one("SELECT COUNT(*) n FROM Users WHERE LENGTH(FirstName) > 100")).toBeGreaterThan(0);
    expect(one("SELECT COUNT(*) n FROM Users WHERE IsActive = 0")).toBeGreaterThan(0);
    expect(one("SELECT COUNT(*) n FROM Users WHERE PasswordHash LIKE '$2a$%'")).toBeGreaterThan(0);
    expect(one("SELECT COUNT(*) n FROM Users WHERE PasswordHash LIKE '$2b$%'")).toBeGreaterThan(0);
    expect(one("SELECT COUNT(*) n FROM Users WHERE PasswordHash LIKE '{\"secretData\"%'")).toBeGreaterThan(0);
    expect(one("SELECT COUNT(*) n FROM Users WHERE PasswordHash IS NULL")).toBeGreaterThan(0);
    expect(one("SELECT COUNT(DISTINCT RoleId) n FROM Users")).toBe(6);
    db.close();
  });

  it("audit → plan → run → verify into better-auth; demo accounts sign in; a second run creates nothing", async () => {
    const dir = tempDir();
    const first = await runDemo({ dir, users: 300 });
    expect(first.generated).toBe(true);
    expect(first.run.counts.created).toBeGreaterThan(280);
    expect(first.verify.ok).toBe(true);
    expect(first.accounts.map((a) => [a.ok, a.storedHash])).toEqual([
      [true, "native"],
      [true, "native"],
      [true, "native"],
    ]);
    expect(readFileSync(path.join(dir, "authmigrate.config.json"), "utf8")).toContain('"better-auth"');

    const second = await runDemo({ dir, users: 300 });
    expect(second.generated).toBe(false);
    expect(second.run.counts).toMatchObject({ created: 0, updated: 0, unchanged: first.run.counts.created });
    expect(second.accounts.every((a) => a.ok)).toBe(true);
    const db = new Database(path.join(dir, "auth.db"), { readonly: true });
    expect((db.prepare("SELECT COUNT(*) n FROM user").get() as { n: number }).n).toBe(first.run.counts.created);
    db.close();
  });
});
