import { extname } from "node:path";
import { SourceFile } from "../file.js";
import { JsonSource } from "../json.js";
import { ProviderSource, type Built } from "../provider/base.js";
import { headerlessCsv } from "../provider/headerless-csv.js";
import type { SourceRecord } from "../types.js";
import type { FirebaseSourceConfig } from "./config.js";
import { FIREBASE_CSV_COLUMNS, firebaseCsvRow } from "./csv.js";
import { firebaseUser } from "./map.js";

export { FirebaseSourceConfigSchema, type FirebaseSourceConfig } from "./config.js";

/**
 * Firebase Authentication `auth:export`: JSON (`{"users":[…]}`, streamed element by element) or
 * headerless CSV. Each user becomes a canonical user with a `firebase-scrypt` credential built
 * from the project's hash config; a malformed CSV row or a user without localId is an error
 * record (`users.csv:17: …`) and the run goes on.
 */
export class FirebaseSource extends ProviderSource {
  readonly kind = "firebase";
  readonly file: SourceFile;
  private readonly format: "json" | "csv";

  constructor(private readonly config: FirebaseSourceConfig, opts: { cwd: string }) {
    super(config.raw);
    this.file = new SourceFile(config.path, opts.cwd);
    this.format = config.format ?? (extname(config.path).toLowerCase() === ".csv" ? "csv" : "json");
  }

  describe(): string {
    return `firebase auth:export (${this.format}) ${this.file.path}`;
  }

  protected rawRecords(opts: { signal?: AbortSignal }): AsyncIterable<SourceRecord> {
    if (this.format === "json") return new JsonSource({ type: "json", path: this.file.path, key: "users" }, { cwd: "/" }).read(opts);
    return this.csvRecords(opts.signal);
  }

  private async *csvRecords(signal?: AbortSignal): AsyncGenerator<SourceRecord> {
    for await (const { fields, line } of headerlessCsv(this.file, signal)) {
      const location = `${this.file.name}:${line}`;
      if (fields.length !== FIREBASE_CSV_COLUMNS && fields.length !== FIREBASE_CSV_COLUMNS - 1) {
        yield { row: {}, location, error: `${location}: expected ${FIREBASE_CSV_COLUMNS} columns (auth:export CSV has no header row), found ${fields.length}` };
        continue;
      }
      yield { row: firebaseCsvRow(fields), location };
    }
  }

  protected build(row: Record<string, unknown>): Built {
    return firebaseUser(row, this.config.hashConfig);
  }
}
