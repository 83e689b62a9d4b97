import { createInterface } from "node:readline";
import type { z } from "zod";
import { SourceFile, stripBom } from "./file.js";
import { NdjsonSource } from "./ndjson.js";
import type { Auth0ExportSourceConfigSchema, Source, SourceRecord } from "./types.js";

export type Auth0ExportSourceConfig = z.infer<typeof Auth0ExportSourceConfigSchema>;

/** One record of Auth0's password-hash export (export-formats.md §1.2), reduced to what we keep. */
export interface Auth0HashRecord {
  passwordHash: string;
  email?: string;
  connection?: string;
  passwordSetDate?: string;
}

/** `{"$oid": "…"}` / `{"$date": "…"}` (MongoDB extended JSON) or a plain string. */
function extended(v: unknown, key: "$oid" | "$date"): string | undefined {
  if (typeof v === "string") return v;
  if (v && typeof v === "object" && typeof (v as Record<string, unknown>)[key] === "string") return (v as Record<string, string>)[key];
  return undefined;
}

/**
 * Auth0 as a source: the bulk user export (NDJSON, one user per line, `POST /api/v2/jobs/users-exports`
 * with format "json") merged with the password-hash export Auth0 support provides on request
 * (decrypted NDJSON: `{_id:{$oid}, email, passwordHash, password_set_date:{$date}, connection, …}`).
 *
 * Join: `user_id` = `auth0|<_id.$oid>`; when the export row has no such match, a database user
 * (an `auth0` identity) is matched by lower-cased email within the same connection (what the
 * WorkOS migration tool does). Rows keep every export field as-is (`identities`, metadata,
 * `logins_count`…) plus `passwordHash` (and `passwordSetDate`) when a hash was found.
 *
 * Memory: the hash file is read into two maps first (user id and email → hash), roughly
 * 200–300 bytes per database user (≈ 250 MB for a million users); the profile export itself streams.
 */
export class Auth0ExportSource implements Source {
  readonly kind = "auth0-export";
  private readonly users: NdjsonSource;
  private readonly hashFile: SourceFile | undefined;
  private hashes: { byId: Map<string, Auth0HashRecord>; byEmail: Map<string, Auth0HashRecord[]> } | undefined;
  /** After a full read: hash records no exported user matched (e.g. users deleted since). */
  unmatchedHashes = 0;
  /** After a full read: exported users that got a password hash. */
  matchedHashes = 0;

  constructor(config: Auth0ExportSourceConfig, opts: { cwd: string }) {
    this.users = new NdjsonSource({ type: "ndjson", path: config.path }, opts);
    this.hashFile = config.passwordHashes ? new SourceFile(config.passwordHashes, opts.cwd) : undefined;
  }

  describe(): string {
    return `auth0-export ${this.users.file.path}${this.hashFile ? ` + password hashes ${this.hashFile.path}` : ""}`;
  }

  async columns(): Promise<string[]> {
    const cols = await this.users.columns();
    return this.hashFile && !cols.includes("passwordHash") ? [...cols, "passwordHash"] : cols;
  }

  count(): Promise<number | undefined> {
    return Promise.resolve(undefined);
  }

  /** Reads the password-hash file into memory (once). Malformed lines are a SOURCE_PARSE_ERROR: a silently skipped line would cost a user their password. */
  async loadHashes(): Promise<NonNullable<Auth0ExportSource["hashes"]>> {
    if (this.hashes) return this.hashes;
    const byId = new Map<string, Auth0HashRecord>();
    const byEmail = new Map<string, Auth0HashRecord[]>();
    if (this.hashFile) {
      const input = await this.hashFile.open();
      const lines = createInterface({ input, crlfDelay: Infinity });
      let n = 0;
      try {
        for await (const raw of lines) {
          n++;
          const text = n === 1 ? stripBom(raw) : raw;
          if (!text.trim()) continue;
          let v: Record<string, unknown>;
          try {
            v = JSON.parse(text) as Record<string, unknown>;
          } catch (e) {
            throw this.hashFile.parseError(n, `invalid JSON: ${(e as Error).message}`);
          }
          if (!v || typeof v !== "object" || Array.isArray(v)) throw this.hashFile.parseError(n, "expected an object");
          const hash = typeof v.passwordHash === "string" ? v.passwordHash : undefined;
          if (!hash) continue; // users without a password (e.g. never set one)
          const rec: Auth0HashRecord = { passwordHash: hash };
          if (typeof v.email === "string") rec.email = v.email.toLowerCase();
          if (typeof v.connection === "string") rec.connection = v.connection;
          const set = extended(v.password_set_date, "$date");
          if (set) rec.passwordSetDate = set;
          const oid = extended(v._id, "$oid") ?? (typeof v.user_id === "string" ? v.user_id : undefined);
          if (oid) byId.set(oid.startsWith("auth0|") ? oid : `auth0|${oid}`, rec);
          if (rec.email) byEmail.set(rec.email, [...(byEmail.get(rec.email) ?? []), rec]);
        }
      } finally {
        lines.close();
        input.destroy();
      }
    }
    this.hashes = { byId, byEmail };
    return this.hashes;
  }

  /** The hash record for one exported user, if any. */
  private match(row: Record<string, unknown>, h: NonNullable<Auth0ExportSource["hashes"]>): Auth0HashRecord | undefined {
    const id = typeof row.user_id === "string" ? row.user_id : undefined;
    const byId = id ? h.byId.get(id) : undefined;
    if (byId) return byId;
    const identities = Array.isArray(row.identities) ? (row.identities as Record<string, unknown>[]) : [];
    const db = identities.find((i) => i && i.provider === "auth0");
    if (!db || typeof row.email !== "string") return undefined;
    const candidates = h.byEmail.get(row.email.toLowerCase()) ?? [];
    const conn = typeof db.connection === "string" ? db.connection : undefined;
    const same = candidates.filter((c) => !c.connection || !conn || c.connection === conn);
    return same.length === 1 ? same[0] : undefined;
  }

  async *read(opts: { signal?: AbortSignal } = {}): AsyncGenerator<SourceRecord> {
    const h = await this.loadHashes();
    const used = new Set<Auth0HashRecord>();
    this.matchedHashes = 0;
    for await (const rec of this.users.read(opts)) {
      if (rec.error) {
        yield rec;
        continue;
      }
      const hit = this.hashFile ? this.match(rec.row, h) : undefined;
      if (!hit) {
        yield rec;
        continue;
      }
      used.add(hit);
      this.matchedHashes++;
      yield { ...rec, row: { ...rec.row, passwordHash: hit.passwordHash, ...(hit.passwordSetDate ? { passwordSetDate: hit.passwordSetDate } : {}) } };
    }
    const all = new Set<Auth0HashRecord>([...h.byId.values(), ...[...h.byEmail.values()].flat()]);
    this.unmatchedHashes = [...all].filter((r) => !used.has(r)).length;
  }

  close(): Promise<void> {
    this.hashes = undefined;
    return Promise.resolve();
  }
}
