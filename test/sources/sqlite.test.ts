import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { AuthmigrateError } from "../../src/errors.js";
import { createSource, SqliteSource } from "../../src/sources/index.js";
import { sqlSourceContract } from "./sql-contract.js";

sqlSourceContract("SQLite", async () => {
  const dir = mkdtempSync(join(tmpdir(), "am-src-sqlite-"));
  const db = new Database(join(dir, "legacy.db"));
  db.pragma("journal_mode = WAL");
  return {
    exec: async (sql) => void db.exec(sql),
    q: (i) => `"${i}"`,
    timestampType: "TEXT",
    bigintType: "BIGINT",
    dates: "as-stored",
    // Relative path on purpose: resolved against cwd.
    source: (o) => createSource({ type: "sqlite", path: "legacy.db", orderBy: ["Id"], pageSize: 1000, ...o }, { cwd: dir }),
    teardown: async () => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe("SQLite source specifics", () => {
  it("reports a missing file with its resolved path, and never creates it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "am-src-sqlite-"));
    const s = createSource({ type: "sqlite", path: "nope/legacy.db", table: "Users", orderBy: ["Id"], pageSize: 10 }, { cwd: dir });
    const e = await s.columns().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(AuthmigrateError);
    expect((e as AuthmigrateError).code).toBe("SOURCE_NOT_FOUND");
    expect((e as AuthmigrateError).message).toContain(join(dir, "nope/legacy.db"));
    rmSync(dir, { recursive: true, force: true });
  });

  it("reports a file that is not a SQLite database", async () => {
    const dir = mkdtempSync(join(tmpdir(), "am-src-sqlite-"));
    writeFileSync(join(dir, "users.db"), "id,email\n1,a@b\n".repeat(100));
    const s = new SqliteSource({ type: "sqlite", path: "users.db", table: "Users", orderBy: ["Id"], pageSize: 10 }, { cwd: dir });
    await expect(s.columns()).rejects.toMatchObject({ code: "SOURCE_PARSE_ERROR" });
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("requires exactly one of table or query", () => {
    expect(() => createSource({ type: "sqlite", path: "x.db", orderBy: ["Id"], pageSize: 10 }, { cwd: "/" })).toThrow(/exactly one/);
    expect(() =>
      createSource({ type: "sqlite", path: "x.db", table: "U", query: "SELECT 1", orderBy: ["Id"], pageSize: 10 }, { cwd: "/" }),
    ).toThrow(/exactly one/);
  });
});
