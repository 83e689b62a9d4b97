import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { isLegacyHash, legacyPasswords } from "../../src/targets/better-auth/plugin.js";
import { betterAuthSuite } from "./better-auth.suite.js";

const dir = mkdtempSync(path.join(tmpdir(), "authmigrate-ba-"));

betterAuthSuite(
  "sqlite",
  async () => ({
    database: "app.db", // relative to cwd
    cwd: dir,
    appDatabase: () => {
      const db = new Database(path.join(dir, "app.db"));
      return { database: db, close: async () => void db.close() };
    },
  }),
  async () => rmSync(dir, { recursive: true, force: true }),
);

describe("legacyPasswords() plugin", () => {
  it("tells legacy hashes from native and unknown strings", () => {
    expect(isLegacyHash("$2b$04$LPy8o7Ply1nWjadB3Uoc8OTGJvo799i2fuAtv7svqFGv5gTzwJPH.")).toBe(true);
    expect(isLegacyHash("$authmigrate$pbkdf2-keycloak-json$eyJ2YWx1ZSI6IngiLCJwYXJhbXMiOnt9fQ")).toBe(true);
    expect(isLegacyHash(`${"a".repeat(32)}:${"b".repeat(128)}`)).toBe(false);
    expect(isLegacyHash("plaintext?")).toBe(false);
  });

  it("is a better-auth plugin with a stable id", () => {
    expect(legacyPasswords().id).toBe("authmigrate-legacy-passwords");
  });
});
