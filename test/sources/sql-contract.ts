/**
 * One behavioural contract run against every SQL source (SQLite, PostgreSQL, MariaDB).
 * Each harness owns a throwaway database; the contract only sees `exec` and `source`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthmigrateError } from "../../src/errors.js";
import type { Source, SourceRecord } from "../../src/sources/index.js";

export interface SqlHarness {
  /** Run DDL/DML on a writable connection to the test database. */
  exec(sql: string): Promise<void>;
  /** Quote an identifier for DDL. */
  q(ident: string): string;
  /** Column type for a timestamp with microseconds. */
  timestampType: string;
  bigintType: string;
  /** How timestamps come back: `Date` (naive read as UTC) or exactly as stored (SQLite). */
  dates: "Date" | "as-stored";
  source(opts: { table?: string; query?: string; orderBy?: string[]; pageSize?: number }): Source;
  teardown(): Promise<void>;
}

export const N = 50;

/** Row i: many ties on CreatedDate (5 distinct days, microsecond precision) and Ids not in key order. */
export function fixtureRow(i: number): { id: number; created: string; email: string; active: number } {
  const id = ((i * 37) % 97) + 1;
  const day = (i % 5) + 1;
  return { id, created: `2021-03-0${day} 10:11:12.123456`, email: `user${id}@example.com`, active: i % 3 === 0 ? 0 : 1 };
}

export function expectedOrder(rows: { id: number; created: string }[]): number[] {
  return [...rows].sort((a, b) => (a.created < b.created ? -1 : a.created > b.created ? 1 : a.id - b.id)).map((r) => r.id);
}

async function collect(src: Source): Promise<SourceRecord[]> {
  const out: SourceRecord[] = [];
  for await (const r of src.read()) out.push(r);
  return out;
}

async function error(p: Promise<unknown>): Promise<AuthmigrateError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(AuthmigrateError);
    return e as AuthmigrateError;
  }
  throw new Error("expected an AuthmigrateError");
}

export function sqlSourceContract(name: string, makeHarness: () => Promise<SqlHarness>): void {
  describe(`${name} source (keyset contract)`, () => {
    let h: SqlHarness;
    const rows = Array.from({ length: N }, (_, i) => fixtureRow(i));
    const opened: Source[] = [];
    const src = (o: Parameters<SqlHarness["source"]>[0]): Source => {
      const s = h.source(o);
      opened.push(s);
      return s;
    };

    beforeAll(async () => {
      h = await makeHarness();
      const { q } = h;
      await h.exec(
        `CREATE TABLE ${q("Users")} (${q("Id")} INTEGER PRIMARY KEY, ${q("Email")} VARCHAR(100) NOT NULL, ` +
          `${q("CreatedDate")} ${h.timestampType} NOT NULL, ${q("Active")} INTEGER NOT NULL, ${q("Big")} ${h.bigintType})`,
      );
      const values = rows.map((r) => `(${r.id}, '${r.email}', '${r.created}', ${r.active}, NULL)`).join(", ");
      await h.exec(`INSERT INTO ${q("Users")} (${q("Id")}, ${q("Email")}, ${q("CreatedDate")}, ${q("Active")}, ${q("Big")}) VALUES ${values}`);
      await h.exec(`CREATE TABLE ${q("Empty")} (${q("Id")} INTEGER PRIMARY KEY, ${q("Email")} VARCHAR(100))`);
      await h.exec(`CREATE TABLE ${q("Nullable")} (${q("Id")} INTEGER PRIMARY KEY, ${q("CreatedDate")} ${h.timestampType})`);
      await h.exec(`INSERT INTO ${q("Nullable")} VALUES (1, '2021-01-01 00:00:00'), (2, NULL)`);
      await h.exec(`CREATE TABLE ${q("Wide")} (${q("Id")} INTEGER PRIMARY KEY, ${q("Big")} ${h.bigintType} NOT NULL)`);
      await h.exec(`INSERT INTO ${q("Wide")} VALUES (1, 9007199254740993), (2, 42)`);
    });

    afterAll(async () => {
      for (const s of opened) await s.close();
      await h?.teardown();
    });

    it("reads every row exactly once, in (CreatedDate, Id) order, across many small pages", async () => {
      const s = src({ table: "Users", orderBy: ["CreatedDate", "Id"], pageSize: 7 });
      const got = await collect(s);
      expect(got.map((r) => r.row.Id)).toEqual(expectedOrder(rows));
      expect(new Set(got.map((r) => r.row.Id)).size).toBe(N);
      expect(got.every((r) => r.error === undefined)).toBe(true);
    });

    it("names each record by table and key values", async () => {
      const s = src({ table: "Users", orderBy: ["Id"], pageSize: 7 });
      const first = (await collect(s))[0]!;
      expect(first.location).toBe("Users Id=1");
      const s2 = src({ table: "Users", orderBy: ["CreatedDate", "Id"], pageSize: 7 });
      const loc = (await collect(s2))[0]!.location;
      expect(loc).toMatch(/^Users CreatedDate=.*2021-03-01.* Id=\d+$/);
    });

    it("does not re-read or skip rows when rows are inserted before the cursor mid-scan (the OFFSET bug)", async () => {
      await h.exec(`CREATE TABLE ${h.q("Live")} AS SELECT * FROM ${h.q("Users")}`);
      const s = src({ table: "Live", orderBy: ["CreatedDate", "Id"], pageSize: 7 });
      const seen: number[] = [];
      let n = 0;
      for await (const r of s.read()) {
        seen.push(r.row.Id as number);
        if (++n === 10) {
          // Earlier than every existing key: OFFSET paging would shift every later page by 3.
          for (const id of [1001, 1002, 1003]) {
            await h.exec(`INSERT INTO ${h.q("Live")} (${h.q("Id")}, ${h.q("Email")}, ${h.q("CreatedDate")}, ${h.q("Active")}) VALUES (${id}, 'early${id}@x', '2020-01-01 00:00:00', 1)`);
          }
          // After every existing key: a live scan picks it up.
          await h.exec(`INSERT INTO ${h.q("Live")} (${h.q("Id")}, ${h.q("Email")}, ${h.q("CreatedDate")}, ${h.q("Active")}) VALUES (2000, 'late@x', '2030-01-01 00:00:00', 1)`);
        }
      }
      expect(seen).toEqual([...expectedOrder(rows), 2000]);
    });

    it("reads a query wrapped as a subquery, with keyset paging on its columns", async () => {
      const { q } = h;
      const s = src({
        query: `SELECT ${q("Id")}, ${q("Email")} AS ${q("email")} FROM ${q("Users")} WHERE ${q("Active")} = 1;`,
        orderBy: ["Id"],
        pageSize: 4,
      });
      const got = await collect(s);
      const want = rows.filter((r) => r.active === 1).map((r) => r.id).sort((a, b) => a - b);
      expect(got.map((r) => r.row.Id)).toEqual(want);
      expect(Object.keys(got[0]!.row)).toEqual(["Id", "email"]);
      expect(got[0]!.location).toBe(`query Id=${want[0]}`);
      expect(await s.count()).toBe(want.length);
      expect(await s.columns()).toEqual(["Id", "email"]);
    });

    it("counts and lists columns, including on an empty table", async () => {
      const s = src({ table: "Users", orderBy: ["Id"], pageSize: 7 });
      expect(await s.count()).toBe(N);
      expect(await s.columns()).toEqual(["Id", "Email", "CreatedDate", "Active", "Big"]);
      const e = src({ table: "Empty", orderBy: ["Id"], pageSize: 7 });
      expect(await e.columns()).toEqual(["Id", "Email"]);
      expect(await e.count()).toBe(0);
      expect(await collect(e)).toEqual([]);
    });

    it("returns timestamps per the documented convention", async () => {
      const s = src({ table: "Users", orderBy: ["CreatedDate", "Id"], pageSize: 7 });
      const first = (await collect(s))[0]!.row.CreatedDate;
      if (h.dates === "Date") expect((first as Date).toISOString()).toBe("2021-03-01T10:11:12.123Z");
      else expect(first).toBe("2021-03-01 10:11:12.123456");
    });

    it("returns 64-bit integers JSON-safely (number when exact, else string)", async () => {
      const s = src({ table: "Wide", orderBy: ["Id"], pageSize: 1 });
      const got = await collect(s);
      expect(got.map((r) => r.row.Big)).toEqual(["9007199254740993", 42]);
      expect(() => JSON.stringify(got)).not.toThrow();
    });

    it("rejects an unknown table, naming it", async () => {
      const e = await error(src({ table: "Nope", orderBy: ["Id"], pageSize: 7 }).columns());
      expect(e.code).toBe("SOURCE_TABLE_NOT_FOUND");
      expect(e.message).toContain('"Nope"');
      const e2 = await error(collect(src({ table: "Nope", orderBy: ["Id"], pageSize: 7 })));
      expect(e2.code).toBe("SOURCE_TABLE_NOT_FOUND");
    });

    it("rejects an unknown orderBy column, listing the available ones", async () => {
      const e = await error(collect(src({ table: "Users", orderBy: ["CreatedAt", "id"], pageSize: 7 })));
      expect(e.code).toBe("SOURCE_UNKNOWN_COLUMN");
      expect(e.message).toContain('"CreatedAt"');
      expect(e.message).toContain("Id, Email, CreatedDate, Active, Big");
    });

    it("refuses NULL key values instead of silently skipping those rows", async () => {
      const e = await error(collect(src({ table: "Nullable", orderBy: ["CreatedDate", "Id"], pageSize: 7 })));
      expect(e.code).toBe("SOURCE_NULL_KEY");
      expect(e.message).toContain('"CreatedDate"');
    });

    it("refuses a non-unique orderBy whose ties straddle a page boundary", async () => {
      const e = await error(collect(src({ table: "Users", orderBy: ["CreatedDate"], pageSize: 7 })));
      expect(e.code).toBe("SOURCE_KEY_NOT_UNIQUE");
      expect(e.hint).toContain("orderBy");
    });

    it("stops when the signal is aborted", async () => {
      const ac = new AbortController();
      const s = src({ table: "Users", orderBy: ["Id"], pageSize: 7 });
      let n = 0;
      await expect(
        (async () => {
          for await (const _ of s.read({ signal: ac.signal })) if (++n === 3) ac.abort();
        })(),
      ).rejects.toThrow();
      expect(n).toBe(3);
    });
  });
}
