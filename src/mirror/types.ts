import type { Ledger } from "../ledger/types.js";
import type { HashCredential, MigrationUser } from "../model/user.js";
import type { MirrorCapabilities, MirrorIdentifierKind, TargetInstance } from "../targets/types.js";

export type { MirrorCapabilities, MirrorIdentifier, MirrorIdentifierKind, MirrorProfilePatch, MirrorSlots, IdentifierOpResult } from "../targets/types.js";

/** What the mirror works on: a target instance, what it can do, and (optionally) the migration's ledger. */
export interface MirrorContext {
  instance: TargetInstance;
  /** `capabilities.mirror` of the target (absent = every mirror call answers `unsupported`). */
  capabilities: MirrorCapabilities | undefined;
  /** The legacyId → targetId mapping is read from here first (targets without an external-id lookup need it). */
  ledger?: Ledger;
}

/**
 * One change to mirror. Serialisable (the outbox stores it): users travel as JSON and are re-parsed.
 * `password` carries a hash, never a plain password (dual-write hashes it before enqueueing).
 */
export type MirrorChange =
  | { action: "upsert"; externalId: string; user: MigrationUser }
  | { action: "delete"; externalId: string }
  | { action: "signup"; externalId: string; user: MigrationUser }
  | { action: "email"; externalId: string; email: string; previousEmail?: string }
  | { action: "password"; externalId: string; credential: HashCredential };

export type MirrorAction = MirrorChange["action"];

/**
 * `applied`: every op succeeded (NotFound / AlreadyExists count as success). `skipped`: nothing to
 * do (`not_migrated`: no target user yet — seed 003 "skip silently"; `exists` for a sign-up that
 * was already there). `failed`: at least one op failed (see `errors`; `retryable` when all of them
 * may succeed later). `unsupported`: the target cannot do this (its capability says so).
 */
export type MirrorStatus = "applied" | "skipped" | "failed" | "unsupported";

export interface MirrorOpResult {
  op: "profile" | "add" | "remove" | "delete" | "password" | "reset" | "create";
  kind?: MirrorIdentifierKind;
  value?: string;
  outcome: "done" | "not_found" | "already_exists" | "failed";
  /** One line, never a secret: `code:message`. */
  error?: string;
  retryable?: boolean;
}

export interface MirrorResult {
  action: MirrorAction;
  externalId: string;
  status: MirrorStatus;
  reason?: string;
  targetId?: string;
  ops: MirrorOpResult[];
  /** Every failed op's error (ops ran to the end: no short-circuit). */
  errors: string[];
  /** Some failure may succeed if tried again (429, 5xx, timeout, network): the outbox retries it. */
  retryable: boolean;
  /** Largest Retry-After the target sent, in ms. */
  retryAfterMs?: number;
}
