/** A tiny writer over the three engines the presets read, so each test states its DDL and rows once. */
import Database from "better-sqlite3";
import pg from "pg";
import path from "node:path";
import { freshPgDatabase, tempDir } from "../helpers.js";
import { freshMysqlDatabase } from "./harness.js";

export type Engine = "sqlite" | "postgres" | "mysql";

export interface TestDb {
  engine: Engine;
  /** What `init --source` gets. */
  source: string;
  exec(sql: string): Promise<void>;
  insert(table: string, row: Record<string, unknown>): Promise<void>;
  close(): Promise<void>;
}

export async function openTestDb(engine: Engine, dir = tempDir("am-preset-")): Promise<TestDb> {
  if (engine === "sqlite") {
    const file = path.join(dir, "legacy.sqlite3");
    const db = new Database(file);
    return {
      engine,
      source: file,
      exec: async (sql) => void db.exec(sql),
      insert: async (table, row) => {
        const cols = Object.keys(row);
        const vals = cols.map((c) => { const v = row[c]; return typeof v === "boolean" ? Number(v) : v instanceof Date ? v.toISOString().replace("T", " ").replace("Z", "") : v; });
        db.prepare(`INSERT INTO "${table}" (${cols.map((c) => `"${c}"`).join(", ")}) VALUES (${cols.map(() => "?").join(", ")})`).run(...vals);
      },
      close: async () => void db.close(),
    };
  }
  if (engine === "postgres") {
    const fresh = await freshPgDatabase("am_preset");
    const client = new pg.Client({ connectionString: fresh.url });
    await client.connect();
    return {
      engine,
      source: fresh.url,
      exec: async (sql) => void (await client.query(sql)),
      insert: async (table, row) => {
        const cols = Object.keys(row);
        await client.query(`INSERT INTO "${table}" (${cols.map((c) => `"${c}"`).join(", ")}) VALUES (${cols.map((_, i) => `$${i + 1}`).join(", ")})`, cols.map((c) => row[c]));
      },
      close: async () => {
        await client.end();
        await fresh.drop();
      },
    };
  }
  const fresh = await freshMysqlDatabase("am_preset");
  return {
    engine,
    source: fresh.url,
    exec: async (sql) => void (await fresh.conn.query(sql)),
    insert: async (table, row) => {
      const cols = Object.keys(row);
      await fresh.conn.query(`INSERT INTO \`${table}\` (${cols.map((c) => `\`${c}\``).join(", ")}) VALUES (${cols.map(() => "?").join(", ")})`, cols.map((c) => row[c]));
    },
    close: () => fresh.drop(),
  };
}
