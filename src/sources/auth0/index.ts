import { extname } from "node:path";
import { CsvSource } from "../csv.js";
import { SourceFile } from "../file.js";
import { NdjsonSource } from "../ndjson.js";
import { ProviderSource, type Built } from "../provider/base.js";
import type { SourceRecord } from "../types.js";
import type { Auth0ExportSourceConfig } from "./config.js";
import { auth0CsvRow } from "./csv.js";
import { loadAuth0Hashes, matchAuth0Hash, type Auth0Hashes, type Auth0HashRecord } from "./hashes.js";
import { auth0User } from "./map.js";

export { Auth0ExportSourceConfigSchema, type Auth0ExportSourceConfig } from "./config.js";
export type { Auth0HashRecord } from "./hashes.js";

/**
 * Auth0 as a source: the bulk user export (`POST /api/v2/jobs/users-exports`, format "json" =
 * NDJSON, or "csv") merged with the password-hash / MFA export Auth0 support provides on request.
 *
 * Rows keep every export field as-is (`identities`, metadata, `logins_count`…) plus `passwordHash`
 * (and `passwordSetDate`) when a hash was found, so `mapping.fields` can still map them (raw mode);
 * by default each row also carries the canonical user built from it.
 */
export class Auth0ExportSource extends ProviderSource {
  readonly kind = "auth0-export";
  private readonly users: NdjsonSource | CsvSource;
  private readonly format: "json" | "csv";
  private readonly hashFile: SourceFile | undefined;
  private hashes: Auth0Hashes | undefined;
  /** The hash record of each row yielded last, for build(); rows and builds alternate one to one. */
  private current: Auth0HashRecord | undefined;
  /** After a full read: hash records no exported user matched (e.g. users deleted since). */
  unmatchedHashes = 0;
  /** After a full read: exported users that got a password hash. */
  matchedHashes = 0;

  constructor(config: Omit<Auth0ExportSourceConfig, "raw"> & { raw?: boolean }, opts: { cwd: string }) {
    super(config.raw ?? false);
    this.format = config.format ?? (extname(config.path).toLowerCase() === ".csv" ? "csv" : "json");
    this.users = this.format === "csv" ? new CsvSource({ type: "csv", path: config.path, delimiter: "," }, opts) : new NdjsonSource({ type: "ndjson", path: config.path }, opts);
    this.hashFile = config.passwordHashes ? new SourceFile(config.passwordHashes, opts.cwd) : undefined;
  }

  describe(): string {
    return `auth0-export (${this.format}) ${this.users.file.path}${this.hashFile ? ` + password hashes ${this.hashFile.path}` : ""}`;
  }

  override async columns(): Promise<string[]> {
    const cols = await super.columns();
    return this.hashFile && !cols.includes("passwordHash") ? [...cols, "passwordHash"] : cols;
  }

  /** Reads the password-hash file into memory (once). */
  async loadHashes(): Promise<Auth0Hashes> {
    this.hashes ??= this.hashFile ? await loadAuth0Hashes(this.hashFile) : { byId: new Map(), byEmail: new Map() };
    return this.hashes;
  }

  protected async *rawRecords(opts: { signal?: AbortSignal }): AsyncGenerator<SourceRecord> {
    const h = await this.loadHashes();
    const used = new Set<Auth0HashRecord>();
    this.matchedHashes = 0;
    for await (const rec of this.users.read(opts)) {
      this.current = undefined;
      if (rec.error) {
        yield rec;
        continue;
      }
      const row = this.format === "csv" ? auth0CsvRow(rec.row) : rec.row;
      const hit = this.hashFile ? matchAuth0Hash(row, h) : undefined;
      if (!hit) {
        yield { ...rec, row };
        continue;
      }
      used.add(hit);
      this.current = hit;
      if (hit.passwordHash) this.matchedHashes++;
      const extra = { ...(hit.passwordHash ? { passwordHash: hit.passwordHash } : {}), ...(hit.passwordSetDate ? { passwordSetDate: hit.passwordSetDate } : {}) };
      yield { ...rec, row: { ...row, ...extra } };
    }
    const all = new Set<Auth0HashRecord>([...h.byId.values(), ...[...h.byEmail.values()].flat()]);
    this.unmatchedHashes = [...all].filter((r) => !used.has(r)).length;
  }

  protected build(row: Record<string, unknown>): Built {
    return auth0User(row, this.current);
  }

  override close(): Promise<void> {
    this.hashes = undefined;
    return Promise.resolve();
  }
}
