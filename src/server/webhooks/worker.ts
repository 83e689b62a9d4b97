/**
 * The inbox processor: leases due events, maps each to a canonical change, applies it (legacy DB,
 * ledger), and marks it done — at least once, with idempotent applies. Failures are retried with
 * exponential backoff; after `maxAttempts` (or at once for an event that can never be mapped) the
 * event is dead-lettered with its last error. Out-of-order deliveries: a change older than the
 * newest one applied for that user is skipped, and after a delete no upsert is applied.
 */
import { errorMessage } from "../../errors.js";
import type { Logger } from "../log.js";
import type { LedgerLinker } from "./apply/ledger.js";
import type { LegacyApplier, LegacyResult } from "./apply/legacy.js";
import type { WebhookScheme, WebhooksConfig } from "./config.js";
import type { SqlExec } from "./apply/sql-exec.js";
import type { BatchOutcome, Inbox, InboxRow, SubjectState } from "./inbox/types.js";
import { toChange, UnmappableEvent, type Change } from "./map/index.js";

type Staged =
  | { row: InboxRow; error: unknown }
  | {
      row: InboxRow;
      parts: string[];
      skipped: boolean;
      subject?: { targetId: string; state: SubjectState };
      link?: { key: string; change: Exclude<Change, { kind: "ignore" }> };
    };

/** SQLite calls are synchronous: let pending acknowledgements run between events. */
const yieldToAcks = () => new Promise<void>((r) => setImmediate(r));

export interface WorkerOptions {
  inbox: Inbox;
  schemes: ReadonlyMap<string, WebhookScheme>;
  legacy?: LegacyApplier;
  ledger?: LedgerLinker;
  /** The ledger's target key (reverse lookup target id → external id). */
  ledgerTarget: string;
  settings: WebhooksConfig["worker"];
  log?: Logger;
  now?: () => number;
}

const LEASE_MS = 60_000;
const PRUNE_EVERY_MS = 3600_000;
const MAX_BACKOFF_MS = 10 * 60_000;

export class WebhookWorker {
  private stopped = true;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private kicked = false;
  readonly counts = { applied: 0, skipped: 0, failed: 0, dead: 0 };
  private readonly now: () => number;
  private readonly log: Logger;
  private prunedAt = -Infinity;

  constructor(private readonly o: WorkerOptions) {
    this.now = o.now ?? Date.now;
    this.log = o.log ?? (() => {});
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.loop = this.run();
  }

  /** New events arrived: process now instead of at the next poll. */
  kick(): void {
    this.kicked = true;
    this.wake?.();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let n = 0;
      try {
        n = await this.tick();
      } catch (e) {
        this.log({ event: "webhook_worker_error", code: (e as { code?: string }).code ?? (e as Error).name, message: errorMessage(e).slice(0, 200) });
      }
      if (n === 0 && !this.kicked && !this.stopped) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, this.o.settings.intervalMs);
          this.wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
        this.wake = undefined;
      }
      this.kicked = false;
    }
  }

  /** Hourly: drop applied events older than `retainDays` (the inbox would otherwise grow forever). */
  private async pruneIfDue(): Promise<void> {
    const days = this.o.settings.retainDays;
    const now = this.now();
    if (!days || now - this.prunedAt < PRUNE_EVERY_MS) return;
    this.prunedAt = now;
    const n = await this.o.inbox.prune(now - days * 86_400_000);
    if (n) this.log({ event: "webhook_inbox_pruned", count: n, retainDays: days });
  }

  /**
   * Process one batch of due events; returns how many were handled. With a legacy database the
   * batch runs in ONE legacy transaction with a savepoint per event (a per-event commit costs
   * several fsyncs on a SQLite legacy file, which would also stall acknowledgements); the ledger
   * links, subject states and inbox statuses are written only after that commit.
   */
  async tick(): Promise<number> {
    await this.pruneIfDue();
    const rows = await this.o.inbox.claim(this.now(), this.o.settings.batchSize, LEASE_MS);
    if (rows.length === 0) return 0;
    const staged = new Map<string, SubjectState>();
    const results: Staged[] = [];
    const legacy = this.o.legacy;
    if (legacy) {
      try {
        await legacy.tx(async (x) => {
          for (const row of rows) {
            await x.savepoint("set");
            try {
              results.push(await this.stage(row, staged, x));
              await x.savepoint("release");
            } catch (e) {
              await x.savepoint("rollback");
              await x.savepoint("release");
              results.push({ row, error: e });
            }
            await yieldToAcks();
          }
        });
      } catch (e) {
        // The commit failed: nothing of this batch reached the legacy DB; retry every event.
        for (const r of results) if (!("error" in r)) Object.assign(r, { error: e });
      }
    } else {
      for (const row of rows) {
        try {
          results.push(await this.stage(row, staged, undefined));
        } catch (e) {
          results.push({ row, error: e });
        }
      }
    }
    const out: BatchOutcome = { done: [], failed: [], subjects: [] };
    for (const r of results) {
      if ("error" in r) this.failed(out, r.row, r.error);
      else await this.finish(out, r);
    }
    // One inbox transaction for the whole batch: the HTTP path's inserts wait on one lock, not three per event.
    await this.o.inbox.settle(out, this.now());
    return rows.length;
  }

  /** Process until nothing is due (tests, shutdown). */
  async drain(): Promise<void> {
    while ((await this.tick()) > 0);
  }

  private failed(out: BatchOutcome, row: InboxRow, e: unknown): void {
    const permanent = e instanceof UnmappableEvent;
    const dead = permanent || row.attempts >= this.o.settings.maxAttempts;
    const delay = Math.min(MAX_BACKOFF_MS, this.o.settings.backoffMs * 2 ** (row.attempts - 1));
    const msg = errorMessage(e);
    out.failed.push({ id: row.id, error: permanent ? `unmappable: ${msg}` : msg, retryAt: dead ? null : this.now() + delay });
    if (dead) this.counts.dead++;
    else this.counts.failed++;
    this.log({ event: dead ? "webhook_dead_lettered" : "webhook_retry", provider: row.provider, eventType: row.type, attempt: row.attempts, code: (e as { code?: string }).code ?? (e as Error).name, ...(dead ? {} : { retryInMs: delay }) });
  }

  /** After the legacy commit: ledger link; subject state and inbox status go into the batch outcome. */
  private async finish(out: BatchOutcome, r: Exclude<Staged, { error: unknown }>): Promise<void> {
    const { row } = r;
    const parts = r.parts;
    try {
      if (r.link && this.o.ledger) {
        const c = r.link.change;
        parts.push(`ledger:${c.kind === "upsert" ? await this.o.ledger.link(r.link.key, c.targetId, c.fields.email) : await this.o.ledger.deleted(r.link.key)}`);
      }
    } catch (e) {
      // The legacy write is committed and idempotent: retrying the whole event is safe.
      return this.failed(out, row, e);
    }
    if (r.subject) out.subjects.push({ provider: row.provider, targetId: r.subject.targetId, state: r.subject.state });
    const outcome = parts.join(" ") || "no_apply_configured";
    out.done.push({ id: row.id, outcome });
    if (r.skipped) this.counts.skipped++;
    else this.counts.applied++;
    this.log({ event: "webhook_applied", provider: row.provider, eventType: row.type, attempt: row.attempts, outcome });
  }

  /** Map and apply one event to the legacy DB (inside the batch transaction); the rest is staged for `finish`. */
  private async stage(row: InboxRow, staged: Map<string, SubjectState>, x: SqlExec | undefined): Promise<Exclude<Staged, { error: unknown }>> {
    const scheme = this.o.schemes.get(row.provider);
    if (!scheme) throw new UnmappableEvent(`provider "${row.provider}" is no longer configured`);
    const change = toChange(scheme, row.type, row.payload);
    if (change.kind === "ignore") return { row, parts: [`ignored: ${change.why}`], skipped: true };
    const sk = `${row.provider}\u0000${change.targetId}`;
    const state = staged.get(sk) ?? (await this.o.inbox.subject(row.provider, change.targetId));
    if (state?.deleted && change.kind === "upsert") return { row, parts: ["after_delete"], skipped: true };
    if (row.occurredAt !== null && state?.lastAt != null && row.occurredAt < state.lastAt) return { row, parts: ["stale_event"], skipped: true };
    const at = row.occurredAt ?? this.now();
    const externalId = change.externalId ?? (await this.o.inbox.externalIdFor(this.o.ledgerTarget, change.targetId)) ?? null;
    const parts: string[] = [];
    let legacy: LegacyResult | undefined;
    if (this.o.legacy && x) {
      legacy = change.kind === "upsert" ? await this.o.legacy.upsert({ ...change, externalId }, at, x) : await this.o.legacy.delete({ ...change, externalId }, at, x);
      parts.push(`legacy:${legacy.outcome}`);
    }
    const key = legacy?.key ?? externalId;
    const next: SubjectState = { lastAt: Math.max(state?.lastAt ?? 0, row.occurredAt ?? 0) || null, deleted: change.kind === "delete" };
    staged.set(sk, next);
    return { row, parts, skipped: false, subject: { targetId: change.targetId, state: next }, ...(key ? { link: { key, change } } : {}) };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
  }
}
