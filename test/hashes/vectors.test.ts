import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { getFormat, hashFormats, identify, verifyPassword } from "../../src/hashes/index.js";

interface Vector {
  format: string;
  hash: string;
  params: Record<string, unknown>;
  password: string;
  valid: boolean;
  notes?: string;
}

const file = new URL("../../../shared/vectors/password-hashes.json", import.meta.url);
const vectors = (JSON.parse(readFileSync(file, "utf8")) as { vectors: Vector[] }).vectors;
const supported = new Set(hashFormats);

describe.concurrent("password-hash vectors", () => {
  it("loads the shared vectors", () => {
    expect(vectors.length).toBeGreaterThan(100);
  });

  it("supports every format id in the vectors file", () => {
    const missing = [...new Set(vectors.map((v) => v.format))].filter((f) => !supported.has(f));
    expect(missing).toEqual([]);
  });

  vectors.forEach((v, i) => {
    const name = `#${i} ${v.format} ${v.valid ? "valid" : "invalid"}${v.notes ? ` (${v.notes.slice(0, 60)})` : ""}`;
    it.skipIf(!supported.has(v.format))(name, async () => {
      let result: boolean;
      try {
        result = await verifyPassword(v.password, { format: v.format, value: v.hash, params: v.params });
      } catch (e) {
        // A corrupted/truncated hash may be rejected with a parse error instead of `false`.
        if (!v.valid && (e as { code?: string }).code === "HASH_PARSE_ERROR") return;
        // Identified-but-unverifiable formats (yescrypt) must say so explicitly.
        if (getFormat(v.format)?.verifiable === false && (e as { code?: string }).code === "HASH_UNVERIFIABLE") return;
        throw e;
      }
      expect(result).toBe(v.valid);
    });
    it.skipIf(!supported.has(v.format) || !v.valid)(`${name}: identify lists the format`, () => {
      const cands = identify(v.hash).map((c) => c.format);
      expect(cands).toContain(v.format);
    });
  });
});
