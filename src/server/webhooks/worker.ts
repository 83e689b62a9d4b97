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
import type { Inbox, InboxRow } from "./inbox/index.js";
import { toChange, UnmappableEvent } from "./map/index.js";

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
const MAX_BACKOFF_MS = 10 * 60_000;

export class WebhookWorker {
  private stopped = true;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private kicked = false;
  readonly counts = { applied: 0, skipped: 0, failed: 0, dead: 0 };
  private readonly now: () => number;
  private readonly log: Logger;

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

  /** Process one batch of due events; returns how many were handled. */
  async tick(): Promise<number> {
    const rows = await this.o.inbox.claim(this.now(), this.o.settings.batchSize, LEASE_MS);
    for (const row of rows) await this.process(row);
    return rows.length;
  }

  /** Process until nothing is due (tests, shutdown). */
  async drain(): Promise<void> {
    while ((await this.tick()) > 0);
  }

  private async process(row: InboxRow): Promise<void> {
    const started = this.now();
    const base = { provider: row.provider, eventType: row.type, attempt: row.attempts };
    try {
      const outcome = await this.apply(row);
      await this.o.inbox.complete(row.id, outcome, this.now());
      if (/^(ignored|stale_event|after_delete)/.test(outcome)) this.counts.skipped++;
      else this.counts.applied++;
      this.log({ event: "webhook_applied", ...base, outcome, ms: this.now() - started });
    } catch (e) {
      const permanent = e instanceof UnmappableEvent;
      const dead = permanent || row.attempts >= this.o.settings.maxAttempts;
      const delay = Math.min(MAX_BACKOFF_MS, this.o.settings.backoffMs * 2 ** (row.attempts - 1));
      const msg = errorMessage(e);
      await this.o.inbox.fail(row.id, permanent ? `unmappable: ${msg}` : msg, dead ? null : this.now() + delay, this.now());
      if (dead) this.counts.dead++;
      else this.counts.failed++;
      this.log({ event: dead ? "webhook_dead_lettered" : "webhook_retry", ...base, code: (e as { code?: string }).code ?? (e as Error).name, ...(dead ? {} : { retryInMs: delay }) });
    }
  }

  private async apply(row: InboxRow): Promise<string> {
    const scheme = this.o.schemes.get(row.provider);
    if (!scheme) throw new UnmappableEvent(`provider "${row.provider}" is no longer configured`);
    const change = toChange(scheme, row.type, row.payload);
    if (change.kind === "ignore") return `ignored: ${change.why}`;
    const state = await this.o.inbox.subject(row.provider, change.targetId);
    if (state?.deleted && change.kind === "upsert") return "after_delete";
    if (row.occurredAt !== null && state?.lastAt != null && row.occurredAt < state.lastAt) return "stale_event";
    const at = row.occurredAt ?? this.now();
    const externalId = change.externalId ?? (await this.o.inbox.externalIdFor(this.o.ledgerTarget, change.targetId)) ?? null;
    const parts: string[] = [];
    let legacy: LegacyResult | undefined;
    if (this.o.legacy) {
      legacy = change.kind === "upsert" ? await this.o.legacy.upsert({ ...change, externalId }, at) : await this.o.legacy.delete({ ...change, externalId }, at);
      parts.push(`legacy:${legacy.outcome}`);
    }
    const key = legacy?.key ?? externalId;
    if (this.o.ledger && key) {
      parts.push(`ledger:${change.kind === "upsert" ? await this.o.ledger.link(key, change.targetId, change.fields.email) : await this.o.ledger.deleted(key)}`);
    }
    const lastAt = Math.max(state?.lastAt ?? 0, row.occurredAt ?? 0) || null;
    await this.o.inbox.setSubject(row.provider, change.targetId, { lastAt, deleted: change.kind === "delete" });
    return parts.join(" ") || "no_apply_configured";
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
  }
}
