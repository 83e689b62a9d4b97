/** DDL shared by both backends (valid in SQLite and PostgreSQL; `%AUTO%` as in the ledger). */
export const INBOX_DDL = [
  `CREATE TABLE IF NOT EXISTS am_webhook_inbox (
     id INTEGER PRIMARY KEY %AUTO%,
     provider TEXT NOT NULL,
     event_id TEXT NOT NULL,
     type TEXT NOT NULL,
     payload TEXT NOT NULL,
     occurred_at BIGINT,
     received_at BIGINT NOT NULL,
     status TEXT NOT NULL DEFAULT 'pending',
     attempts INTEGER NOT NULL DEFAULT 0,
     next_at BIGINT NOT NULL,
     last_error TEXT,
     outcome TEXT,
     processed_at BIGINT,
     UNIQUE (provider, event_id)
   )`,
  `CREATE INDEX IF NOT EXISTS am_webhook_inbox_due ON am_webhook_inbox (status, next_at)`,
  `CREATE TABLE IF NOT EXISTS am_webhook_subjects (
     provider TEXT NOT NULL,
     target_id TEXT NOT NULL,
     last_at BIGINT,
     deleted INTEGER NOT NULL DEFAULT 0,
     PRIMARY KEY (provider, target_id)
   )`,
];

export interface RawRow {
  id: number | string;
  provider: string;
  event_id: string;
  type: string;
  payload: string;
  occurred_at: number | string | null;
  attempts: number;
  status?: string;
  last_error?: string | null;
  outcome?: string | null;
}

export function toRow(r: RawRow) {
  return {
    id: Number(r.id),
    provider: r.provider,
    eventId: r.event_id,
    type: r.type,
    payload: r.payload,
    occurredAt: r.occurred_at === null ? null : Number(r.occurred_at),
    attempts: Number(r.attempts),
  };
}

/** Errors are stored for operators: one line, bounded. */
export function clip(error: string): string {
  return error.split("\n")[0]!.slice(0, 500);
}
