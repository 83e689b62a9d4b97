import { createReadStream, type ReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { basename, resolve } from "node:path";
import { AuthmigrateError } from "../errors.js";

/** Path handling shared by the file sources: absolute path for errors, short name for locations. */
export class SourceFile {
  /** Resolved absolute path (what errors show, so users see which file was looked for). */
  readonly path: string;
  /** `users.csv` — the prefix of every location, short enough to read in a report. */
  readonly name: string;

  constructor(path: string, cwd: string) {
    this.path = resolve(cwd, path);
    this.name = basename(this.path);
  }

  /** Opens the file as UTF-8 text, failing with `SOURCE_NOT_FOUND` before any stream exists. */
  async open(): Promise<ReadStream> {
    const st = await stat(this.path).catch(() => undefined);
    if (!st?.isFile()) {
      throw new AuthmigrateError("SOURCE_NOT_FOUND", `source file not found: ${this.path}`, {
        hint: "relative paths resolve against the config file's directory",
        meta: { path: this.path },
      });
    }
    // Decoding here (not per chunk) keeps multi-byte characters intact across chunk boundaries.
    return createReadStream(this.path, { encoding: "utf8" });
  }

  parseError(line: number | undefined, reason: string, cause?: unknown): AuthmigrateError {
    const where = line === undefined ? this.name : `${this.name}:${line}`;
    return new AuthmigrateError("SOURCE_PARSE_ERROR", `${where}: ${reason}`, {
      meta: { path: this.path, ...(line === undefined ? {} : { line }) },
      ...(cause === undefined ? {} : { cause }),
    });
  }
}

/** Strips a UTF-8 byte-order mark, which editors on Windows prepend and JSON.parse rejects. */
export function stripBom(s: string): string {
  return s.charCodeAt(0) === 0xfeff ? s.slice(1) : s;
}

/** JSON records must be objects; anything else becomes an error record rather than a crash later. */
export function describeNonObject(v: unknown): string | undefined {
  if (v !== null && typeof v === "object" && !Array.isArray(v)) return undefined;
  return `expected an object, found ${v === null ? "null" : Array.isArray(v) ? "an array" : typeof v}`;
}

/** Files have no schema: the columns are the keys of the first parseable record. */
export async function firstRecordColumns(records: AsyncIterable<{ row: Record<string, unknown>; error?: string }>): Promise<string[]> {
  for await (const r of records) if (!r.error) return Object.keys(r.row);
  return [];
}
