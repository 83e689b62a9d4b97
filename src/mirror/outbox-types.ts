import type { MirrorChange } from "./types.js";

/** One queued change as a store hands it out: the oldest undelivered change of its user. */
export interface OutboxEntry {
  /** Store-specific id (SQLite row id, pg-boss job id). */
  id: string;
  externalId: string;
  /** Position in the user's queue (FIFO per externalId). */
  seq: number;
  change: MirrorChange;
  /** Failed deliveries so far. */
  attempts: number;
}

export interface DeadLetter {
  externalId: string;
  action: MirrorChange["action"];
  attempts: number;
  reason: string;
  at: string;
}

export interface OutboxDepth {
  /** Changes waiting (or being delivered). */
  pending: number;
  /** Changes given up on (see deadLetters()). */
  dead: number;
}

/**
 * Durable queue of mirror changes in the ledger database. Contract: `claim` hands out only the
 * head (oldest undelivered change) of a user's queue, only when due, and never the same entry to
 * two claimers until its lease runs out — so a later change never overtakes an earlier one.
 */
export interface OutboxStore {
  readonly kind: "sqlite" | "postgres";
  enqueue(change: MirrorChange): Promise<{ id: string; seq: number }>;
  claim(limit: number): Promise<OutboxEntry[]>;
  /** Delivered (or nothing to do): the next change of the user becomes the head. */
  complete(entry: OutboxEntry): Promise<void>;
  /** Failed, try again after `delayMs` (the user's later changes keep waiting behind it). */
  retry(entry: OutboxEntry, reason: string, delayMs: number): Promise<void>;
  /** Given up: kept with its reason (hash scrubbed); the user's later changes proceed. */
  dead(entry: OutboxEntry, reason: string): Promise<void>;
  depth(): Promise<OutboxDepth>;
  deadLetters(limit?: number): Promise<DeadLetter[]>;
  /** Milliseconds until the next change is due (undefined = queue empty). */
  nextDueInMs(): Promise<number | undefined>;
  close(): Promise<void>;
}
