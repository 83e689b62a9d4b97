import { basename } from "node:path";
import { AuthmigrateError, isAuthmigrateError } from "../../errors.js";
import { JsonSource } from "../json.js";
import { ProviderSource, type Built } from "../provider/base.js";
import { exportFiles } from "../provider/files.js";
import type { SourceRecord } from "../types.js";
import type { KeycloakSourceConfig } from "./config.js";
import { keycloakUser } from "./map.js";

export { KeycloakSourceConfigSchema, type KeycloakSourceConfig } from "./config.js";

const EXPORT_FILE = /^(.+)-(realm|users-\d+)\.json$/;

/**
 * Keycloak realm export: a realm file with `users[]` (`--users realm_file|same_file`), per-file
 * user exports (`<realm>-users-<n>.json`), or the whole export directory. Each file's `users`
 * array is streamed one user at a time; a realm file without users (`--users different_files`)
 * is skipped in a directory.
 */
export class KeycloakSource extends ProviderSource {
  readonly kind = "keycloak";

  constructor(private readonly config: KeycloakSourceConfig, private readonly opts: { cwd: string }) {
    super(config.raw);
  }

  describe(): string {
    return `keycloak export ${this.config.path}${this.config.realm ? ` realm ${this.config.realm}` : ""}`;
  }

  private async files(): Promise<string[]> {
    const files = await exportFiles(this.config.path, this.opts.cwd, EXPORT_FILE, "Keycloak export files (<realm>-realm.json, <realm>-users-<n>.json)");
    if (files.length === 1 || !this.config.realm) return files;
    const mine = files.filter((f) => EXPORT_FILE.exec(basename(f))?.[1] === this.config.realm);
    if (mine.length === 0) {
      const realms = [...new Set(files.map((f) => EXPORT_FILE.exec(basename(f))?.[1]))].join(", ");
      throw new AuthmigrateError("SOURCE_NOT_FOUND", `no export files of realm "${this.config.realm}" in ${this.config.path}`, { hint: `realms found: ${realms}` });
    }
    return mine;
  }

  protected async *rawRecords(opts: { signal?: AbortSignal }): AsyncGenerator<SourceRecord> {
    const files = await this.files();
    for (const file of files) {
      const json = new JsonSource({ type: "json", path: file, key: "users" }, { cwd: "/" });
      try {
        yield* json.read(opts);
      } catch (e) {
        // In a directory, the realm file of a `different_files` export has no users: nothing to read there.
        const noUsers = isAuthmigrateError(e) && e.code === "SOURCE_PARSE_ERROR" && /no "users" property/.test(e.message);
        if (noUsers && files.length > 1 && /-realm\.json$/.test(file)) continue;
        throw e;
      }
    }
  }

  protected build(row: Record<string, unknown>): Built {
    return keycloakUser(row, this.config.groups);
  }
}
