import { pipeline } from "node:stream";
import { parse, type CsvError, type Options } from "csv-parse";
import type { z } from "zod";
import { AuthmigrateError } from "../errors.js";
import { SourceFile } from "./file.js";
import type { CsvSourceConfigSchema, Source, SourceRecord } from "./types.js";

export type CsvSourceConfig = z.infer<typeof CsvSourceConfigSchema>;

interface RawRecord {
  fields: string[];
  /** Physical line where the record starts (1-based). */
  line: number;
  /** Physical line where it ends (> line when a quoted field holds newlines). */
  endLine: number;
}

/**
 * Streams a CSV file with a header row. Values are strings exactly as in the file ("" for empty).
 *
 * Parsing choices:
 * - UTF-8 with or without BOM; CRLF or LF; blank (and whitespace-only) lines are skipped;
 * - quoted fields may contain delimiters, `""` and newlines;
 * - a stray quote inside an unquoted field (`bo"b`, `"a"b`) is kept literally (`relax_quotes`), as
 *   Excel and Python's csv do: rejecting it would cost every following row, since the parser cannot
 *   resynchronise after a quote error;
 * - a record with the wrong number of fields is yielded as an error record and reading continues;
 * - a quote that is never closed swallows the rest of the file: that throws `SOURCE_PARSE_ERROR`.
 */
export class CsvSource implements Source {
  readonly kind = "csv";
  readonly file: SourceFile;
  private readonly delimiter: string;

  constructor(config: CsvSourceConfig, opts: { cwd: string }) {
    this.file = new SourceFile(config.path, opts.cwd);
    this.delimiter = config.delimiter;
  }

  describe(): string {
    return `csv ${this.file.path}`;
  }

  async columns(): Promise<string[]> {
    for await (const rec of this.records()) return this.header(rec);
    return [];
  }

  /** Not cheaply known without parsing the whole file. */
  count(): Promise<number | undefined> {
    return Promise.resolve(undefined);
  }

  async *read(opts: { signal?: AbortSignal } = {}): AsyncGenerator<SourceRecord> {
    let header: string[] | undefined;
    for await (const rec of this.records()) {
      opts.signal?.throwIfAborted();
      if (!header) {
        header = this.header(rec);
        continue;
      }
      const location = `${this.file.name}:${rec.line}`;
      if (rec.fields.length !== header.length) {
        const span = rec.endLine > rec.line ? ` (record spans lines ${rec.line}-${rec.endLine}; check for an unbalanced quote)` : "";
        yield { row: {}, location, error: `${location}: expected ${header.length} columns, found ${rec.fields.length}${span}` };
        continue;
      }
      // fromEntries defines own properties, so a column named `__proto__` can't touch the prototype.
      yield { row: Object.fromEntries(header.map((h, i) => [h, rec.fields[i]])), location };
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  private header(rec: RawRecord): string[] {
    const names = rec.fields.map((f) => f.trim());
    const seen = new Set<string>();
    for (const n of names) {
      if (seen.has(n)) throw this.file.parseError(rec.line, `duplicate column "${n}" in the header row`);
      seen.add(n);
    }
    return names;
  }

  /** Raw records with the physical line each starts on. */
  private async *records(): AsyncGenerator<RawRecord> {
    const input = await this.file.open();
    // csv-parse's `lines` counter is the line where a record *ends*, and it counts a CRLF inside a
    // quoted field as two lines; we correct for that so locations match what an editor shows.
    let crlfInQuotes = 0;
    let prevEnd = 0;
    let prevEmpty = 0;
    const options: Options<RawRecord, string[]> = {
      bom: true,
      delimiter: this.delimiter,
      skip_empty_lines: true,
      relax_column_count: true,
      relax_quotes: true,
      on_record: (fields: string[], ctx): RawRecord | null => {
        crlfInQuotes += fields.reduce((n, f) => n + count(f, /\r\n/g), 0);
        const endLine = ctx.lines - crlfInQuotes;
        const line = endLine - fields.reduce((n, f) => n + count(f, /\r\n|\r|\n/g), 0);
        prevEnd = endLine;
        prevEmpty = ctx.empty_lines;
        // A whitespace-only line is blank to a human; csv-parse only skips truly empty ones.
        if (fields.length === 1 && fields[0]!.trim() === "") return null;
        return { fields, line, endLine };
      },
    };
    // The non-`columns` overload of parse() is typed for string[] records; ours are RawRecord.
    const parser = parse(options as unknown as Options);
    pipeline(input, parser, () => {}); // errors surface through the iteration below
    try {
      for await (const rec of parser) yield rec as RawRecord;
    } catch (e) {
      if (e instanceof AuthmigrateError) throw e;
      const err = e as CsvError;
      const line = prevEnd + 1 + Math.max(0, Number(err.empty_lines ?? prevEmpty) - prevEmpty);
      const reason =
        err.code === "CSV_QUOTE_NOT_CLOSED"
          ? "a quote opened in this record is never closed, so the rest of the file cannot be read"
          : (err.message ?? String(e));
      throw this.file.parseError(line, reason, e);
    } finally {
      parser.destroy();
      input.destroy();
    }
  }
}

function count(s: string, re: RegExp): number {
  if (s.length === 0) return 0;
  return s.match(re)?.length ?? 0;
}
