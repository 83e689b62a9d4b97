import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AuthmigrateError } from "../../src/errors.js";
import { createSource, type Source, type SourceRecord } from "../../src/sources/index.js";

const cwd = fileURLToPath(new URL("../fixtures/sources/", import.meta.url));

async function collect(src: Source): Promise<SourceRecord[]> {
  const out: SourceRecord[] = [];
  for await (const r of src.read()) out.push(r);
  return out;
}

async function failure(p: Promise<unknown>): Promise<AuthmigrateError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(AuthmigrateError);
  return e as AuthmigrateError;
}

describe("CSV source", () => {
  const csv = (path: string, delimiter = ","): Source => createSource({ type: "csv", path, delimiter }, { cwd });

  it("handles BOM, CRLF, quoted commas/quotes/newlines and blank lines, with physical line locations", async () => {
    const got = await collect(csv("users.csv"));
    expect(got.map((r) => [r.location, r.row.id ?? null])).toEqual([
      ["users.csv:2", "1"],
      ["users.csv:4", "2"],
      ["users.csv:5", "3"],
      ["users.csv:7", null],
      ["users.csv:10", "5"],
      ["users.csv:12", "6"],
    ]);
    expect(got[0]!.row).toEqual({ id: "1", email: "alice@example.com", name: "Smith, Alice", password_hash: "$2a$10$abc" });
    expect(got[1]!.row.name).toBe('Bob "The Builder"');
    expect(got[2]!.row.name).toBe("Carol\r\nMulti-line");
    expect(got[5]!.row.name).toBe("Frank, Jr.");
  });

  it("reports a row with the wrong column count as an error record and keeps reading", async () => {
    const got = await collect(csv("users.csv"));
    const bad = got.filter((r) => r.error);
    expect(bad).toEqual([{ row: {}, location: "users.csv:7", error: "users.csv:7: expected 4 columns, found 5" }]);
    expect(got.slice(got.indexOf(bad[0]!) + 1).map((r) => r.row.id)).toEqual(["5", "6"]);
  });

  it("lists header columns (BOM stripped) and leaves count unknown", async () => {
    const s = csv("users.csv");
    expect(await s.columns()).toEqual(["id", "email", "name", "password_hash"]);
    expect(await s.count()).toBeUndefined();
  });

  it("throws SOURCE_PARSE_ERROR at the record whose quote never closes, after yielding the rows before it", async () => {
    const seen: SourceRecord[] = [];
    const e = await failure(
      (async () => {
        for await (const r of csv("unclosed-quote.csv").read()) seen.push(r);
      })(),
    );
    expect(seen.map((r) => r.row.id)).toEqual(["1"]);
    expect(e.code).toBe("SOURCE_PARSE_ERROR");
    expect(e.message).toMatch(/^unclosed-quote\.csv:4: .*never closed/);
  });

  it("honours a custom delimiter", async () => {
    const got = await collect(csv("semicolon.csv", ";"));
    expect(got.map((r) => r.row)).toEqual([
      { id: "1", email: "a@example.com" },
      { id: "2", email: "b@example.com" },
    ]);
  });

  it("reports a missing file with its resolved path", async () => {
    const e = await failure(csv("missing.csv").columns());
    expect(e.code).toBe("SOURCE_NOT_FOUND");
    expect(e.message).toContain(join(cwd, "missing.csv"));
  });

  it("stops reading (and closes the file) on early break", async () => {
    for await (const r of csv("users.csv").read()) {
      expect(r.row.id).toBe("1");
      break;
    }
  });
});

describe("JSON source", () => {
  it("streams a top-level array (BOM tolerated); non-objects become error records", async () => {
    const got = await collect(createSource({ type: "json", path: "users.json" }, { cwd }));
    expect(got.map((r) => r.location)).toEqual(["users.json[0]", "users.json[1]", "users.json[2]", "users.json[3]"]);
    expect(got[1]!.row).toEqual({ id: 2, email: "bob@example.com", tags: ["a", "b"] });
    expect(got[2]).toEqual({ row: {}, location: "users.json[2]", error: "users.json[2]: expected an object, found number" });
    expect(got[3]!.row.id).toBe(4);
  });

  it("reads the array at `key` of a top-level object", async () => {
    const s = createSource({ type: "json", path: "wrapped.json", key: "users" }, { cwd });
    const got = await collect(s);
    expect(got.map((r) => r.row.id)).toEqual([1, 2]);
    expect(await s.columns()).toEqual(["id", "email"]);
  });

  it("explains a top-level object without `key`, and a missing key", async () => {
    const e = await failure(collect(createSource({ type: "json", path: "wrapped.json" }, { cwd })));
    expect(e.code).toBe("SOURCE_PARSE_ERROR");
    expect(e.message).toMatch(/not an array.*key/);
    const e2 = await failure(collect(createSource({ type: "json", path: "wrapped.json", key: "accounts" }, { cwd })));
    expect(e2.message).toContain('"accounts"');
    const e3 = await failure(collect(createSource({ type: "json", path: "wrapped.json", key: "meta" }, { cwd })));
    expect(e3.message).toContain("not an array");
  });

  it("throws SOURCE_PARSE_ERROR with file:line on invalid JSON, after the good elements", async () => {
    const seen: unknown[] = [];
    const e = await failure(
      (async () => {
        for await (const r of createSource({ type: "json", path: "broken.json" }, { cwd }).read()) seen.push(r.row.id);
      })(),
    );
    expect(seen).toEqual([1, 2]);
    expect(e.code).toBe("SOURCE_PARSE_ERROR");
    expect(e.message).toMatch(/^broken\.json:4: invalid JSON after broken\.json\[1\]/);
  });
});

describe("NDJSON source", () => {
  it("reads line by line (BOM, CRLF, blank lines); bad lines are error records with file:line", async () => {
    const got = await collect(createSource({ type: "ndjson", path: "users.ndjson" }, { cwd }));
    expect(got.map((r) => [r.location, r.row.id ?? null, r.error?.replace(/: invalid JSON: .*/, ": invalid JSON") ?? null])).toEqual([
      ["users.ndjson:1", 1, null],
      ["users.ndjson:3", 2, null],
      ["users.ndjson:4", null, "users.ndjson:4: invalid JSON"],
      ["users.ndjson:5", null, "users.ndjson:5: expected an object, found an array"],
      ["users.ndjson:7", 6, null],
    ]);
    expect(got[4]!.row.name).toBe("Frank, Jr.");
  });

  it("columns come from the first valid record", async () => {
    const s = createSource({ type: "ndjson", path: "users.ndjson" }, { cwd });
    expect(await s.columns()).toEqual(["id", "email"]);
    expect(await s.count()).toBeUndefined();
  });
});
