import { CsvSource } from "../csv.js";
import { ProviderSource, type Built } from "../provider/base.js";
import type { SourceRecord } from "../types.js";
import type { ClerkSourceConfig } from "./config.js";
import { clerkUser } from "./map.js";

export { ClerkSourceConfigSchema, type ClerkSourceConfig } from "./config.js";

/**
 * Clerk's user export CSV (id, first_name, last_name, username, primary_email_address,
 * primary_phone_number, verified/unverified emails and phones, totp_secret, password_digest,
 * password_hasher; extra columns of newer exports are used when present). Streams like any CSV:
 * a row with the wrong number of columns is reported with its line and the run goes on.
 */
export class ClerkSource extends ProviderSource {
  readonly kind = "clerk";
  private readonly csv: CsvSource;

  constructor(config: ClerkSourceConfig, opts: { cwd: string }) {
    super(config.raw);
    this.csv = new CsvSource({ type: "csv", path: config.path, delimiter: "," }, opts);
  }

  describe(): string {
    return `clerk export ${this.csv.file.path}`;
  }

  protected rawRecords(opts: { signal?: AbortSignal }): AsyncIterable<SourceRecord> {
    return this.csv.read(opts);
  }

  protected build(row: Record<string, unknown>): Built {
    return clerkUser(row);
  }
}
