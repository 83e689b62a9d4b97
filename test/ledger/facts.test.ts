/** Ledger facts (dashboard health, hash formats, org filter) and the run heartbeat, on both backends. */
import Database from "better-sqlite3";
import path from "node:path";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { PostgresLedger, SqliteLedger, type Ledger } from "../../src/ledger/index.js";
import { freshPgDatabase, tempDir } from "../helpers.js";

const facts = { emailVerified: true, hasLoggedIn: false, org: "org-7", hashFormat: "bcrypt" };

async function exercise(ledger: Ledger, read: (sql: string) => Promise<Record<string, unknown>[]>): Promise<void> {
  const run = await ledger.startRun("run");
  await ledger.recordUsers(run.id, [{ externalId: "1", email: "a@x.com", digest: "d", targetId: "t1", status: "created", reason: null, strategy: "native", facts }]);
  // A later write without facts (e.g. an older writer) keeps them; one with facts replaces them.
  await ledger.recordUsers(run.id, [{ externalId: "1", email: "a@x.com", digest: "d", targetId: "t1", status: "updated", reason: null, strategy: "native" }]);
  await ledger.recordUsers(run.id, [{ externalId: "2", email: "b@x.com", digest: null, targetId: null, status: "failed", reason: "no_email", strategy: null, facts: { ...facts, hasLoggedIn: true, hashFormat: null } }]);
  await ledger.runProgress(run.id, { processed: 2, total: 10 });
  const rows = await read("SELECT external_id, email_verified, has_logged_in, org, hash_format FROM am_users ORDER BY external_id");
  expect(rows.map((r) => ({ ...r, email_verified: Number(r.email_verified), has_logged_in: Number(r.has_logged_in) }))).toEqual([
    { external_id: "1", email_verified: 1, has_logged_in: 0, org: "org-7", hash_format: "bcrypt" },
    { external_id: "2", email_verified: 1, has_logged_in: 1, org: "org-7", hash_format: null },
  ]);
  const [r] = await read(`SELECT progress FROM am_runs WHERE id = ${run.id}`);
  expect(JSON.parse(String(r!.progress))).toMatchObject({ processed: 2, total: 10, at: expect.any(String) });
}

describe("ledger facts and heartbeat", () => {
  it("SQLite: a ledger created before the fact columns is upgraded in place", async () => {
    const file = path.join(tempDir("am-facts-"), "ledger.sqlite");
    // The first-release schema (no fact columns, no progress column).
    const old = new Database(file);
    old.exec(`CREATE TABLE am_runs (id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, target TEXT NOT NULL, started_at TEXT NOT NULL, finished_at TEXT, status TEXT NOT NULL, counts TEXT NOT NULL DEFAULT '{}');
      CREATE TABLE am_users (target TEXT NOT NULL, external_id TEXT NOT NULL, email TEXT, digest TEXT, target_id TEXT, status TEXT NOT NULL, reason TEXT, strategy TEXT, attempts INTEGER NOT NULL DEFAULT 0, run_id INTEGER NOT NULL, created_run INTEGER, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY (target, external_id));
      INSERT INTO am_users VALUES ('t', '0', 'old@x.com', 'd', 'x', 'created', NULL, 'native', 1, 1, 1, '2024-01-01', '2024-01-01');`);
    old.close();
    const ledger = new SqliteLedger(file, "t");
    await new SqliteLedger(file, "t").close(); // opening twice is idempotent
    const db = new Database(file, { readonly: true });
    try {
      await exercise(ledger, async (sql) => db.prepare(sql.replace("FROM am_users", "FROM am_users WHERE external_id <> '0'")).all() as Record<string, unknown>[]);
      expect(db.prepare("SELECT org FROM am_users WHERE external_id = '0'").get()).toEqual({ org: null });
    } finally {
      db.close();
      await ledger.close();
    }
  });

  it("PostgreSQL", async () => {
    const { url, drop } = await freshPgDatabase("am_facts");
    const ledger = new PostgresLedger(url, "t");
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await exercise(ledger, async (sql) => (await client.query(sql)).rows);
    } finally {
      await client.end();
      await ledger.close();
      await drop();
    }
  });
});
