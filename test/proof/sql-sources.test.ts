/**
 * Proof (issue 5.3): the demo's legacy data in real PostgreSQL and real MariaDB tables (real
 * column types: timestamps, booleans) migrates into Calimatic exactly like the SQLite original,
 * verify passes, and migrated bcrypt ($2a$, $2b$) and Keycloak PBKDF2 users sign in at Calimatic
 * with their old passwords.
 */
import Database from "better-sqlite3";
import { randomBytes } from "node:crypto";
import mysql from "mysql2/promise";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import { DEMO_ACCOUNTS } from "../../src/demo/generate-legacy.js";
import { runMigration } from "../../src/engine/run.js";
import { verifyMigration } from "../../src/engine/verify.js";
import { startCalimatic } from "../../src/simulators/calimatic/index.js";
import { freshPgDatabase, tempDir } from "../helpers.js";
import { calimaticConfig, consistency, demoWithOracle, readLedger, storeSnapshot } from "./shared.js";

const USERS = 1500;

type Row = Record<string, unknown>;
let tenants: Row[];
let users: Row[];
let expected: Map<string, string>;

beforeAll(async () => {
  const demo = await demoWithOracle(USERS, "am-proof-sql-");
  expected = demo.expected;
  const db = new Database(path.join(demo.dir, "legacy.db"), { readonly: true });
  tenants = db.prepare("SELECT * FROM Tenants ORDER BY Id").all() as Row[];
  users = db.prepare("SELECT * FROM Users ORDER BY Id").all() as Row[];
  db.close();
}, 60_000);

const COLS = ["Id", "Email", "FirstName", "LastName", "TenantId", "RoleId", "PasswordHash", "PhoneNumber", "IsActive", "LastLoginDate", "CreatedDate"];
const TCOLS = ["Id", "Name", "Slug", "Domain", "Type", "Plan"];
/** SQLite's "YYYY-MM-DD HH:MM:SS" (UTC) → a Date for a real timestamp column. */
const ts = (v: unknown): Date | null => (typeof v === "string" ? new Date(`${v.replace(" ", "T")}Z`) : null);
const userValues = (u: Row): unknown[] => COLS.map((c) => (c === "IsActive" ? u[c] === 1 : c === "LastLoginDate" || c === "CreatedDate" ? ts(u[c]) : u[c]));

async function migrateAndCheck(label: string, source: Record<string, unknown>, orgSource: Record<string, unknown>): Promise<void> {
  const sim = await startCalimatic({ bcryptCost: 4 });
  try {
    const dir = tempDir(`am-proof-${label}-`);
    const base = calimaticConfig(sim, { run: { rateLimit: 1000, batchSize: 500 } });
    const config = parseConfig({ ...base, source: source as never, orgs: { ...base.orgs!, source: orgSource as never } });
    const report = await runMigration({ config, cwd: dir });
    expect(report.counts.total).toBe(USERS);
    expect(report.orgs).toMatchObject({ total: tenants.length, created: tenants.length, failed: [] });
    // Same users, same emails, same legacy ids as the SQLite original.
    expect(storeSnapshot(sim)).toEqual(expected);
    expect(consistency(sim, readLedger(path.join(dir, "ledger.sqlite")))).toMatchObject({ duplicateEmails: [], duplicateExternalIds: [], ledgerMissingInStore: [], ledgerWrongUser: [], storeNotInLedger: [], pending: 0 });

    const v = await verifyMigration({ config, cwd: dir, signIn: DEMO_ACCOUNTS.map((a) => ({ email: a.email, password: a.password })) });
    expect(v.checks.filter((c) => c.status === "fail"), JSON.stringify(v.checks)).toEqual([]);
    expect(v).toMatchObject({ ok: true, sourceRecords: USERS, migrated: expected.size, unprocessed: 0 });
    expect(v.signIns).toEqual(DEMO_ACCOUNTS.map((a) => ({ email: a.email, ok: true })));

    // And at the simulator's own sign-in endpoint, as the user's browser would; a wrong password is refused.
    for (const a of DEMO_ACCOUNTS) {
      const res = await fetch(`${sim.url}/api/v1/auth/sign-in`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email: a.email, password: a.password }) });
      expect(res.status, `${a.email} (${a.hashFormat})`).toBe(200);
      const bad = await fetch(`${sim.url}/api/v1/auth/sign-in`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email: a.email, password: `${a.password}x` }) });
      expect(bad.status).toBe(401);
    }
    // A bulk user of each hash flavour too (demo bulk passwords are `pw-<Id>`).
    const byFormat = new Map<string, Row>();
    for (const u of users) {
      const h = String(u.PasswordHash ?? "");
      const kind = h.startsWith("$2a$") ? "bcrypt-2a" : h.startsWith("$2b$") ? "bcrypt-2b" : h.startsWith("{") ? "pbkdf2" : undefined;
      if (kind && Number(u.Id) > DEMO_ACCOUNTS.length && u.IsActive === 1 && expected.has(String(u.Id)) && !byFormat.has(kind)) byFormat.set(kind, u);
    }
    expect([...byFormat.keys()].sort()).toEqual(["bcrypt-2a", "bcrypt-2b", "pbkdf2"]);
    for (const [kind, u] of byFormat) {
      const res = await fetch(`${sim.url}/api/v1/auth/sign-in`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email: expected.get(String(u.Id)), password: `pw-${String(u.Id)}` }) });
      expect(res.status, `${kind} user ${String(u.Id)}`).toBe(200);
    }
    console.log(`[proof:sql-sources] ${label}: ${JSON.stringify(report.counts)} in ${(report.durationMs / 1000).toFixed(1)}s; verify ok; sign-in ok for ${DEMO_ACCOUNTS.length} demo accounts + ${byFormat.size} bulk users (${[...byFormat.keys()].join(", ")})`);
  } finally {
    await sim.close();
  }
}

describe("proof: SQL sources → Calimatic", () => {
  let dropPg: (() => Promise<void>) | undefined;
  let dropMy: (() => Promise<void>) | undefined;
  afterAll(async () => {
    await dropPg?.();
    await dropMy?.();
  });

  it("PostgreSQL: demo data in real tables → Calimatic, verify ok, old passwords sign in", async () => {
    const { url, drop } = await freshPgDatabase("am_proof");
    dropPg = drop;
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      await c.query(`CREATE TABLE "Tenants" ("Id" INTEGER PRIMARY KEY, "Name" TEXT NOT NULL, "Slug" TEXT NOT NULL, "Domain" TEXT, "Type" TEXT, "Plan" TEXT)`);
      await c.query(`CREATE TABLE "Users" ("Id" INTEGER PRIMARY KEY, "Email" TEXT, "FirstName" TEXT, "LastName" TEXT, "TenantId" INTEGER REFERENCES "Tenants"("Id"),
        "RoleId" INTEGER NOT NULL, "PasswordHash" TEXT, "PhoneNumber" TEXT, "IsActive" BOOLEAN NOT NULL, "LastLoginDate" TIMESTAMP, "CreatedDate" TIMESTAMP NOT NULL)`);
      for (const t of tenants) await c.query(`INSERT INTO "Tenants" VALUES ($1,$2,$3,$4,$5,$6)`, TCOLS.map((k) => t[k]));
      for (let i = 0; i < users.length; i += 200) {
        const chunk = users.slice(i, i + 200);
        const params = chunk.flatMap(userValues);
        const rows = chunk.map((_, r) => `(${COLS.map((__, k) => `$${r * COLS.length + k + 1}`).join(",")})`).join(",");
        await c.query(`INSERT INTO "Users" VALUES ${rows}`, params);
      }
    } finally {
      await c.end();
    }
    await migrateAndCheck(
      "postgres",
      { type: "postgres", url, table: "Users", orderBy: ["CreatedDate", "Id"] },
      { type: "postgres", url, table: "Tenants", orderBy: ["Id"] },
    );
  }, 120_000);

  it("MariaDB: demo data in real tables → Calimatic, verify ok, old passwords sign in", async () => {
    const name = `am_proof_${randomBytes(5).toString("hex")}`;
    const admin = await mysql.createConnection({ host: "127.0.0.1", port: 3306, user: "root" });
    await admin.query(`CREATE DATABASE ${name}`);
    dropMy = async () => {
      await admin.query(`DROP DATABASE IF EXISTS ${name}`);
      await admin.end();
    };
    const db = await mysql.createConnection({ host: "127.0.0.1", port: 3306, user: "root", database: name, timezone: "Z" });
    try {
      await db.query("CREATE TABLE Tenants (Id INT PRIMARY KEY, Name VARCHAR(200) NOT NULL, Slug VARCHAR(200) NOT NULL, Domain VARCHAR(200), Type VARCHAR(50), Plan VARCHAR(50)) CHARACTER SET utf8mb4");
      await db.query(`CREATE TABLE Users (Id INT PRIMARY KEY, Email VARCHAR(320), FirstName VARCHAR(300), LastName VARCHAR(300), TenantId INT, RoleId INT NOT NULL,
        PasswordHash TEXT, PhoneNumber VARCHAR(50), IsActive TINYINT(1) NOT NULL, LastLoginDate DATETIME, CreatedDate DATETIME NOT NULL,
        FOREIGN KEY (TenantId) REFERENCES Tenants(Id)) CHARACTER SET utf8mb4`);
      await db.query("INSERT INTO Tenants VALUES ?", [tenants.map((t) => TCOLS.map((k) => t[k]))]);
      for (let i = 0; i < users.length; i += 500) await db.query("INSERT INTO Users VALUES ?", [users.slice(i, i + 500).map(userValues)]);
    } finally {
      await db.end();
    }
    const url = `mysql://root@127.0.0.1:3306/${name}`;
    await migrateAndCheck("mariadb", { type: "mysql", url, table: "Users", orderBy: ["CreatedDate", "Id"] }, { type: "mysql", url, table: "Tenants", orderBy: ["Id"] });
  }, 120_000);
});
