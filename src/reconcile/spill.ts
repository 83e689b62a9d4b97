import Database from "better-sqlite3";
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

/**
 * The external sort behind reconcile. Neither side arrives sorted by externalId (sources follow
 * their own key, targets their own ids), so both are spilled to a temporary SQLite file whose
 * primary keys keep them ordered; the merge then walks two ordered cursors. Memory stays at
 * SQLite's page cache plus one insert batch, whatever the number of users.
 *
 * The file may hold legacy records (with `--fix`, the full canonical user including its password
 * hash): it is created in a private temp directory and removed by close(). Those users are stored
 * AES-256-GCM encrypted under a key that exists only in this process's memory, so a file left
 * behind by `kill -9` or a power cut holds no readable hash.
 */

export interface LegacyRow {
  externalId: string;
  /** JSON of the expected target record, or null when the record is excluded from comparison. */
  rec: string | null;
  /** JSON of the MigrationUser (only kept when a fix needs to write it). */
  user: string | null;
  excludedReason: string | null;
}

export interface TargetRow {
  targetId: string;
  externalId: string | null;
  rec: string;
}

export interface MergedLegacy extends LegacyRow {
  ledgerStatus: string | null;
  ledgerReason: string | null;
}

const BATCH = 2000;
const CACHE_KB = 8_000;

export class SpillStore {
  readonly dir: string;
  readonly file: string;
  private readonly db: Database.Database;
  private readonly readers: Database.Database[] = [];
  private pending: { sql: Database.Statement; rows: unknown[][] }[] = [];
  private readonly insLegacy: Database.Statement;
  private readonly insTarget: Database.Statement;
  private readonly insLedger: Database.Statement;
  duplicateLegacyIds = 0;
  /** Per-store key for the `user` column; never written anywhere. */
  private readonly key = randomBytes(32);

  constructor() {
    this.dir = mkdtempSync(path.join(tmpdir(), "authmigrate-reconcile-"));
    this.file = path.join(this.dir, "spill.sqlite");
    this.db = new Database(this.file);
    // A scratch file: no journal, no fsync. A crash just leaves a temp dir behind.
    this.db.pragma("journal_mode = OFF");
    this.db.pragma("synchronous = OFF");
    this.db.pragma(`cache_size = -${CACHE_KB}`);
    this.db.exec(`
      CREATE TABLE legacy (external_id TEXT PRIMARY KEY, rec TEXT, user BLOB, excluded TEXT) WITHOUT ROWID;
      CREATE TABLE target (target_id TEXT PRIMARY KEY, external_id TEXT, rec TEXT NOT NULL) WITHOUT ROWID;
      CREATE TABLE ledger (external_id TEXT PRIMARY KEY, target_id TEXT, status TEXT NOT NULL, reason TEXT) WITHOUT ROWID;
    `);
    this.insLegacy = this.db.prepare("INSERT OR IGNORE INTO legacy VALUES (?, ?, ?, ?)");
    this.insTarget = this.db.prepare("INSERT OR REPLACE INTO target VALUES (?, ?, ?)");
    this.insLedger = this.db.prepare("INSERT OR REPLACE INTO ledger VALUES (?, ?, ?, ?)");
  }

  private queue(sql: Database.Statement, row: unknown[]): void {
    let slot = this.pending.find((p) => p.sql === sql);
    if (!slot) this.pending.push((slot = { sql, rows: [] }));
    slot.rows.push(row);
    if (slot.rows.length >= BATCH) this.flush();
  }

  /** Write queued rows in one transaction per batch (row-by-row autocommit would be 100x slower). */
  flush(): void {
    const pending = this.pending;
    this.pending = [];
    this.db.transaction(() => {
      for (const p of pending) {
        for (const r of p.rows) {
          const info = p.sql.run(...r);
          if (p.sql === this.insLegacy && info.changes === 0) this.duplicateLegacyIds++;
        }
      }
    })();
  }

  addLedger(externalId: string, targetId: string | null, status: string, reason: string | null): void {
    this.queue(this.insLedger, [externalId, targetId, status, reason]);
  }

  addTarget(targetId: string, externalId: string | undefined, rec: string): void {
    this.queue(this.insTarget, [targetId, externalId ?? null, rec]);
  }

  addLegacy(row: LegacyRow): void {
    this.queue(this.insLegacy, [row.externalId, row.rec, row.user === null ? null : this.seal(row.user), row.excludedReason]);
  }

  /**
   * Targets that keep no legacy id (better-auth) get it from the ledger (target id → legacy id).
   * What is still without one afterwards is an orphan. Then index target rows by legacy id.
   */
  finishLoading(): void {
    this.flush();
    this.db.exec(`
      CREATE INDEX ledger_target ON ledger (target_id);
      UPDATE target SET external_id = (SELECT l.external_id FROM ledger l WHERE l.target_id = target.target_id) WHERE external_id IS NULL;
      CREATE INDEX target_external ON target (external_id, target_id);
    `);
  }

  count(table: "legacy" | "target"): number {
    return this.db.prepare(`SELECT COUNT(*) FROM ${table}`).pluck().get() as number;
  }

  /** Each cursor needs its own connection: better-sqlite3 allows one open iterator per connection. */
  private reader(): Database.Database {
    const r = new Database(this.file, { readonly: true });
    r.pragma(`cache_size = -${CACHE_KB / 4}`);
    this.readers.push(r);
    return r;
  }

  *legacyOrdered(): Generator<MergedLegacy> {
    const rows = this.reader()
      .prepare(
        `SELECT g.external_id AS externalId, g.rec, g.user, g.excluded AS excludedReason, l.status AS ledgerStatus, l.reason AS ledgerReason
         FROM legacy g LEFT JOIN ledger l ON l.external_id = g.external_id ORDER BY g.external_id`,
      )
      .iterate() as IterableIterator<Omit<MergedLegacy, "user"> & { user: Buffer | null }>;
    for (const r of rows) yield { ...r, user: r.user === null ? null : this.open(r.user) };
  }

  *targetOrdered(): Generator<TargetRow> {
    yield* this.reader()
      .prepare("SELECT target_id AS targetId, external_id AS externalId, rec FROM target WHERE external_id IS NOT NULL ORDER BY external_id, target_id")
      .iterate() as IterableIterator<TargetRow>;
  }

  *orphans(): Generator<TargetRow> {
    yield* this.reader().prepare("SELECT target_id AS targetId, external_id AS externalId, rec FROM target WHERE external_id IS NULL ORDER BY target_id").iterate() as IterableIterator<TargetRow>;
  }

  /** The ledger's target id for a legacy id (to tell our own row from a duplicate). */
  ledgerTargetId(externalId: string): string | null {
    return (this.db.prepare("SELECT target_id FROM ledger WHERE external_id = ?").pluck().get(externalId) as string | null | undefined) ?? null;
  }

  /** iv (12) ‖ tag (16) ‖ ciphertext. */
  private seal(plain: string): Buffer {
    const iv = randomBytes(12);
    const c = createCipheriv("aes-256-gcm", this.key, iv);
    const body = Buffer.concat([c.update(plain, "utf8"), c.final()]);
    return Buffer.concat([iv, c.getAuthTag(), body]);
  }

  private open(sealed: Buffer): string {
    const d = createDecipheriv("aes-256-gcm", this.key, sealed.subarray(0, 12));
    d.setAuthTag(sealed.subarray(12, 28));
    return Buffer.concat([d.update(sealed.subarray(28)), d.final()]).toString("utf8");
  }

  close(): void {
    for (const r of this.readers) if (r.open) r.close();
    if (this.db.open) this.db.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
