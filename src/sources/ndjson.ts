import { createInterface } from "node:readline";
import type { z } from "zod";
import { describeNonObject, firstRecordColumns, SourceFile, stripBom } from "./file.js";
import type { NdjsonSourceConfigSchema, Source, SourceRecord } from "./types.js";

export type NdjsonSourceConfig = z.infer<typeof NdjsonSourceConfigSchema>;

/**
 * Newline-delimited JSON, one object per line (LF or CRLF). Blank lines are skipped; a line that is
 * not valid JSON, or not an object, is an error record (`users.ndjson:7: invalid JSON: …`) and
 * reading continues: lines are independent, so one bad line never costs the others.
 */
export class NdjsonSource implements Source {
  readonly kind = "ndjson";
  readonly file: SourceFile;

  constructor(config: NdjsonSourceConfig, opts: { cwd: string }) {
    this.file = new SourceFile(config.path, opts.cwd);
  }

  describe(): string {
    return `ndjson ${this.file.path}`;
  }

  columns(): Promise<string[]> {
    return firstRecordColumns(this.read());
  }

  count(): Promise<number | undefined> {
    return Promise.resolve(undefined);
  }

  async *read(opts: { signal?: AbortSignal } = {}): AsyncGenerator<SourceRecord> {
    const input = await this.file.open();
    const lines = createInterface({ input, crlfDelay: Infinity });
    let n = 0;
    try {
      for await (const raw of lines) {
        opts.signal?.throwIfAborted();
        n++;
        const text = n === 1 ? stripBom(raw) : raw;
        if (text.trim() === "") continue;
        const location = `${this.file.name}:${n}`;
        let value: unknown;
        try {
          value = JSON.parse(text);
        } catch (e) {
          yield { row: {}, location, error: `${location}: invalid JSON: ${(e as Error).message}` };
          continue;
        }
        const bad = describeNonObject(value);
        yield bad ? { row: {}, location, error: `${location}: ${bad}` } : { row: value as Record<string, unknown>, location };
      }
    } finally {
      // readline's close() leaves its input open; destroy it so an early `break` frees the fd.
      lines.close();
      input.destroy();
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
