import { pipeline } from "node:stream";
import { parse, type CsvError } from "csv-parse";
import type { SourceFile } from "../file.js";

/**
 * Streams a CSV file that has no header row (Firebase's `auth:export --format=csv`), one array of
 * fields per record with the line it ends on. Quoted fields may hold delimiters and quotes; a
 * quote never closed makes the rest unreadable and throws `SOURCE_PARSE_ERROR`.
 */
export async function* headerlessCsv(file: SourceFile, signal?: AbortSignal): AsyncGenerator<{ fields: string[]; line: number }> {
  const input = await file.open();
  const parser = parse({ bom: true, skip_empty_lines: true, relax_column_count: true, relax_quotes: true, info: true });
  pipeline(input, parser, () => {}); // errors surface through the iteration below
  let line = 0;
  try {
    for await (const rec of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      signal?.throwIfAborted();
      line = rec.info.lines;
      if (rec.record.length === 1 && rec.record[0]!.trim() === "") continue;
      yield { fields: rec.record, line };
    }
  } catch (e) {
    if ((e as Error).name === "AbortError") throw e;
    const err = e as CsvError;
    const reason = err.code === "CSV_QUOTE_NOT_CLOSED" ? "a quote opened in this record is never closed, so the rest of the file cannot be read" : err.message;
    throw file.parseError(line + 1, reason, e);
  } finally {
    parser.destroy();
    input.destroy();
  }
}
