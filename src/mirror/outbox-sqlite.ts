import Database from "better-sqlite3";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { AuthmigrateError } from "../errors.js";
import { decodeChange, encodeChange, scrubChange } from "./outbox-codec.js";
import type { DeadLetter, OutboxDepth, OutboxEntry, OutboxStore } from "./outbox-types.js";
import type { MirrorChange } from "./types.js";

const DDL = [
  `CREATE TABLE IF NOT EXISTS am_mirror_outbox (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     target TEXT NOT NULL,
     external_id TEXT NOT NULL,
     action TEXT NOT NULL,
     payload TEXT NOT NULL,
     status TEXT NOT NULL DEFAULT 'pending',
     attempts INTEGER NOT NULL DEFAULT 0,
     next_at INTEGER NOT NULL,
     lease_until INTEGER NOT NULL DEFAULT 0,
     last_error TEXT,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL
   )`,
  `CREATE INDEX IF NOT EXISTS am_mirror_outbox_key ON am_mirror_outbox (target, external_id, status, id)`,
  `CREATE INDEX IF NOT EXISTS am_mirror_outbox_due ON am_mirror_outbox (target, status, next_at)`,
];

interface Row {
  id: number;
  external_id: string;
  action: string;
  payload: string;
  attempts: number;
  last_error: string | null;
  updated_at: string;
}

/**
 * The outbox as a table in the SQLite ledger file (its own connection: WAL lets the ledger and the
 * outbox write side by side). Rows are ordered by id; a row is claimable only when no older
 * pending row of the same user exists, which gives FIFO per user. A claim is a lease: a process
 * that dies mid-delivery leaves the row to be claimed again once the lease runs out.
 */
export class SqliteOutboxStore implements OutboxStore {
  readonly kind = "sqlite" as const;
  private readonly db: Database.Database;

  constructor(
    file: string,
    private readonly target: string,
    private readonly leaseMs = 5 * 60_000,
    private readonly now: () => number = Date.now,
  ) {
    try {
      if (file !== ":memory:") mkdirSync(path.dirname(file), { recursive: true });
      this.db = new Database(file);
    } catch (e) {
      throw new AuthmigrateError("LEDGER_UNAVAILABLE", `cannot open the mirror outbox in ${file}: ${(e as Error).message}`, { hint: "check the ledger.url path is writable", cause: e });
    }
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = NORMAL");
    this.db.pragma("busy_timeout = 5000");
    for (const ddl of DDL) this.db.exec(ddl);
  }

  async enqueue(change: MirrorChange): Promise<{ id: string; seq: number }> {
    const ts = new Date(this.now()).toISOString();
    const info = this.db
      .prepare("INSERT INTO am_mirror_outbox (target, external_id, action, payload, next_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)")
      .run(this.target, change.externalId, change.action, encodeChange(change), this.now(), ts, ts);
    const id = Number(info.lastInsertRowid);
    return { id: String(id), seq: id };
  }

  async claim(limit: number): Promise<OutboxEntry[]> {
    const now = this.now();
    const pick = this.db.prepare(
      `SELECT o.id, o.external_id, o.action, o.payload, o.attempts, o.last_error, o.updated_at FROM am_mirror_outbox o
        WHERE o.target = ? AND o.status = 'pending' AND o.next_at <= ? AND o.lease_until <= ?
          AND NOT EXISTS (SELECT 1 FROM am_mirror_outbox p
                           WHERE p.target = o.target AND p.external_id = o.external_id AND p.status = 'pending' AND p.id < o.id)
        ORDER BY o.id LIMIT ?`,
    );
    const lease = this.db.prepare("UPDATE am_mirror_outbox SET lease_until = ? WHERE id = ? AND lease_until <= ?");
    // IMMEDIATE: two processes on one ledger file never lease the same row.
    const rows = this.db
      .transaction(() => {
        const got = pick.all(this.target, now, now, limit) as Row[];
        return got.filter((r) => lease.run(now + this.leaseMs, r.id, now).changes === 1);
      })
      .immediate();
    return rows.map((r) => ({ id: String(r.id), seq: r.id, externalId: r.external_id, change: decodeChange(r.payload), attempts: r.attempts }));
  }

  async complete(entry: OutboxEntry): Promise<void> {
    this.db.prepare("DELETE FROM am_mirror_outbox WHERE id = ?").run(Number(entry.id));
  }

  async retry(entry: OutboxEntry, reason: string, delayMs: number): Promise<void> {
    this.db
      .prepare("UPDATE am_mirror_outbox SET attempts = attempts + 1, next_at = ?, lease_until = 0, last_error = ?, updated_at = ? WHERE id = ?")
      .run(this.now() + delayMs, reason, new Date(this.now()).toISOString(), Number(entry.id));
  }

  async dead(entry: OutboxEntry, reason: string): Promise<void> {
    this.db
      .prepare("UPDATE am_mirror_outbox SET status = 'dead', attempts = ?, payload = ?, lease_until = 0, last_error = ?, updated_at = ? WHERE id = ?")
      .run(entry.attempts, encodeChange(scrubChange(entry.change)), reason, new Date(this.now()).toISOString(), Number(entry.id));
  }

  async depth(): Promise<OutboxDepth> {
    const rows = this.db.prepare("SELECT status, COUNT(*) AS n FROM am_mirror_outbox WHERE target = ? GROUP BY status").all(this.target) as { status: string; n: number }[];
    const by = Object.fromEntries(rows.map((r) => [r.status, r.n]));
    return { pending: by.pending ?? 0, dead: by.dead ?? 0 };
  }

  async deadLetters(limit = 100): Promise<DeadLetter[]> {
    const rows = this.db.prepare("SELECT * FROM am_mirror_outbox WHERE target = ? AND status = 'dead' ORDER BY id LIMIT ?").all(this.target, limit) as Row[];
    return rows.map((r) => ({ externalId: r.external_id, action: r.action as DeadLetter["action"], attempts: r.attempts, reason: r.last_error ?? "", at: r.updated_at }));
  }

  async nextDueInMs(): Promise<number | undefined> {
    const r = this.db.prepare("SELECT MIN(MAX(next_at, lease_until)) AS t FROM am_mirror_outbox WHERE target = ? AND status = 'pending'").get(this.target) as { t: number | null };
    return r.t === null ? undefined : Math.max(0, r.t - this.now());
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
