/** Multi-chunk files (fs streams read 64 KiB at a time): locations must stay exact across chunk boundaries. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { AuthmigrateError } from "../../src/errors.js";
import { createSource, type SourceRecord } from "../../src/sources/index.js";

const dir = mkdtempSync(join(tmpdir(), "am-src-files-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const N = 20_000;

describe("large files", () => {
  it("CSV: every record's location is its physical start line, with multi-line fields and CRLF", async () => {
    const lines = ["id,email,note"];
    const starts = new Map<string, number>();
    for (let i = 1; i <= N; i++) {
      starts.set(String(i), lines.length + 1);
      // Every 7th record has a quoted field spanning two lines; every 11th is followed by a blank line.
      lines.push(i % 7 === 0 ? `${i},u${i}@example.com,"multi\r\nline ünïcødé ${i}"` : `${i},u${i}@example.com,plain ${i}`);
      if (i % 11 === 0) lines.push("");
    }
    // The multi-line records occupy two physical lines.
    const text = lines.join("\r\n") + "\r\n";
    writeFileSync(join(dir, "big.csv"), text);
    const physical = new Map<string, number>();
    let line = 1;
    for (const l of text.split("\r\n")) {
      const m = /^(\d+),u/.exec(l);
      if (m) physical.set(m[1]!, line);
      line++;
    }
    let n = 0;
    for await (const r of createSource({ type: "csv", path: "big.csv", delimiter: "," }, { cwd: dir }).read()) {
      n++;
      expect(r.error).toBeUndefined();
      expect(r.location).toBe(`big.csv:${physical.get(r.row.id as string)}`);
    }
    expect(n).toBe(N);
  });

  it("JSON: a pretty-printed array spanning many chunks, error line exact near the end", async () => {
    const items = Array.from({ length: N }, (_, i) => ({ id: i, email: `u${i}@example.com`, name: "ünïcødé" }));
    const text = JSON.stringify(items, null, 2);
    const broken = text.replace(/\n\]$/, ",\n  oops\n]");
    writeFileSync(join(dir, "big.json"), broken);
    const badLine = broken.split("\n").findIndex((l) => l.includes("oops")) + 1;
    const seen: SourceRecord[] = [];
    const e = await (async () => {
      for await (const r of createSource({ type: "json", path: "big.json" }, { cwd: dir }).read()) seen.push(r);
    })().catch((x: unknown) => x);
    expect(seen.length).toBe(N);
    expect(seen[N - 1]!.row.name).toBe("ünïcødé");
    expect(e).toBeInstanceOf(AuthmigrateError);
    expect((e as AuthmigrateError).message).toMatch(new RegExp(`^big\\.json:${badLine}: invalid JSON after big\\.json\\[${N - 1}\\]`));
  });

  it("JSON: a minified single-line array streams too", async () => {
    writeFileSync(join(dir, "min.json"), JSON.stringify({ users: Array.from({ length: N }, (_, i) => ({ id: i })) }));
    let n = 0;
    for await (const r of createSource({ type: "json", path: "min.json", key: "users" }, { cwd: dir }).read()) {
      expect(r.row.id).toBe(n++);
    }
    expect(n).toBe(N);
  });
});
