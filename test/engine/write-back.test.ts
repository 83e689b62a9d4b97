import Database from "better-sqlite3";
import path from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import { runMigration } from "../../src/engine/run.js";
import { freshPgDatabase, legacyConfig, tempDir, writeLegacyDb } from "../helpers.js";

const users = [
  { Id: 1, Email: "a@school.edu" },
  { Id: 2, Email: null },
  { Id: 3, Email: "c@school.edu" },
];

describe("write-back of target ids into the legacy table (seed 002 workos_user_id)", () => {
  it("sqlite: every migrated user gets its target id, failures stay NULL, re-runs keep it", async () => {
    const dir = tempDir();
    const file = path.join(dir, "legacy.db");
    writeLegacyDb(file, users);
    new Database(file).exec("ALTER TABLE Users ADD COLUMN target_user_id TEXT");
    const config = parseConfig(legacyConfig({ run: { outDir: "out", writeBack: { table: "Users", keyColumn: "Id", column: "target_user_id" } } }));
    await runMigration({ config, cwd: dir });
    const read = () => new Database(file, { readonly: true }).prepare("SELECT Id, target_user_id t FROM Users ORDER BY Id").all();
    expect(read()).toEqual([{ Id: 1, t: "1" }, { Id: 2, t: null }, { Id: 3, t: "3" }]);
    await runMigration({ config, cwd: dir });
    expect(read()).toEqual([{ Id: 1, t: "1" }, { Id: 2, t: null }, { Id: 3, t: "3" }]);
  });

  const drops: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const d of drops) await d();
  });

  it("postgres source: written back through its own connection", async () => {
    const db = await freshPgDatabase("am_wb");
    drops.push(db.drop);
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    await c.query(`CREATE TABLE "Users" ("Id" int PRIMARY KEY, "Email" text, "target_user_id" text)`);
    await c.query(`INSERT INTO "Users" VALUES (1, 'a@school.edu', NULL), (2, NULL, NULL), (3, 'c@school.edu', NULL)`);
    const dir = tempDir();
    const config = parseConfig({
      ...legacyConfig(),
      orgs: undefined,
      source: { type: "postgres", url: db.url, table: "Users", orderBy: ["Id"] },
      mapping: { fields: { externalId: "Id", email: "Email" } },
      run: { outDir: "out", writeBack: { table: "Users", keyColumn: "Id", column: "target_user_id" } },
    });
    const r = await runMigration({ config, cwd: dir });
    expect(r.counts).toMatchObject({ created: 2, failed: 1 });
    const rows = (await c.query(`SELECT "Id", target_user_id FROM "Users" ORDER BY "Id"`)).rows;
    await c.end();
    expect(rows).toEqual([{ Id: 1, target_user_id: "1" }, { Id: 2, target_user_id: null }, { Id: 3, target_user_id: "3" }]);
  });

  it("refuses a file source with a clear error", async () => {
    const dir = tempDir();
    const config = parseConfig({
      ...legacyConfig(),
      orgs: undefined,
      source: { type: "ndjson", path: "u.ndjson" },
      mapping: { fields: { externalId: "id", email: "email" } },
      run: { writeBack: { table: "Users", keyColumn: "Id", column: "x" } },
    });
    (await import("node:fs")).writeFileSync(path.join(dir, "u.ndjson"), '{"id":1,"email":"a@x.io"}\n');
    await expect(runMigration({ config, cwd: dir })).rejects.toMatchObject({ message: expect.stringContaining("run.writeBack: needs a SQL source") });
  });
});
