import pg from "pg";
import { AuthmigrateError } from "../../../errors.js";
import { parseDbUrl, unreachable, type DbTarget } from "../../../sources/db-url.js";
import type { ParsedEvent } from "../parse.js";
import { INBOX_DDL, clip, toRow, type RawRow } from "./sql.js";
import type { BatchOutcome, Inbox, InboxRow, InboxStatus, SubjectState } from "./types.js";

/** The inbox in the ledger's PostgreSQL database. Claims use SKIP LOCKED, so several `serve` processes can share it. */
export class PostgresInbox implements Inbox {
  readonly kind = "postgres" as const;
  private readonly pool: pg.Pool;
  private readonly db: DbTarget;
  private ready: Promise<void> | undefined;

  constructor(url: string) {
    this.db = parseDbUrl(url, "PostgreSQL", 5432);
    this.pool = new pg.Pool({ connectionString: url, max: 8 });
    this.pool.on("error", () => undefined);
  }

  private init(): Promise<void> {
    this.ready ??= (async () => {
      try {
        const c = await this.pool.connect();
        try {
          await c.query("SELECT pg_advisory_lock(727275)");
          for (const ddl of INBOX_DDL) await c.query(ddl.replace("INTEGER PRIMARY KEY %AUTO%", "BIGSERIAL PRIMARY KEY"));
          await c.query("SELECT pg_advisory_unlock(727275)");
        } finally {
          c.release();
        }
      } catch (e) {
        this.ready = undefined;
        throw unreachable("the PostgreSQL webhook inbox", this.db, e, "INBOX_UNAVAILABLE");
      }
    })();
    return this.ready;
  }

  private async q<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<pg.QueryResult<R>> {
    await this.init();
    try {
      return await this.pool.query<R>(sql, params);
    } catch (e) {
      throw new AuthmigrateError("INBOX_QUERY_FAILED", `webhook inbox query failed on postgres ${this.db.host}:${this.db.port}/${this.db.database}: ${(e as Error).message}`, { cause: e, retryable: true });
    }
  }

  /** Opens the connection and creates the tables now (startup), rather than on the first delivery. */
  async open(): Promise<void> {
    await this.init();
  }

  async add(provider: string, events: readonly ParsedEvent[], now: number): Promise<number> {
    if (events.length === 1) {
      const e = events[0]!;
      const r = await this.q(
        `INSERT INTO am_webhook_inbox (provider, event_id, type, payload, occurred_at, received_at, next_at) VALUES ($1,$2,$3,$4,$5,$6,$6) ON CONFLICT (provider, event_id) DO NOTHING`,
        [provider, e.eventId, e.type, e.payload, e.occurredAt, now],
      );
      return r.rowCount ?? 0;
    }
    // One statement for a batch (Prelude): atomic, and one round trip.
    const r = await this.q(
      `INSERT INTO am_webhook_inbox (provider, event_id, type, payload, occurred_at, received_at, next_at)
       SELECT $1, e.event_id, e.type, e.payload, e.occurred_at, $2, $2
       FROM UNNEST($3::text[], $4::text[], $5::text[], $6::bigint[]) AS e(event_id, type, payload, occurred_at)
       ON CONFLICT (provider, event_id) DO NOTHING`,
      [provider, now, events.map((e) => e.eventId), events.map((e) => e.type), events.map((e) => e.payload), events.map((e) => e.occurredAt)],
    );
    return r.rowCount ?? 0;
  }

  async claim(now: number, limit: number, leaseMs: number): Promise<InboxRow[]> {
    const r = await this.q<RawRow>(
      `UPDATE am_webhook_inbox SET next_at = $1, attempts = attempts + 1
       WHERE id IN (SELECT id FROM am_webhook_inbox WHERE status = 'pending' AND next_at <= $2 ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED)
       RETURNING id, provider, event_id, type, payload, occurred_at, attempts`,
      [now + leaseMs, now, limit],
    );
    return r.rows.map(toRow).sort((a, b) => a.id - b.id);
  }

  async complete(id: number, outcome: string, now: number): Promise<void> {
    await this.q("UPDATE am_webhook_inbox SET status = 'done', outcome = $1, processed_at = $2, last_error = NULL WHERE id = $3", [outcome, now, id]);
  }

  async fail(id: number, error: string, retryAt: number | null, now: number): Promise<void> {
    if (retryAt === null) await this.q("UPDATE am_webhook_inbox SET status = 'dead', last_error = $1, processed_at = $2 WHERE id = $3", [clip(error), now, id]);
    else await this.q("UPDATE am_webhook_inbox SET next_at = $1, last_error = $2 WHERE id = $3", [retryAt, clip(error), id]);
  }

  async prune(before: number): Promise<number> {
    return (await this.q("DELETE FROM am_webhook_inbox WHERE status = 'done' AND processed_at < $1", [before])).rowCount ?? 0;
  }

  async settle(b: BatchOutcome, now: number): Promise<void> {
    await this.init();
    const c = await this.pool.connect();
    try {
      await c.query("BEGIN");
      for (const s of b.subjects) {
        await c.query(
          "INSERT INTO am_webhook_subjects (provider, target_id, last_at, deleted) VALUES ($1,$2,$3,$4) ON CONFLICT (provider, target_id) DO UPDATE SET last_at = excluded.last_at, deleted = excluded.deleted",
          [s.provider, s.targetId, s.state.lastAt, s.state.deleted ? 1 : 0],
        );
      }
      if (b.done.length) {
        await c.query(
          `UPDATE am_webhook_inbox AS i SET status = 'done', outcome = d.outcome, processed_at = $1, last_error = NULL
           FROM UNNEST($2::bigint[], $3::text[]) AS d(id, outcome) WHERE i.id = d.id`,
          [now, b.done.map((d) => d.id), b.done.map((d) => d.outcome)],
        );
      }
      for (const f of b.failed) {
        if (f.retryAt === null) await c.query("UPDATE am_webhook_inbox SET status = 'dead', last_error = $1, processed_at = $2 WHERE id = $3", [clip(f.error), now, f.id]);
        else await c.query("UPDATE am_webhook_inbox SET next_at = $1, last_error = $2 WHERE id = $3", [f.retryAt, clip(f.error), f.id]);
      }
      await c.query("COMMIT");
    } catch (e) {
      await c.query("ROLLBACK").catch(() => undefined);
      throw new AuthmigrateError("INBOX_QUERY_FAILED", `webhook inbox update failed on postgres ${this.db.host}:${this.db.port}/${this.db.database}: ${(e as Error).message}`, { cause: e, retryable: true });
    } finally {
      c.release();
    }
  }

  async subject(provider: string, targetId: string): Promise<SubjectState | undefined> {
    const r = await this.q<{ last_at: string | null; deleted: number }>("SELECT last_at, deleted FROM am_webhook_subjects WHERE provider = $1 AND target_id = $2", [provider, targetId]);
    const row = r.rows[0];
    return row ? { lastAt: row.last_at === null ? null : Number(row.last_at), deleted: Number(row.deleted) === 1 } : undefined;
  }

  async setSubject(provider: string, targetId: string, s: SubjectState): Promise<void> {
    await this.q(
      "INSERT INTO am_webhook_subjects (provider, target_id, last_at, deleted) VALUES ($1,$2,$3,$4) ON CONFLICT (provider, target_id) DO UPDATE SET last_at = excluded.last_at, deleted = excluded.deleted",
      [provider, targetId, s.lastAt, s.deleted ? 1 : 0],
    );
  }

  async externalIdFor(ledgerTarget: string, targetId: string): Promise<string | undefined> {
    await this.init();
    try {
      const r = await this.pool.query<{ external_id: string }>("SELECT external_id FROM am_users WHERE target = $1 AND target_id = $2 LIMIT 1", [ledgerTarget, targetId]);
      return r.rows[0]?.external_id;
    } catch {
      return undefined; // no ledger tables in this database
    }
  }

  async counts(): Promise<Record<InboxStatus, number>> {
    const out: Record<InboxStatus, number> = { pending: 0, done: 0, dead: 0 };
    const r = await this.q<{ status: InboxStatus; n: string }>("SELECT status, COUNT(*) AS n FROM am_webhook_inbox GROUP BY status");
    for (const row of r.rows) out[row.status] = Number(row.n);
    return out;
  }

  async list(filter: { status?: InboxStatus; provider?: string; limit?: number } = {}) {
    const r = await this.q<RawRow>(
      `SELECT id, provider, event_id, type, payload, occurred_at, attempts, status, last_error, outcome FROM am_webhook_inbox
       WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR provider = $2) ORDER BY id DESC LIMIT $3`,
      [filter.status ?? null, filter.provider ?? null, filter.limit ?? 100],
    );
    return r.rows.map((row) => ({ ...toRow(row), status: row.status as InboxStatus, lastError: row.last_error ?? null, outcome: row.outcome ?? null }));
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
