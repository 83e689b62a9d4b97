/**
 * The webhook inbox: every verified event is persisted (unique per provider + event id) before
 * the sender gets its 2xx, then processed by the worker at least once. A redelivery of an event
 * already in the inbox is a no-op, so nothing is ever applied twice because of the sender.
 */
import type { ParsedEvent } from "../parse.js";

export type InboxStatus = "pending" | "done" | "dead";

export interface InboxRow {
  id: number;
  provider: string;
  eventId: string;
  type: string;
  payload: string;
  occurredAt: number | null;
  attempts: number;
}

/** Per target user and provider: the newest event time applied, and whether a delete was applied (deletions win). */
export interface SubjectState {
  lastAt: number | null;
  deleted: boolean;
}

/** Everything a processed batch writes back, in one transaction (one lock, one round trip). */
export interface BatchOutcome {
  done: { id: number; outcome: string }[];
  /** `retryAt` null = dead-letter. */
  failed: { id: number; error: string; retryAt: number | null }[];
  subjects: { provider: string; targetId: string; state: SubjectState }[];
}

export interface Inbox {
  readonly kind: "sqlite" | "postgres";
  /** Insert; existing (provider, eventId) pairs are left alone. Returns how many were new. */
  add(provider: string, events: readonly ParsedEvent[], now: number): Promise<number>;
  /** Lease up to `limit` due pending rows (next try pushed `leaseMs` ahead), oldest first. */
  claim(now: number, limit: number, leaseMs: number): Promise<InboxRow[]>;
  complete(id: number, outcome: string, now: number): Promise<void>;
  /** A failed attempt: retry at `retryAt`, or dead-letter when `retryAt` is null. `error` must not hold secrets. */
  fail(id: number, error: string, retryAt: number | null, now: number): Promise<void>;
  settle(batch: BatchOutcome, now: number): Promise<void>;
  subject(provider: string, targetId: string): Promise<SubjectState | undefined>;
  setSubject(provider: string, targetId: string, s: SubjectState): Promise<void>;
  /** Reverse lookup in the ledger's am_users (same database): the external id linked to a target id. */
  externalIdFor(ledgerTarget: string, targetId: string): Promise<string | undefined>;
  /**
   * Deletes `done` rows processed before `before` (epoch ms); returns how many. Dead letters stay
   * until an operator has seen them. Dedupe of redeliveries relies on these rows, so keep them
   * longer than any sender retries (days) — see `worker.retainDays`.
   */
  prune(before: number): Promise<number>;
  counts(): Promise<Record<InboxStatus, number>>;
  /** Rows for `authmigrate`'s own inspection and tests (newest first). */
  list(filter?: { status?: InboxStatus; provider?: string; limit?: number }): Promise<(InboxRow & { status: InboxStatus; lastError: string | null; outcome: string | null })[]>;
  close(): Promise<void>;
}
