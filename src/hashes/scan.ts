import { identify } from "./engine.js";

export interface ScanCounts {
  /** Values seen (including empty ones). */
  total: number;
  /** Null/undefined/empty values: users without a password. */
  empty: number;
  /** Values no format recognises. */
  unknown: number;
  /** Values with more than one top candidate (hashes.assume decides). */
  ambiguous: number;
  /** Best candidate → count (ambiguous values count under every tied top candidate in `candidates`). */
  formats: Record<string, number>;
  /** For ambiguous values: "md5-raw|nthash" → count. */
  candidates: Record<string, number>;
}

/** A stored value to identify, or a credential whose format its source already knows (provider exports). */
export type ScanItem = string | { format: string } | undefined | null;

/** Counts the formats in a stream of stored password values. Never retains or returns the values. */
export async function scanFormats(values: AsyncIterable<ScanItem> | Iterable<ScanItem>): Promise<ScanCounts> {
  const out: ScanCounts = { total: 0, empty: 0, unknown: 0, ambiguous: 0, formats: {}, candidates: {} };
  for await (const v of values) {
    out.total++;
    if (v === undefined || v === null || v === "") {
      out.empty++;
      continue;
    }
    if (typeof v === "object") {
      out.formats[v.format] = (out.formats[v.format] ?? 0) + 1;
      continue;
    }
    const cands = identify(v);
    const top = cands[0];
    if (!top) {
      out.unknown++;
      continue;
    }
    const tied = cands.filter((c) => c.confidence === top.confidence);
    if (top.confidence < 1 && tied.length > 1) {
      out.ambiguous++;
      const key = tied.map((c) => c.format).join("|");
      out.candidates[key] = (out.candidates[key] ?? 0) + 1;
      continue;
    }
    out.formats[top.format] = (out.formats[top.format] ?? 0) + 1;
  }
  return out;
}
