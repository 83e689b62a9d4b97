import pg from "pg";
import PgBoss from "pg-boss";
import { AuthmigrateError } from "../errors.js";
import { parseDbUrl, unreachable } from "../sources/db-url.js";
import { decodeChange, encodeChange, scrubChange } from "./outbox-codec.js";
import type { DeadLetter, OutboxDepth, OutboxEntry, OutboxStore } from "./outbox-types.js";
import type { MirrorChange } from "./types.js";

/**
 * The outbox on the PostgreSQL ledger: pg-boss 10 (in its own schema) stores and delivers the
 * changes — durable, locked per job across processes, expired and re-delivered when a worker dies.
 * Per-user order is ours: `am_mirror_keys` gives every change of a user a sequence number in the
 * same transaction as the pg-boss insert, and only the change right after the user's last
 * delivered one (`done_seq + 1`) is handed out; any other fetched job is put back to start later.
 * Backoff is the job's `startAfter`, so nothing polls while a target is down. A re-delivered job
 * whose seq is already done is completed without running again (exactly once per change).
 */

const DDL = [
  `CREATE TABLE IF NOT EXISTS am_mirror_keys (
     target TEXT NOT NULL,
     external_id TEXT NOT NULL,
     next_seq BIGINT NOT NULL,
     done_seq BIGINT NOT NULL DEFAULT 0,
     attempts INTEGER NOT NULL DEFAULT 0,
     not_before BIGINT NOT NULL DEFAULT 0,
     PRIMARY KEY (target, external_id)
   )`,
  `CREATE TABLE IF NOT EXISTS am_mirror_dead (
     id BIGSERIAL PRIMARY KEY,
     target TEXT NOT NULL,
     external_id TEXT NOT NULL,
     seq BIGINT NOT NULL,
     action TEXT NOT NULL,
     payload TEXT NOT NULL,
     attempts INTEGER NOT NULL,
     reason TEXT NOT NULL,
     created_at TEXT NOT NULL
   )`,
];

interface JobData {
  externalId: string;
  seq: number;
  change: string;
}

/** A job's re-delivery after expiry (crashed worker): pg-boss retries it this many times. */
const CRASH_RETRIES = 1000;

export interface PgOutboxOptions {
  /** pg-boss schema (default `authmigrate_outbox`). */
  schema?: string;
  /** A delivery taking longer than this is presumed dead and re-delivered. */
  leaseMs?: number;
}

export class PgOutboxStore implements OutboxStore {
  readonly kind = "postgres" as const;
  private readonly boss: PgBoss;
  private readonly pool: pg.Pool;
  private readonly queue: string;
  private ready: Promise<void> | undefined;
  private readonly leaseSec: number;
  private readonly schema: string;

  constructor(
    private readonly url: string,
    private readonly target: string,
    opts: PgOutboxOptions = {},
  ) {
    this.leaseSec = Math.max(1, Math.round((opts.leaseMs ?? 5 * 60_000) / 1000));
    this.schema = opts.schema ?? "authmigrate_outbox";
    if (!/^[a-z_][a-z0-9_]*$/.test(this.schema)) throw new AuthmigrateError("CONFIG_INVALID", `mirror outbox schema "${this.schema}" must be a plain lower-case identifier`);
    this.boss = new PgBoss({ connectionString: url, schema: this.schema, max: 3, schedule: false, supervise: true });
    // Errors of pg-boss's background maintenance must not crash the app; calls report their own.
    this.boss.on("error", () => undefined);
    this.pool = new pg.Pool({ connectionString: url, max: 3 });
    this.pool.on("error", () => undefined);
    this.queue = `mirror-${target.replace(/[^\w-]/g, "_")}`;
  }

  private init(): Promise<void> {
    this.ready ??= (async () => {
      try {
        await this.boss.start();
        if (!(await this.boss.getQueue(this.queue))) {
          await this.boss
            .createQueue(this.queue, { name: this.queue, policy: "standard", retryLimit: CRASH_RETRIES, retryDelay: 1, expireInSeconds: this.leaseSec })
            .catch(async (e: unknown) => {
              if (!(await this.boss.getQueue(this.queue))) throw e; // else: another process created it first
            });
        }
        const client = await this.pool.connect();
        try {
          await client.query("SELECT pg_advisory_lock(727275)");
          for (const ddl of DDL) await client.query(ddl);
          await client.query("SELECT pg_advisory_unlock(727275)");
        } finally {
          client.release();
        }
      } catch (e) {
        this.ready = undefined;
        throw unreachable("the PostgreSQL mirror outbox", parseDbUrl(this.url, "PostgreSQL", 5432), e, "LEDGER_UNAVAILABLE");
      }
    })();
    return this.ready;
  }

  /** One transaction on our own connection; pg-boss calls inside it go through `db`. */
  private async tx<R>(fn: (client: pg.PoolClient, db: { executeSql: (text: string, values?: unknown[]) => Promise<{ rows: unknown[] }> }) => Promise<R>): Promise<R> {
    await this.init();
    const client = await this.pool.connect();
    try {
      await client.query("BEGIN");
      const r = await fn(client, { executeSql: (text, values) => client.query(text, values as unknown[]) });
      await client.query("COMMIT");
      return r;
    } catch (e) {
      await client.query("ROLLBACK").catch(() => undefined);
      if (e instanceof AuthmigrateError) throw e;
      throw new AuthmigrateError("LEDGER_QUERY_FAILED", `mirror outbox: ${(e as Error).message}`, { cause: e, retryable: true });
    } finally {
      client.release();
    }
  }

  async enqueue(change: MirrorChange): Promise<{ id: string; seq: number }> {
    return this.tx(async (client, db) => {
      const r = await client.query<{ next_seq: string }>(
        `INSERT INTO am_mirror_keys (target, external_id, next_seq) VALUES ($1, $2, 1)
         ON CONFLICT (target, external_id) DO UPDATE SET next_seq = am_mirror_keys.next_seq + 1 RETURNING next_seq`,
        [this.target, change.externalId],
      );
      const seq = Number(r.rows[0]!.next_seq);
      const id = await this.boss.send(this.queue, { externalId: change.externalId, seq, change: encodeChange(change) } satisfies JobData, { db });
      if (!id) throw new Error("pg-boss did not create the job");
      return { id, seq };
    });
  }

  /** Put a fetched job back, to start again after `ms` (same seq: order is by seq, not by job). */
  private async putBack(job: PgBoss.Job<JobData>, ms: number): Promise<void> {
    await this.tx(async (_client, db) => {
      await this.boss.complete(this.queue, job.id, {}, { db });
      await this.boss.send(this.queue, job.data, { db, startAfter: new Date(Date.now() + Math.max(200, ms)) });
    });
  }

  async claim(limit: number): Promise<OutboxEntry[]> {
    await this.init();
    const jobs = await this.boss.fetch<JobData>(this.queue, { batchSize: limit });
    if (!jobs.length) return [];
    const keys = [...new Set(jobs.map((j) => j.data.externalId))];
    const r = await this.pool.query<{ external_id: string; done_seq: string; attempts: number; not_before: string }>(
      "SELECT external_id, done_seq, attempts, not_before FROM am_mirror_keys WHERE target = $1 AND external_id = ANY($2)",
      [this.target, keys],
    );
    const state = new Map(r.rows.map((x) => [x.external_id, { done: Number(x.done_seq), attempts: x.attempts, notBefore: Number(x.not_before) }]));
    const out: OutboxEntry[] = [];
    const now = Date.now();
    for (const job of jobs.sort((a, b) => a.data.seq - b.data.seq)) {
      const s = state.get(job.data.externalId) ?? { done: 0, attempts: 0, notBefore: 0 };
      if (job.data.seq <= s.done) {
        await this.boss.complete(this.queue, job.id); // delivered before (re-delivery after a crash)
      } else if (job.data.seq > s.done + 1 || out.some((e) => e.externalId === job.data.externalId)) {
        await this.putBack(job, Math.max(200, s.notBefore - now)); // an earlier change of this user is still pending
      } else if (s.notBefore > now) {
        await this.putBack(job, s.notBefore - now);
      } else {
        out.push({ id: job.id, seq: job.data.seq, externalId: job.data.externalId, change: decodeChange(job.data.change), attempts: s.attempts });
      }
    }
    return out;
  }

  private async advance(client: pg.PoolClient, entry: OutboxEntry): Promise<void> {
    await client.query("UPDATE am_mirror_keys SET done_seq = $3, attempts = 0, not_before = 0 WHERE target = $1 AND external_id = $2 AND done_seq < $3", [this.target, entry.externalId, entry.seq]);
  }

  async complete(entry: OutboxEntry): Promise<void> {
    await this.tx(async (client, db) => {
      await this.advance(client, entry);
      await this.boss.complete(this.queue, entry.id, {}, { db });
    });
  }

  async retry(entry: OutboxEntry, reason: string, delayMs: number): Promise<void> {
    await this.tx(async (client, db) => {
      await client.query("UPDATE am_mirror_keys SET attempts = attempts + 1, not_before = $3 WHERE target = $1 AND external_id = $2", [this.target, entry.externalId, Date.now() + delayMs]);
      await this.boss.complete(this.queue, entry.id, { retry: reason.slice(0, 300) }, { db });
      const data: JobData = { externalId: entry.externalId, seq: entry.seq, change: encodeChange(entry.change) };
      await this.boss.send(this.queue, data, { db, startAfter: new Date(Date.now() + Math.max(0, delayMs)) });
    });
  }

  async dead(entry: OutboxEntry, reason: string): Promise<void> {
    await this.tx(async (client, db) => {
      await client.query(
        "INSERT INTO am_mirror_dead (target, external_id, seq, action, payload, attempts, reason, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        [this.target, entry.externalId, entry.seq, entry.change.action, encodeChange(scrubChange(entry.change)), entry.attempts, reason, new Date().toISOString()],
      );
      await this.advance(client, entry);
      await this.boss.complete(this.queue, entry.id, {}, { db });
    });
  }

  async depth(): Promise<OutboxDepth> {
    await this.init();
    const pending = (await this.boss.getQueueSize(this.queue, { before: "completed" })) ?? 0;
    const r = await this.pool.query<{ n: string }>("SELECT COUNT(*) AS n FROM am_mirror_dead WHERE target = $1", [this.target]);
    return { pending, dead: Number(r.rows[0]!.n) };
  }

  async deadLetters(limit = 100): Promise<DeadLetter[]> {
    await this.init();
    const r = await this.pool.query<{ external_id: string; action: string; attempts: number; reason: string; created_at: string }>(
      "SELECT external_id, action, attempts, reason, created_at FROM am_mirror_dead WHERE target = $1 ORDER BY id LIMIT $2",
      [this.target, limit],
    );
    return r.rows.map((x) => ({ externalId: x.external_id, action: x.action as DeadLetter["action"], attempts: x.attempts, reason: x.reason, at: x.created_at }));
  }

  async nextDueInMs(): Promise<number | undefined> {
    await this.init();
    // pg-boss's own table: the earliest start of a waiting job of this queue.
    const r = await this.pool.query<{ t: Date | null }>(`SELECT MIN(start_after) AS t FROM ${this.schema}.job WHERE name = $1 AND state < 'active'`, [this.queue]);
    const t = r.rows[0]?.t;
    return t ? Math.max(0, t.getTime() - Date.now()) : undefined;
  }

  async close(): Promise<void> {
    await this.boss.stop({ graceful: false, wait: true, close: true }).catch(() => undefined);
    await this.pool.end().catch(() => undefined);
  }
}
