import Database from "better-sqlite3";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import pg from "pg";
import type { ConfigInput } from "../src/config/schema.js";

export function tempDir(prefix = "am-test-"): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

export interface LegacyRow {
  Id: number;
  Email: string | null;
  FirstName?: string | null;
  LastName?: string | null;
  TenantId?: number | null;
  RoleId?: number;
  PasswordHash?: string | null;
  PhoneNumber?: string | null;
  IsActive?: number;
  LastLoginDate?: string | null;
  CreatedDate?: string;
}

/** A small Calimatic-shaped legacy SQLite DB for engine tests. */
export function writeLegacyDb(file: string, users: LegacyRow[], tenants: { Id: number; Name: string }[] = []): void {
  const db = new Database(file);
  db.exec(`CREATE TABLE IF NOT EXISTS Tenants (Id INTEGER PRIMARY KEY, Name TEXT NOT NULL, Slug TEXT);
    CREATE TABLE IF NOT EXISTS Users (Id INTEGER PRIMARY KEY, Email TEXT, FirstName TEXT, LastName TEXT, TenantId INTEGER, RoleId INTEGER,
      PasswordHash TEXT, PhoneNumber TEXT, IsActive INTEGER, LastLoginDate TEXT, CreatedDate TEXT)`);
  const ins = db.prepare("INSERT OR REPLACE INTO Users VALUES (@Id,@Email,@FirstName,@LastName,@TenantId,@RoleId,@PasswordHash,@PhoneNumber,@IsActive,@LastLoginDate,@CreatedDate)");
  db.transaction(() => {
    for (const t of tenants) db.prepare("INSERT OR REPLACE INTO Tenants (Id, Name, Slug) VALUES (?, ?, NULL)").run(t.Id, t.Name);
    for (const u of users) {
      ins.run({
        FirstName: "First",
        LastName: "Last",
        TenantId: null,
        RoleId: 3,
        PasswordHash: null,
        PhoneNumber: null,
        IsActive: 1,
        LastLoginDate: null,
        CreatedDate: `2024-01-01 00:00:${String(u.Id % 60).padStart(2, "0")}`,
        ...u,
      });
    }
  })();
  db.close();
}

/** Config over writeLegacyDb's tables into the file target. */
export function legacyConfig(overrides: Partial<ConfigInput> = {}): ConfigInput {
  return {
    source: { type: "sqlite", path: "legacy.db", table: "Users", orderBy: ["Id"], pageSize: 7 },
    orgs: { source: { type: "sqlite", path: "legacy.db", table: "Tenants", orderBy: ["Id"] }, fields: { externalId: "Id", name: "Name" } },
    mapping: {
      fields: {
        externalId: "Id",
        email: "Email",
        givenName: "FirstName",
        familyName: "LastName",
        password: "PasswordHash",
        phone: "PhoneNumber",
        active: "IsActive",
        lastLoginAt: "LastLoginDate",
        createdAt: "CreatedDate",
        org: "TenantId",
        role: "RoleId",
      },
      roles: { map: { "1": "org_owner", "2": "org_admin", "3": "member" }, default: "member" },
    },
    target: { type: "file", path: "out/users.ndjson" },
    ledger: { url: "ledger.sqlite" },
    run: { batchSize: 5, concurrency: 2, outDir: "out" },
    ...overrides,
  };
}

/** A fresh PostgreSQL database on the local server; dropped by the returned cleanup. */
export async function freshPgDatabase(prefix: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = new pg.Client({ connectionString: "postgres://postgres@127.0.0.1:5432/postgres" });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return {
    url: `postgres://postgres@127.0.0.1:5432/${name}`,
    async drop() {
      const c = new pg.Client({ connectionString: "postgres://postgres@127.0.0.1:5432/postgres" });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/**
 * argv (after `process.execPath`) that runs the CLI from source in ONE process: tsx's own `cli.mjs`
 * runs scripts in a child process, so a SIGKILL/SIGTERM sent to it would never reach authmigrate.
 */
export const CLI_ARGS = [
  "--import",
  pathToFileURL(path.resolve("node_modules/tsx/dist/loader.mjs")).href,
  path.resolve("src/cli/bin.ts"),
];
