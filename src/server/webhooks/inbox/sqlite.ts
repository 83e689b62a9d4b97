import Database from "better-sqlite3";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { AuthmigrateError } from "../../../errors.js";
import type { ParsedEvent } from "../parse.js";
import { INBOX_DDL, clip, toRow, type RawRow } from "./sql.js";
import type { BatchOutcome, Inbox, InboxRow, InboxStatus, SubjectState } from "./types.js";

/** The inbox in the ledger's SQLite file (WAL: the HTTP path inserts while the worker reads). */
export class SqliteInbox implements Inbox {
  readonly kind = "sqlite" as const;
  private readonly db: Database.Database;
  private readonly insert: Database.Statement;
  private readonly stmts = new Map<string, Database.Statement>();
  /** Prepared once per distinct SQL (the worker runs the same few statements per event). */
  private st(sql: string): Database.Statement {
    let s = this.stmts.get(sql);
    if (!s) this.stmts.set(sql, (s = this.db.prepare(sql)));
    return s;
  }

  constructor(file: string) {
    try {
      if (file !== ":memory:") mkdirSync(path.dirname(file), { recursive: true });
      this.db = new Database(file);
    } catch (e) {
      throw new AuthmigrateError("INBOX_UNAVAILABLE", `cannot open the webhook inbox ${file}: ${(e as Error).message}`, { hint: "check that the ledger.url (or serve.webhooks.inboxUrl) path is writable", cause: e });
    }
    this.db.pragma("journal_mode = WAL");
    // NORMAL in WAL survives a process crash; the 2xx is sent only after the insert returned.
    this.db.pragma("synchronous = NORMAL");
    this.db.pragma("busy_timeout = 5000");
    for (const ddl of INBOX_DDL) this.db.exec(ddl.replace("%AUTO%", "AUTOINCREMENT"));
    this.insert = this.db.prepare(
      `INSERT INTO am_webhook_inbox (provider, event_id, type, payload, occurred_at, received_at, next_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (provider, event_id) DO NOTHING`,
    );
  }

  async add(provider: string, events: readonly ParsedEvent[], now: number): Promise<number> {
    let n = 0;
    this.db.transaction(() => {
      for (const e of events) n += this.insert.run(provider, e.eventId, e.type, e.payload, e.occurredAt, now, now).changes;
    })();
    return n;
  }

  async claim(now: number, limit: number, leaseMs: number): Promise<InboxRow[]> {
    return this.db.transaction(() => {
      const rows = this
        .st("SELECT id, provider, event_id, type, payload, occurred_at, attempts FROM am_webhook_inbox WHERE status = 'pending' AND next_at <= ? ORDER BY id LIMIT ?")
        .all(now, limit) as RawRow[];
      const lease = this.st("UPDATE am_webhook_inbox SET next_at = ?, attempts = attempts + 1 WHERE id = ?");
      for (const r of rows) lease.run(now + leaseMs, r.id);
      return rows.map((r) => ({ ...toRow(r), attempts: Number(r.attempts) + 1 }));
    })();
  }

  async complete(id: number, outcome: string, now: number): Promise<void> {
    this.st("UPDATE am_webhook_inbox SET status = 'done', outcome = ?, processed_at = ?, last_error = NULL WHERE id = ?").run(outcome, now, id);
  }

  async fail(id: number, error: string, retryAt: number | null, now: number): Promise<void> {
    if (retryAt === null) this.st("UPDATE am_webhook_inbox SET status = 'dead', last_error = ?, processed_at = ? WHERE id = ?").run(clip(error), now, id);
    else this.st("UPDATE am_webhook_inbox SET next_at = ?, last_error = ? WHERE id = ?").run(retryAt, clip(error), id);
  }

  async prune(before: number): Promise<number> {
    return this.st("DELETE FROM am_webhook_inbox WHERE status = 'done' AND processed_at < ?").run(before).changes;
  }

  async settle(b: BatchOutcome, now: number): Promise<void> {
    this.db.transaction(() => {
      for (const s of b.subjects) void this.setSubject(s.provider, s.targetId, s.state);
      for (const d of b.done) void this.complete(d.id, d.outcome, now);
      for (const f of b.failed) void this.fail(f.id, f.error, f.retryAt, now);
    })();
  }

  async subject(provider: string, targetId: string): Promise<SubjectState | undefined> {
    const r = this.st("SELECT last_at, deleted FROM am_webhook_subjects WHERE provider = ? AND target_id = ?").get(provider, targetId) as { last_at: number | null; deleted: number } | undefined;
    return r ? { lastAt: r.last_at === null ? null : Number(r.last_at), deleted: r.deleted === 1 } : undefined;
  }

  async setSubject(provider: string, targetId: string, s: SubjectState): Promise<void> {
    this
      .st("INSERT INTO am_webhook_subjects (provider, target_id, last_at, deleted) VALUES (?, ?, ?, ?) ON CONFLICT (provider, target_id) DO UPDATE SET last_at = excluded.last_at, deleted = excluded.deleted")
      .run(provider, targetId, s.lastAt, s.deleted ? 1 : 0);
  }

  async externalIdFor(ledgerTarget: string, targetId: string): Promise<string | undefined> {
    try {
      const r = this.st("SELECT external_id FROM am_users WHERE target = ? AND target_id = ? LIMIT 1").get(ledgerTarget, targetId) as { external_id: string } | undefined;
      return r?.external_id;
    } catch {
      return undefined; // no ledger tables in this database (inboxUrl points elsewhere)
    }
  }

  async counts(): Promise<Record<InboxStatus, number>> {
    const out: Record<InboxStatus, number> = { pending: 0, done: 0, dead: 0 };
    for (const r of this.st("SELECT status, COUNT(*) AS n FROM am_webhook_inbox GROUP BY status").all() as { status: InboxStatus; n: number }[]) out[r.status] = r.n;
    return out;
  }

  async list(filter: { status?: InboxStatus; provider?: string; limit?: number } = {}) {
    const rows = this
      .st(
        `SELECT id, provider, event_id, type, payload, occurred_at, attempts, status, last_error, outcome FROM am_webhook_inbox
         WHERE (? IS NULL OR status = ?) AND (? IS NULL OR provider = ?) ORDER BY id DESC LIMIT ?`,
      )
      .all(filter.status ?? null, filter.status ?? null, filter.provider ?? null, filter.provider ?? null, filter.limit ?? 100) as RawRow[];
    return rows.map((r) => ({ ...toRow(r), status: r.status as InboxStatus, lastError: r.last_error ?? null, outcome: r.outcome ?? null }));
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
