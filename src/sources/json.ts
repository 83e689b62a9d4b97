import { pipeline, Transform, type Readable, type Writable } from "node:stream";
import Parser from "stream-json/Parser.js";
import Pick from "stream-json/filters/Pick.js";
import StreamArray from "stream-json/streamers/StreamArray.js";
import type { z } from "zod";
import { AuthmigrateError } from "../errors.js";
import { describeNonObject, firstRecordColumns, SourceFile } from "./file.js";
import type { JsonSourceConfigSchema, Source, SourceRecord } from "./types.js";

export type JsonSourceConfig = z.infer<typeof JsonSourceConfigSchema>;

type TransformChunk = (chunk: Buffer | string, enc: BufferEncoding, cb: (err?: Error | null) => void) => void;

/**
 * Streams the elements of a JSON array — top-level, or at `key` of a top-level object
 * (`{"users":[...]}`; a dotted path like `data.users` also works) — one element in memory at a time.
 * Location: `users.json[12]` (0-based index). A non-object element is an error record; invalid JSON
 * is unrecoverable (the parser can't find the next element) and throws `SOURCE_PARSE_ERROR` with
 * the line where parsing failed.
 */
export class JsonSource implements Source {
  readonly kind = "json";
  readonly file: SourceFile;
  private readonly key: string | undefined;

  constructor(config: JsonSourceConfig, opts: { cwd: string }) {
    this.file = new SourceFile(config.path, opts.cwd);
    this.key = config.key;
  }

  describe(): string {
    return `json ${this.file.path}${this.key ? ` key ${this.key}` : ""}`;
  }

  columns(): Promise<string[]> {
    return firstRecordColumns(this.read());
  }

  count(): Promise<number | undefined> {
    return Promise.resolve(undefined);
  }

  async *read(opts: { signal?: AbortSignal } = {}): AsyncGenerator<SourceRecord> {
    const input = await this.file.open();
    const parser = new Parser({ streamValues: false });
    const lines = trackLines(parser);
    let picked = false;
    const stages: (Readable | Writable)[] = [input, parser];
    if (this.key !== undefined) {
      stages.push(new Pick({ filter: this.key, once: true }));
      // Pick passes nothing through when the key is absent; note whether it found anything.
      stages.push(new Transform({ objectMode: true, transform: (t, _e, cb) => ((picked = true), cb(null, t)) }));
    }
    const items = new StreamArray();
    stages.push(items);
    pipeline(stages, () => {}); // errors surface through the iteration below

    let last = -1;
    try {
      for await (const { key, value } of items as AsyncIterable<{ key: number; value: unknown }>) {
        opts.signal?.throwIfAborted();
        last = key;
        const location = `${this.file.name}[${key}]`;
        const bad = describeNonObject(value);
        yield bad ? { row: {}, location, error: `${location}: ${bad}` } : { row: value as Record<string, unknown>, location };
      }
    } catch (e) {
      if (e instanceof AuthmigrateError || (e as Error).name === "AbortError") throw e;
      throw this.translate(e as Error, lines.current, last);
    } finally {
      items.destroy();
      input.destroy();
    }
    if (lines.failed) throw this.translate(lines.failed, lines.current, last);
    if (this.key !== undefined && !picked) {
      throw this.file.parseError(undefined, `no "${this.key}" property at the top level`, undefined);
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  private translate(e: Error, line: number, last: number): AuthmigrateError {
    if (/should be an array/.test(e.message)) {
      const what = this.key === undefined ? "the top-level value" : `the value at "${this.key}"`;
      const hint = this.key === undefined ? ' (for {"users": [...]} set key: "users")' : "";
      return this.file.parseError(undefined, `${what} is not an array${hint}`, e);
    }
    const after = last >= 0 ? ` after ${this.file.name}[${last}]` : "";
    return this.file.parseError(line, `invalid JSON${after}: ${e.message.replace(/^Parser cannot parse input: /, "")}`, e);
  }
}

/**
 * stream-json reports no positions, so we feed its parser one line at a time and remember which
 * line it was working on. A syntax error is held back (the parser just stops consuming) so the
 * elements parsed before it are still delivered in order; `read()` throws it after them.
 * Relies on stream-json 1.x internals: the parser processes each chunk synchronously in
 * `_transformBuffer` (Buffers; splitting at 0x0A is safe in UTF-8 and its StringDecoder joins
 * characters across pieces) or `_transformString`, and `_flush` ends parsing. A leading BOM is
 * whitespace to its tokenizer (`\s` matches U+FEFF).
 */
function trackLines(parser: Parser): { current: number; failed: Error | undefined } {
  const state: { current: number; failed: Error | undefined } = { current: 1, failed: undefined };
  const p = parser as unknown as Record<"_transformBuffer" | "_transformString", TransformChunk> & {
    _flush(cb: (err?: Error | null) => void): void;
    _buffer: string;
  };
  let completed = 0;
  const byLine =
    (original: TransformChunk): TransformChunk =>
    (chunk, enc, cb) => {
      if (state.failed) return cb(null);
      let start = 0;
      while (start < chunk.length) {
        const nl = chunk.indexOf("\n", start);
        const end = nl === -1 ? chunk.length : nl + 1;
        state.current = completed + 1;
        // Text left unconsumed by earlier lines: the parser waits for more input before rejecting a
        // short bad token, so a non-blank leftover means the error began on an earlier line.
        const pending = p._buffer.trimStart();
        let failed: Error | null | undefined;
        original(chunk.slice(start, end), enc, (err) => (failed = err));
        if (failed) {
          state.current -= count(pending, "\n");
          state.failed = failed;
          return cb(null);
        }
        if (nl !== -1) completed++;
        start = end;
      }
      cb(null);
    };
  p._transformBuffer = byLine(p._transformBuffer.bind(parser));
  p._transformString = byLine(p._transformString.bind(parser));
  const originalFlush = p._flush.bind(parser);
  p._flush = (cb) => {
    if (state.failed) return cb(null);
    const pending = p._buffer.trimStart();
    originalFlush((err) => {
      if (err) {
        state.current -= count(pending, "\n");
        state.failed = err;
      }
      cb(null);
    });
  };
  return state;
}

function count(s: string, ch: string): number {
  let n = 0;
  for (let i = s.indexOf(ch); i !== -1; i = s.indexOf(ch, i + 1)) n++;
  return n;
}
