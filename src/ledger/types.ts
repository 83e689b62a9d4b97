/**
 * The ledger is the durable memory of a migration: one row per legacy user and org per target,
 * with the target id, the outcome and a digest of what was sent. Resume = "everything not done";
 * re-runs compare digests; rollback reads it. Passwords and hashes are never stored here.
 */
/**
 * `pending` = intent recorded, request sent, outcome unknown (a crash here is resolved by lookup on
 * the next run). Written per user by the lazy hooks and reconcile; `run` records its intents per
 * request instead (`recordIntent`), so a user's row is written once, with its outcome.
 */
export type LedgerStatus = "pending" | "created" | "updated" | "skipped" | "failed" | "rolled_back";

export interface LedgerUser {
  externalId: string;
  email: string | null;
  /** Digest of the mapped record last sent (or decided on); a different digest means the legacy record changed. */
  digest: string | null;
  targetId: string | null;
  status: LedgerStatus;
  reason: string | null;
  /** Password strategy chosen for this user (`native`, `reset`, …). */
  strategy: string | null;
  attempts: number;
  runId: number;
  /** The run that first created this user in the target (rollback --run). */
  createdRun: number | null;
  updatedAt: string;
}

/**
 * Facts about the legacy record that the dashboard aggregates (seed 000's health block, hash
 * formats found, the failures filter by org). Never a credential: `hashFormat` is the format id.
 */
export interface LedgerUserFacts {
  emailVerified: boolean;
  hasLoggedIn: boolean;
  /** First membership's legacy org id. */
  org: string | null;
  hashFormat: string | null;
}

/** What a run records for one user; attempts, run and timestamps are the ledger's own. Without `facts`, stored facts are kept. */
export type LedgerUserWrite = Pick<LedgerUser, "externalId" | "email" | "digest" | "targetId" | "status" | "reason" | "strategy"> & { facts?: LedgerUserFacts };

export interface LedgerOrg {
  externalId: string;
  targetId: string | null;
  status: LedgerStatus;
  reason: string | null;
}

export type RunKind = "run" | "rollback" | "verify";

export interface RunRecord {
  id: number;
  kind: RunKind;
  target: string;
  startedAt: string;
  finishedAt: string | null;
  status: "running" | "completed" | "failed" | "interrupted";
  counts: Record<string, number>;
}

export interface LedgerSummary {
  target: string;
  users: Record<LedgerStatus, number>;
  /** `skipped` users that are linked to an existing target user (the rest are duplicates, inactive…). */
  linked: number;
  orgs: Record<LedgerStatus, number>;
  reasons: { reason: string; count: number }[];
  runs: RunRecord[];
}

/** A request's intent (see `Ledger.recordIntent`). */
export interface LedgerIntent {
  id: number;
  runId: number;
  externalIds: string[];
}

export interface EmailClaim {
  email: string;
  externalId: string;
}

/** Both backends (SQLite file, PostgreSQL) implement this; every method is scoped to one target key. */
export interface Ledger {
  readonly kind: "sqlite" | "postgres";
  /** Human description safe to print (no password). */
  describe(): string;
  startRun(kind: RunKind): Promise<RunRecord>;
  finishRun(id: number, status: RunRecord["status"], counts: Record<string, number>): Promise<void>;
  /** Heartbeat of a running process (progress, rates, limiter snapshot) for the dashboard; JSON-safe values only. */
  runProgress(id: number, progress: Record<string, unknown>): Promise<void>;
  getUsers(externalIds: readonly string[]): Promise<Map<string, LedgerUser>>;
  /**
   * Upsert outcomes; `attempts` is incremented for every write. Atomic per call. `settles`: intents
   * (from `recordIntent`) these outcomes answer, deleted in the same transaction.
   */
  recordUsers(runId: number, rows: readonly LedgerUserWrite[], settles?: readonly number[]): Promise<void>;
  /**
   * The intent of one request about to be sent: the externalIds it carries, one row for the whole
   * request. Returns its id, for `recordUsers(…, settles)` once the answers are recorded. One left
   * behind (kill -9, lost answer) is in `openIntents()` for the next run, which looks its users up
   * before resending anything.
   */
  recordIntent(runId: number, externalIds: readonly string[]): Promise<number>;
  /** Intents never settled (their runs crashed or were stopped mid-request), oldest first. A later run settles them with `recordUsers`. */
  openIntents(): Promise<LedgerIntent[]>;

  /** Iterate users, optionally only some statuses (rollback, verify, retry). Streams in pages. */
  listUsers(filter?: { statuses?: readonly LedgerStatus[] }): AsyncIterable<LedgerUser>;
  getOrgs(): Promise<Map<string, LedgerOrg>>;
  recordOrgs(rows: readonly LedgerOrg[]): Promise<void>;
  /** Forget this run's email claims (each run re-derives them in source order). */
  resetClaims(): Promise<void>;
  /**
   * Claim normalized emails for externalIds, first come first served, in order.
   * Returns the owner of every email in `claims` (which may be an earlier claimant).
   */
  claimEmails(claims: readonly EmailClaim[]): Promise<Map<string, string>>;
  summary(): Promise<LedgerSummary>;
  /**
   * When this target key has no users yet: the other keys of the same target type that do, with
   * their user counts (newest first). History is kept per target block (see ledger/index.ts
   * targetKey), so an edited block — a changed rate setting, a rotated key — starts from nothing.
   */
  otherHistories(): Promise<{ target: string; users: number }[]>;
  close(): Promise<void>;
}
