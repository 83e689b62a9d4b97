import Database from "better-sqlite3";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { rangeSource, splittable, type Key } from "../../src/engine/scale/key-range.js";
import { createSource } from "../../src/sources/index.js";
import type { SourceConfig } from "../../src/sources/types.js";
import { tempDir } from "../helpers.js";

async function readAll(config: SourceConfig, cwd: string): Promise<Record<string, unknown>[]> {
  const source = createSource(config, { cwd });
  const rows: Record<string, unknown>[] = [];
  try {
    for await (const r of source.read()) rows.push(r.row);
  } finally {
    await source.close();
  }
  return rows;
}

describe("key-range chunks", () => {
  it("the ranges between planned boundaries read every row exactly once, in key order (composite text key with quotes)", async () => {
    const dir = tempDir();
    const db = new Database(path.join(dir, "l.db"));
    db.exec(`CREATE TABLE "User s" (Org TEXT NOT NULL, Id INTEGER NOT NULL, Email TEXT, PRIMARY KEY (Org, Id))`);
    const orgs = ["a", "o'brien", 'quo"te', "z\\back"];
    const ins = db.prepare(`INSERT INTO "User s" VALUES (?, ?, ?)`);
    for (let i = 0; i < 61; i++) ins.run(orgs[i % 4], i, `u${i}@x.io`);
    db.close();
    const config = splittable({ type: "sqlite", path: "l.db", table: "User s", orderBy: ["Org", "Id"], pageSize: 5 } as SourceConfig);
    const all = await readAll(config, dir);
    expect(all).toHaveLength(61);
    // Boundaries every 7 rows, as the planner picks them; the last range is open-ended.
    const bounds: Key[] = all.filter((_, i) => (i + 1) % 7 === 0).map((r) => [r.Org as string, r.Id as number]);
    const ranges = [...bounds, null].map((until, i) => ({ after: i ? bounds[i - 1]! : null, until }));
    const parts: Record<string, unknown>[] = [];
    for (const r of ranges) parts.push(...(await readAll(rangeSource(config, r), dir)));
    expect(parts).toEqual(all);
  });

  it("file sources are refused with a hint", () => {
    expect(() => splittable({ type: "csv", path: "u.csv" } as SourceConfig)).toThrow(/needs a SQL source/);
  });
});
