/**
 * What happens after a successful legacy check: the ledger row (reason `lazy_login`) and, in
 * just-in-time mode, the user written to the configured target with the password just verified.
 * The bulk run and the lazy path meet only in the ledger: a lazy row carries the same digest the
 * bulk run computes for that legacy record and the target id, so the bulk run sees it as done.
 */
import { userDigest } from "../engine/digest.js";
import { userFacts } from "../engine/facts.js";
import { DEFAULT_RETRY } from "../engine/retry.js";
import { writeUsersReliably } from "../engine/write-users.js";
import { errorMessage } from "../errors.js";
import { nativeHash } from "../hashes/index.js";
import type { Ledger, LedgerStatus, LedgerUser, LedgerUserWrite } from "../ledger/types.js";
import type { MigrationUser } from "../model/user.js";
import type { Target, TargetInstance, UserWrite } from "../targets/types.js";

export const LAZY_REASON = "lazy_login";
export const LAZY_STRATEGY = "lazy";

export interface LazyOutcome {
  /** Ledger status now recorded for the user. */
  status: LedgerStatus;
  targetId: string | null;
  /** True when this call wrote the user to the target (JIT). */
  wrote: boolean;
  /** Target failure reason (JIT), never containing the password. */
  error?: string;
}

export interface LazyRecorderOptions {
  ledger: Ledger;
  /** Just-in-time mode: the target to write to. */
  jit?: { target: Target; instance: TargetInstance; retries?: number };
}

const DONE = new Set<LedgerStatus>(["created", "updated", "skipped"]);

export class LazyRecorder {
  private runId: Promise<number> | undefined;
  private prepared: Promise<void> | undefined;
  private readonly chains = new Map<string, Promise<unknown>>();
  readonly counts: Record<string, number> = { created: 0, updated: 0, skipped: 0, failed: 0 };

  constructor(private readonly opts: LazyRecorderOptions) {}

  get jit(): boolean {
    return this.opts.jit !== undefined;
  }

  /** One ledger run for the server's lifetime (kind `run`; finished on close). */
  private run(): Promise<number> {
    this.runId ??= this.opts.ledger.startRun("run").then((r) => r.id);
    return this.runId;
  }

  /**
   * Record a verified lazy login. `password` is given for JIT (omitted for token-based hooks);
   * `targetIdHint` is the id the calling IdP will give the user when we do not write it ourselves
   * (Auth0: `auth0|<user_id>`). Calls for one user are serialised.
   */
  migrate(user: MigrationUser, opts: { password?: string; targetIdHint?: string } = {}): Promise<LazyOutcome> {
    const id = user.externalId;
    const prev = this.chains.get(id) ?? Promise.resolve();
    const next = prev.catch(() => {}).then(() => this.migrateOne(user, opts));
    this.chains.set(id, next);
    void next.finally(() => {
      if (this.chains.get(id) === next) this.chains.delete(id);
    }).catch(() => {});
    return next;
  }

  private async migrateOne(user: MigrationUser, opts: { password?: string; targetIdHint?: string }): Promise<LazyOutcome> {
    const { ledger } = this.opts;
    const runId = await this.run();
    const digest = userDigest(user);
    const existing = (await ledger.getUsers([user.externalId])).get(user.externalId);
    const done = existing && DONE.has(existing.status) && existing.targetId ? existing : undefined;
    const jit = this.opts.jit;

    if (!jit || opts.password === undefined || (done && !jit.target.capabilities.update)) {
      const row = done ? keep(done, user) : fresh(user, digest, "skipped", opts.targetIdHint ?? null);
      await ledger.recordUsers(runId, [row]);
      this.count(row.status);
      return { status: row.status, targetId: row.targetId ?? done?.targetId ?? null, wrote: false };
    }

    this.prepared ??= jit.instance.prepare().catch((e: unknown) => {
      this.prepared = undefined;
      throw e;
    });
    await this.prepared;
    const orgs = await ledger.getOrgs();
    const orgTargetIds: Record<string, string> = {};
    for (const m of user.memberships) {
      const t = orgs.get(m.orgExternalId)?.targetId;
      if (t) orgTargetIds[m.orgExternalId] = t;
    }
    // The password just verified, as a plaintext to set (every target hashes it natively) and as a
    // fresh bcrypt in the canonical record (targets that store the record itself, e.g. `file`).
    const write: UserWrite = {
      user: { ...user, credential: { kind: "hash", format: "bcrypt", value: await nativeHash(opts.password, 10), params: {} } },
      strategy: "temporary",
      temporaryPassword: opts.password,
      action: done ? "update" : "create",
      ...(done ? { targetId: done.targetId! } : {}),
      orgTargetIds,
    };
    // Intent before the request (as the bulk run does): a crash leaves `pending`, resolved by lookup.
    if (!done) await ledger.recordUsers(runId, [fresh(user, null, "pending", null)]);
    let outcome;
    try {
      const retries = jit.retries ?? 2;
      const out = await writeUsersReliably(jit.instance, [write], { retry: { ...DEFAULT_RETRY, retries, maxDelayMs: 2000 }, userRounds: 1 });
      outcome = out.get(user.externalId)!;
    } catch (e) {
      outcome = { externalId: user.externalId, status: "failed" as const, reason: `target_error:${errorMessage(e).slice(0, 200)}` };
    }
    let row: LedgerUserWrite;
    if (outcome.status === "failed") {
      row = done ? keep(done, user) : { ...fresh(user, null, "failed", null), reason: `${LAZY_REASON}:${outcome.reason ?? "failed"}` };
    } else if (done) {
      row = { ...keep(done, user), ...(outcome.targetId ? { targetId: outcome.targetId } : {}) };
    } else {
      // created = we made it (rollback may delete it); skipped = it existed: linked, never owned.
      row = fresh(user, digest, outcome.status === "created" ? "created" : "skipped", outcome.targetId ?? null);
    }
    await ledger.recordUsers(runId, [row]);
    this.count(row.status);
    return {
      status: row.status,
      targetId: row.targetId,
      wrote: outcome.status !== "failed",
      ...(outcome.status === "failed" ? { error: outcome.reason ?? "failed" } : {}),
    };
  }

  private count(status: string): void {
    this.counts[status] = (this.counts[status] ?? 0) + 1;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.chains.values()]);
    if (this.runId) {
      const id = await this.runId.catch(() => undefined);
      if (id !== undefined) await this.opts.ledger.finishRun(id, "completed", { ...this.counts });
    }
  }
}

function fresh(user: MigrationUser, digest: string | null, status: LedgerStatus, targetId: string | null): LedgerUserWrite {
  return { externalId: user.externalId, email: user.email ?? null, digest, targetId, status, reason: LAZY_REASON, strategy: LAZY_STRATEGY, facts: userFacts(user) };
}

/** An existing done row keeps its status, target id and digest (ownership and convergence); only the reason says lazy_login. */
function keep(row: LedgerUser, user: MigrationUser): LedgerUserWrite {
  return { externalId: row.externalId, email: row.email ?? user.email ?? null, digest: row.digest, targetId: row.targetId, status: row.status, reason: LAZY_REASON, strategy: row.strategy ?? LAZY_STRATEGY };
}
