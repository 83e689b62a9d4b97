import type { z } from "zod";
import type { HashCredential, MigrationOrg, MigrationUser } from "../model/user.js";

/**
 * What a target can do, as data: the engine branches on these flags, never on a target's id.
 */
export interface TargetCapabilities {
  /** Largest number of users `writeUsers` accepts in one call. */
  maxBatchSize: number;
  /** Whether a changed legacy record can be updated in place. */
  update: boolean;
  /** Whether the target has organizations/memberships. */
  orgs: boolean;
  /** Whether `deleteUsers` is implemented (rollback). */
  rollback: boolean;
  /** Hash formats (hash-engine ids) the target stores natively. Anything else needs re-encode/lazy/reset. */
  hashFormats: readonly string[];
  /**
   * `writeUsers` already links a user that exists (e.g. an import with skipExisting, a unique
   * email in a local DB), so the engine need not call `lookupUsers` before every create; it still
   * does for users whose previous attempt was cut off by a crash.
   */
  idempotentCreate?: boolean;
  /**
   * `lookupUsers` retries each of its read requests on its own (`retryRead` in engine/retry.ts), so
   * the engine calls it once instead of retrying the whole call again (a dead target got 5 × 6 = 30
   * attempts per lookup and `plan` stalled ~15 s per batch).
   */
  retriesReads?: boolean;
  /** Largest request body in bytes (`writeUsers` batches are split to stay under it). */
  maxBatchBytes?: number;
  /** Documented/default request rate; seeds the engine's adaptive rate limiter. */
  rateLimit?: { requestsPerSecond: number; burst?: number };
  /** What `authmigrate/mirror` can keep in sync on this target; absent = mirroring unsupported. */
  mirror?: MirrorCapabilities;
}

/** Kinds of sign-in identifier the mirror reconciles, each as its own set (seed 003 step 1). */
export type MirrorIdentifierKind = "email" | "phone" | "oauth";

/**
 * How many identifiers of a kind a target user holds: `many` (a set: add/remove each), `one` (a
 * single slot: `addIdentifier` replaces it; only the primary value is mirrored), `none` (not mirrored).
 */
export type MirrorSlots = "many" | "one" | "none";

export interface MirrorCapabilities {
  identifiers: Record<MirrorIdentifierKind, MirrorSlots>;
  /** `updateProfile` is implemented. */
  profile: boolean;
  /** `setPassword` is implemented (takes a legacy hash the target converts, or refuses with a HASH_* error). */
  password: boolean;
}

/** One identifier as the mirror compares them: emails lower-cased, phones E.164, OAuth `provider:provider_user_id`. */
export interface MirrorIdentifier {
  kind: MirrorIdentifierKind;
  value: string;
}

/** Profile fields the mirror patches; an absent key is left alone, `null` clears it. */
export interface MirrorProfilePatch {
  givenName?: string | null;
  familyName?: string | null;
  displayName?: string | null;
  picture?: string | null;
  locale?: string | null;
  emailVerified?: boolean;
}

/** `not_found` (remove) and `already_exists` (add on this same user) are the state the mirror wanted: success. */
export type IdentifierOpResult = "done" | "not_found" | "already_exists";

/** One user the engine asks a target to write. */
export interface UserWrite {
  user: MigrationUser;
  /** `JSON.stringify(user)` when the engine already has it (it is the digest's input): targets storing JSON reuse it. */
  json?: string;
  /** Password strategy chosen by the planner: `native`/`re-encode` send the hash, `temporary` sends `temporaryPassword`, others send none. */
  strategy?: string;
  /** Strategy C: a generated one-time password (never logged; the engine writes it to the operator's file). */
  temporaryPassword?: string;
  /** `create`: the ledger has never seen this user succeed; `update`: it has, under `targetId`. */
  action: "create" | "update";
  targetId?: string;
  /** Target ids of the orgs in `user.memberships`, resolved from the ledger. */
  orgTargetIds: Record<string, string>;
}

export type UserOutcomeStatus = "created" | "updated" | "skipped" | "failed";

/** Per-user result. `skipped` = the user already existed in the target (linked, not duplicated). */
export interface UserOutcome {
  externalId: string;
  status: UserOutcomeStatus;
  targetId?: string;
  /** Machine-readable reason, e.g. `exists_by_email`, `invalid_email`, `rate_limited`. */
  reason?: string;
  /** For failures: whether trying again later may succeed. */
  retryable?: boolean;
}

export interface OrgOutcome {
  externalId: string;
  status: UserOutcomeStatus;
  targetId?: string;
  reason?: string;
}

/** What `verify` reads back from a target for one user. */
export interface TargetUserView {
  targetId: string;
  /** The legacy id as the target stores it, when it stores one (seed 000: "externalId is populated"). */
  externalId?: string;
  /** Licenses/app assignments the target's config promises every migrated user but this one lacks (seed 000: "app licenses assigned"). Undefined = the target has no such notion. */
  missingLicenses?: string[];
  email?: string;
  name?: string;
  disabled?: boolean;
  /** orgTargetId -> roles */
  memberships: Record<string, string[]>;
  hasPassword: boolean;
}

/**
 * One user as the target holds it, in comparable form (reconcile): what `listUsers` returns and what
 * `toTargetRecord` predicts for a legacy user. A field left undefined is one the target does not
 * store (never compared). No credential ever appears here.
 */
export interface TargetUserRecord {
  targetId: string;
  /** The legacy id as stored by the target; undefined = not stored (reconcile resolves it through the ledger). */
  externalId?: string;
  /** Normalised (lower-cased) emails, primary first. */
  emails: string[];
  phones?: string[];
  /** OAuth identities as `provider:providerUserId`. */
  identities?: string[];
  /** Profile in the target's own field names (e.g. better-auth `name`, WorkOS `first_name`). */
  profile: Record<string, string>;
  /** orgTargetId -> sorted roles. */
  memberships?: Record<string, string[]>;
  disabled?: boolean;
}

export interface TargetContext {
  /** Directory where the config lives; relative paths in target options resolve against it. */
  cwd: string;
  signal?: AbortSignal;
  /**
   * The run's one rate limiter, shared by every concurrent request of the run (seeded from
   * `capabilities.rateLimit` or `run.rateLimit`). HTTP targets pass it to their HttpClient.
   */
  limiter?: RateLimiter;
}

/** Structural: see src/engine/rate-limiter.ts (AdaptiveRateLimiter) and src/targets/http/client.ts. */
export interface RateLimiter {
  acquire(signal?: AbortSignal): Promise<void>;
  observe(response: { status: number; headers: Headers }): void;
}

export interface TargetInstance {
  /** Create schema / check credentials. Idempotent. */
  prepare(): Promise<void>;
  upsertOrgs(orgs: MigrationOrg[]): Promise<OrgOutcome[]>;
  /** Must be idempotent: writing a user that already exists (e.g. after a crash) links it instead of duplicating. */
  writeUsers(batch: UserWrite[]): Promise<UserOutcome[]>;
  getUser(targetId: string): Promise<TargetUserView | undefined>;
  /** Number of users in the target (for verify). */
  countUsers(): Promise<number>;
  /**
   * Read-only lookup of users that may already exist (by externalId, then email): used for
   * idempotency before creating, for crash recovery of in-flight users, and by `run --dry-run`.
   * Returns externalId -> the existing target user. Optional: targets whose writeUsers is already
   * idempotent by construction may omit it.
   */
  lookupUsers?(users: MigrationUser[]): Promise<Map<string, { targetId: string; matchedBy: "externalId" | "email" }>>;
  /** Strategy B: trigger password-reset emails. */
  sendPasswordResets?(targetIds: string[]): Promise<{ targetId: string; ok: boolean; reason?: string }[]>;
  /** Prove a migrated user can sign in (verify's pilot credentials). */
  signIn?(email: string, password: string): Promise<boolean>;
  /** Every user in the target, paged (reconcile). Any order: reconcile sorts. Optional. */
  listUsers?(): AsyncIterable<TargetUserRecord>;
  /** How a legacy user looks in this target once written, in `listUsers`'s form (reconcile compares the two). */
  toTargetRecord?(user: MigrationUser, orgTargetIds: Record<string, string>): Omit<TargetUserRecord, "targetId">;
  deleteUsers(targetIds: string[]): Promise<{ targetId: string; ok: boolean; reason?: string }[]>;
  /**
   * `rollback --mode disable`: keep the users but make them unable to sign in (a softer rollback
   * that keeps target ids and any activity). Optional; already-disabled and missing users are ok.
   */
  disableUsers?(targetIds: string[]): Promise<{ targetId: string; ok: boolean; reason?: string }[]>;
  /*
   * Mirror (authmigrate/mirror), present when `capabilities.mirror` says so. Errors are thrown as
   * AuthmigrateErrors (`retryable` for 429/5xx/network); an identifier held by another user throws.
   */
  /** The user's identifiers; undefined when the target user does not exist. */
  getIdentifiers?(targetId: string): Promise<MirrorIdentifier[] | undefined>;
  updateProfile?(targetId: string, patch: MirrorProfilePatch): Promise<void>;
  addIdentifier?(targetId: string, identifier: MirrorIdentifier): Promise<IdentifierOpResult>;
  removeIdentifier?(targetId: string, identifier: MirrorIdentifier): Promise<IdentifierOpResult>;
  /** Replace the user's password with a hash (converted by the target; HASH_* error when it cannot take it). */
  setPassword?(targetId: string, credential: HashCredential): Promise<void>;
  close(): Promise<void>;
}

/** A target is a folder under src/targets/ exporting one object of this type, registered in src/targets/index.ts. */
export interface Target<Options extends z.ZodType = z.ZodType> {
  id: string;
  description: string;
  capabilities: TargetCapabilities;
  /** zod schema of this target's `target:` config block (minus `type`). */
  options: Options;
  create(options: z.infer<Options>, ctx: TargetContext): TargetInstance;
}
