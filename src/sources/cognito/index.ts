import { basename } from "node:path";
import { isAuthmigrateError } from "../../errors.js";
import { JsonSource } from "../json.js";
import { ProviderSource, type Built } from "../provider/base.js";
import { exportFiles } from "../provider/files.js";
import type { SourceRecord } from "../types.js";
import type { CognitoSourceConfig } from "./config.js";
import { cognitoUser } from "./map.js";

export { CognitoSourceConfigSchema, type CognitoSourceConfig } from "./config.js";

/**
 * AWS Cognito user pool, read from `aws cognito-idp list-users` output: one page file or a
 * directory of pages (`{"Users": [...], "PaginationToken": "…"}`), users streamed one at a time.
 * Pages are independent, so a page that is cut off or not JSON is reported as one error record
 * (`page-4.json: invalid JSON …`, after the users before the damage) and the next page is read.
 * Cognito exports no password hashes: every user gets credential none (lazy migration or reset).
 */
export class CognitoSource extends ProviderSource {
  readonly kind = "cognito";

  constructor(private readonly config: CognitoSourceConfig, private readonly opts: { cwd: string }) {
    super(config.raw);
  }

  describe(): string {
    return `cognito list-users ${this.config.path}`;
  }

  protected async *rawRecords(opts: { signal?: AbortSignal }): AsyncGenerator<SourceRecord> {
    const files = await exportFiles(this.config.path, this.opts.cwd, /\.json$/i, "list-users pages (*.json)");
    for (const file of files) {
      try {
        yield* new JsonSource({ type: "json", path: file, key: "Users" }, { cwd: "/" }).read(opts);
      } catch (e) {
        if (!isAuthmigrateError(e) || e.code !== "SOURCE_PARSE_ERROR" || files.length === 1) throw e;
        yield { row: {}, location: basename(file), error: e.message };
      }
    }
  }

  protected build(row: Record<string, unknown>): Built {
    return cognitoUser(row, this.config.externalId);
  }
}
