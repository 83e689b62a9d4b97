import { firstRecordColumns } from "../file.js";
import type { Issue } from "../../mapping/issues.js";
import type { MigrationUserInput } from "../../model/user.js";
import type { Source, SourceRecord } from "../types.js";

/** A record the export's format rules reject (e.g. a Keycloak user without an id); reported, never thrown out of read(). */
export class BadRecord extends Error {}

/** What a provider's mapper returns for one raw export record. */
export interface Built {
  user: MigrationUserInput;
  issues: Issue[];
}

/**
 * Base of the provider-export sources: streams raw export records (`rawRecords`) and, unless the
 * config says `raw: true`, attaches the canonical user `build` makes of each. A record `build`
 * rejects becomes an error record with its location and the run goes on.
 */
export abstract class ProviderSource implements Source {
  abstract readonly kind: string;
  readonly mapsUsers: boolean;

  constructor(raw: boolean) {
    this.mapsUsers = !raw;
  }

  abstract describe(): string;
  protected abstract rawRecords(opts: { signal?: AbortSignal }): AsyncIterable<SourceRecord>;
  protected abstract build(row: Record<string, unknown>): Built;

  columns(): Promise<string[]> {
    return firstRecordColumns(this.rawRecords({}));
  }

  count(): Promise<number | undefined> {
    return Promise.resolve(undefined);
  }

  async *read(opts: { signal?: AbortSignal } = {}): AsyncGenerator<SourceRecord> {
    for await (const rec of this.rawRecords(opts)) {
      if (rec.error || !this.mapsUsers) {
        yield rec;
        continue;
      }
      let built: Built;
      try {
        built = this.build(rec.row);
      } catch (e) {
        if (!(e instanceof BadRecord)) throw e;
        yield { row: rec.row, location: rec.location, error: `${rec.location}: ${e.message}` };
        continue;
      }
      yield { row: rec.row, location: rec.location, user: built.user, ...(built.issues.length ? { issues: built.issues } : {}) };
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
