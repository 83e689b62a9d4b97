import path from "node:path";
import { applyChange } from "./mirror.js";
import { PgOutboxStore, type PgOutboxOptions } from "./outbox-pg.js";
import { SqliteOutboxStore } from "./outbox-sqlite.js";
import type { DeadLetter, OutboxDepth, OutboxEntry, OutboxStore } from "./outbox-types.js";
import type { MirrorChange, MirrorContext, MirrorResult } from "./types.js";

export interface OutboxOptions {
  /** Deliveries of one change before it is dead-lettered (default 25: with the default delays, about 1.5 h of outage). */
  maxAttempts?: number;
  /** First retry delay; doubles per attempt up to `maxDelayMs` (a longer Retry-After wins). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Changes claimed per drain pass (default 50) and delivered at once (default 8, distinct users). */
  batchSize?: number;
  concurrency?: number;
  /** Called for every delivery (for logs/metrics). Results carry no password or hash. */
  onResult?: (result: MirrorResult, entry: { attempts: number; outcome: "delivered" | "retry" | "dead" }) => void;
  /**
   * Try to deliver inside `submit` (default true: the caller gets the result when the target
   * answers). `false`: `submit` only stores the change and delivery happens in the background —
   * the request path never waits for a slow or down target (lookups retry for seconds).
   */
  inline?: boolean;
  /** Errors of the queue itself (ledger database unreachable) in the worker or after a change was stored. */
  onError?: (error: unknown) => void;
}

export interface SubmitResult {
  /** Set when the change was delivered during the call (else it waits in the queue). */
  result?: MirrorResult;
  queued: boolean;
}

export interface DrainStats {
  delivered: number;
  retried: number;
  dead: number;
}

/** Exponential backoff with ±20 % jitter; a Retry-After longer than that wins. */
export function backoffMs(attempt: number, base: number, max: number, retryAfterMs?: number): number {
  const exp = Math.min(max, base * 2 ** Math.max(0, attempt - 1));
  const jittered = exp * (0.8 + Math.random() * 0.4);
  return Math.round(Math.max(retryAfterMs ?? 0, Math.min(max, jittered)));
}

/**
 * Durable outbox of mirror changes (seed 003 step 1 + issue 8): every change is written to the
 * ledger database first, then delivered; a delivery that fails for a reason that may pass (target
 * down, 429, 5xx, network) stays queued and is retried with backoff, one change per user at a
 * time in the order they were submitted, until it lands or is dead-lettered after `maxAttempts`.
 * Changes that fail for good (e.g. an identifier owned by another user) are dead-lettered at once.
 */
export class Outbox {
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly batchSize: number;
  private readonly concurrency: number;
  private readonly waiters = new Map<string, (r: MirrorResult) => void>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;

  constructor(
    readonly store: OutboxStore,
    private readonly ctx: MirrorContext,
    private readonly opts: OutboxOptions = {},
  ) {
    this.maxAttempts = opts.maxAttempts ?? 25;
    this.baseDelayMs = opts.baseDelayMs ?? 1000;
    this.maxDelayMs = opts.maxDelayMs ?? 5 * 60_000;
    this.batchSize = opts.batchSize ?? 50;
    this.concurrency = opts.concurrency ?? 8;
  }

  /**
   * Queue a change durably, then try to deliver what is due (this change included, unless an
   * earlier change of the same user is still waiting: it never overtakes).
   */
  async submit(change: MirrorChange): Promise<SubmitResult> {
    // An upsert never sets a password: its hash is not kept in the queue.
    const stored: MirrorChange = change.action === "upsert" ? { ...change, user: { ...change.user, credential: { kind: "none" } } } : change;
    const { id } = await this.store.enqueue(stored);
    if (this.opts.inline === false) {
      // Fire and forget: the request path only pays for the insert.
      void this.drain({ passes: 1 }).catch((e: unknown) => this.opts.onError?.(e));
      return { queued: true };
    }
    let result: MirrorResult | undefined;
    this.waiters.set(id, (r) => (result = r));
    try {
      await this.drain({ passes: 1 });
    } catch (e) {
      // Stored already: the worker (or the next drain) delivers it; the caller's write stands.
      this.opts.onError?.(e);
    } finally {
      this.waiters.delete(id);
    }
    return result ? { result, queued: false } : { queued: true };
  }

  /** Deliver due changes; `passes` bounds the work (default: until nothing is due now). */
  async drain(opts: { passes?: number } = {}): Promise<DrainStats> {
    const stats: DrainStats = { delivered: 0, retried: 0, dead: 0 };
    for (let pass = 0; opts.passes === undefined || pass < opts.passes; pass++) {
      const entries = await this.store.claim(this.batchSize);
      if (!entries.length) break;
      let next = 0;
      const worker = async () => {
        while (next < entries.length) await this.deliver(entries[next++]!, stats);
      };
      await Promise.all(Array.from({ length: Math.min(this.concurrency, entries.length) }, worker));
    }
    return stats;
  }

  private async deliver(entry: OutboxEntry, stats: DrainStats): Promise<void> {
    let result: MirrorResult;
    try {
      result = await applyChange(this.ctx, entry.change);
    } catch (e) {
      // applyChange reports target errors in its result; a throw here is a bug or a ledger outage: retry.
      result = { action: entry.change.action, externalId: entry.externalId, status: "failed", ops: [], errors: [(e as Error).message], retryable: true };
    }
    const attempts = entry.attempts + 1;
    let outcome: "delivered" | "retry" | "dead";
    if (result.status !== "failed") {
      await this.store.complete(entry);
      outcome = "delivered";
      stats.delivered++;
    } else if (result.retryable && attempts < this.maxAttempts) {
      await this.store.retry(entry, result.errors.join("; ").slice(0, 500), backoffMs(attempts, this.baseDelayMs, this.maxDelayMs, result.retryAfterMs));
      outcome = "retry";
      stats.retried++;
    } else {
      const why = result.retryable ? `gave up after ${attempts} attempts: ` : "";
      await this.store.dead({ ...entry, attempts }, `${why}${result.errors.join("; ")}`.slice(0, 1000));
      outcome = "dead";
      stats.dead++;
    }
    this.opts.onResult?.(result, { attempts, outcome });
    if (outcome !== "retry") this.waiters.get(entry.id)?.(result);
  }

  /** Background worker: drains, then sleeps until the next change is due (at most `intervalMs`). */
  start(intervalMs = 1000): void {
    if (!this.stopped) return;
    this.stopped = false;
    const tick = async () => {
      if (this.stopped) return;
      let wait = intervalMs;
      try {
        await this.drain();
        const due = await this.store.nextDueInMs();
        if (due !== undefined) wait = Math.min(intervalMs, Math.max(10, due));
      } catch (e) {
        // The ledger database is unreachable: try again next tick.
        this.opts.onError?.(e);
      }
      if (!this.stopped) this.timer = setTimeout(() => void (this.running = tick()), wait);
    };
    this.running = tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** Queue depth for metrics (`pending` waiting or in flight, `dead` given up). */
  outboxDepth(): Promise<OutboxDepth> {
    return this.store.depth();
  }

  deadLetters(limit?: number): Promise<DeadLetter[]> {
    return this.store.deadLetters(limit);
  }

  async close(): Promise<void> {
    await this.stop();
    await this.store.close();
  }
}

/** The outbox in the ledger's database: same `ledger.url` (SQLite file or postgres:// URL), rows scoped by target key. */
export function openOutboxStore(ledgerUrl: string, targetKey: string, cwd: string, pgOptions: PgOutboxOptions = {}): OutboxStore {
  if (/^postgres(ql)?:\/\//.test(ledgerUrl)) return new PgOutboxStore(ledgerUrl, targetKey, pgOptions);
  const file = ledgerUrl.startsWith("sqlite:") ? ledgerUrl.slice("sqlite:".length) : ledgerUrl;
  return new SqliteOutboxStore(file === ":memory:" ? file : path.resolve(cwd, file), targetKey, pgOptions.leaseMs);
}
