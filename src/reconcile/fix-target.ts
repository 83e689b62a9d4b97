import path from "node:path";
import { userDigest } from "../engine/digest.js";
import { TemporaryPasswordFile, temporaryPassword } from "../engine/passwords.js";
import { withRetry, type RetryOptions } from "../engine/retry.js";
import type { Session } from "../engine/session.js";
import { splitByBytes } from "../engine/split-batch.js";
import { passwordStrategy } from "../engine/strategy.js";
import { writeUsersReliably } from "../engine/write-users.js";
import type { LedgerUserWrite, RunRecord } from "../ledger/types.js";
import type { MigrationUser } from "../model/user.js";
import type { UserWrite } from "../targets/types.js";
import type { DriftKind, FixSummary } from "./types.js";

/** One user's drift, handed to a fixer by the merge. */
export interface FixItem {
  kinds: DriftKind[];
  externalId?: string;
  targetId?: string;
  /** The legacy user (legacy-to-target creates/updates write it). */
  user?: MigrationUser;
  /** The target's record (target-to-legacy writes it). */
  targetRecord?: { emails: string[]; phones?: string[]; profile: Record<string, string> };
}

export interface Fixer {
  push(item: FixItem): Promise<void>;
  finish(): Promise<FixSummary>;
}

const SAMPLE = 20;
const DRIFT_UPDATES: DriftKind[] = ["profile", "identifiers", "org_role"];

/** Shared bookkeeping of both directions: planned actions, outcomes, what is left and why, failure samples. */
export function newSummary(direction: FixSummary["direction"], dryRun: boolean): FixSummary & { sample: { action: string; externalId?: string; targetId?: string }[] } {
  return { direction, dryRun, planned: {}, outcomes: {}, left: {}, failures: [], runId: null, sample: [] };
}

export const bump = (m: Record<string, number>, k: string, n = 1): void => void (m[k] = (m[k] ?? 0) + n);

/**
 * legacy-to-target: make the target match the legacy system through the engine's write path —
 * `writeUsersReliably` (retries, per-user rounds) under the session's one rate limiter, an intent
 * row in the ledger before each request and the outcome (with the digest, so a later `run` sees
 * the user as unchanged) after. Creates for users missing in the target, updates for drifted
 * ones; deletes of target users without a legacy counterpart only with `deleteExtra`.
 */
export class TargetFixer implements Fixer {
  private readonly summary;
  private writes: { w: UserWrite; digest: string }[] = [];
  private deletes: { targetId: string; externalId?: string }[] = [];
  private run: RunRecord | undefined;
  private readonly tempPasswords: TemporaryPasswordFile;

  constructor(
    private readonly session: Session,
    private readonly orgTargetIds: Record<string, string>,
    private readonly opts: { dryRun: boolean; deleteExtra: boolean; retry: RetryOptions; batchSize: number },
  ) {
    this.summary = newSummary("legacy-to-target", opts.dryRun);
    this.tempPasswords = new TemporaryPasswordFile(path.resolve(session.cwd, session.config.passwords.temporaryPasswordsFile));
  }

  private plan(action: string, item: FixItem): boolean {
    bump(this.summary.planned, action);
    if (this.summary.sample.length < SAMPLE) this.summary.sample.push({ action, ...(item.externalId ? { externalId: item.externalId } : {}), ...(item.targetId ? { targetId: item.targetId } : {}) });
    return !this.opts.dryRun;
  }

  async push(item: FixItem): Promise<void> {
    const caps = this.session.target.capabilities;
    if (item.kinds.includes("missing_in_target")) {
      if (this.plan("create", item)) this.writes.push(this.toWrite(item.user!, "create"));
    } else if (item.kinds.includes("missing_in_legacy") || item.kinds.includes("orphan")) {
      const kind = item.kinds.includes("orphan") ? "orphan" : "missing_in_legacy";
      if (!this.opts.deleteExtra) bump(this.summary.left, `${kind}: not deleted without --delete-extra`);
      else if (!caps.rollback) bump(this.summary.left, `${kind}: target ${this.session.target.id} cannot delete users`);
      else if (this.plan("delete", item)) this.deletes.push({ targetId: item.targetId!, ...(item.externalId ? { externalId: item.externalId } : {}) });
    } else if (item.kinds.some((k) => DRIFT_UPDATES.includes(k))) {
      if (!caps.update) for (const k of item.kinds) bump(this.summary.left, `${k}: target ${this.session.target.id} cannot update users`);
      else if (this.plan("update", item)) this.writes.push(this.toWrite(item.user!, "update", item.targetId));
    }
    if (this.writes.length >= this.opts.batchSize) await this.flushWrites();
    if (this.deletes.length >= 100) await this.flushDeletes();
  }

  private toWrite(user: MigrationUser, action: "create" | "update", targetId?: string): { w: UserWrite; digest: string } {
    const { target, config } = this.session;
    const { strategy } = passwordStrategy(user, target.id, target.capabilities, config.passwords.strategy);
    const orgTargetIds: Record<string, string> = {};
    for (const m of target.capabilities.orgs ? user.memberships : []) {
      const id = this.orgTargetIds[m.orgExternalId];
      if (id) orgTargetIds[m.orgExternalId] = id;
    }
    let temp: string | undefined;
    if (strategy === "temporary" && action === "create") {
      temp = temporaryPassword();
      this.tempPasswords.add(user.externalId, user.email ?? "", temp);
    }
    const w: UserWrite = { user, action, orgTargetIds, strategy, ...(targetId ? { targetId } : {}), ...(temp ? { temporaryPassword: temp } : {}) };
    return { w, digest: userDigest(user) };
  }

  private async ledgerRun(): Promise<RunRecord> {
    this.run ??= await this.session.ledger.startRun("run");
    this.summary.runId = this.run.id;
    return this.run;
  }

  private fail(action: string, reason: string, ids: { externalId?: string; targetId?: string }): void {
    bump(this.summary.outcomes, "failed");
    if (this.summary.failures.length < SAMPLE) this.summary.failures.push({ ...ids, action, reason });
  }

  private async flushWrites(): Promise<void> {
    const batch = this.writes;
    this.writes = [];
    if (!batch.length) return;
    const { ledger, instance, config, target } = this.session;
    const run = await this.ledgerRun();
    const row = (x: { w: UserWrite; digest: string }, status: LedgerUserWrite["status"], targetId: string | undefined, reason: string | null, done: boolean): LedgerUserWrite => ({
      externalId: x.w.user.externalId,
      email: x.w.user.email ?? null,
      digest: done ? x.digest : null,
      targetId: targetId ?? x.w.targetId ?? null,
      status,
      reason,
      strategy: x.w.strategy ?? null,
    });
    // Intent first, as `run` does: a crash mid-request leaves `pending` rows the next run resolves by lookup.
    await ledger.recordUsers(run.id, batch.map((x) => row(x, "pending", undefined, "reconcile", false)));
    for (const part of splitByBytes(batch, target.capabilities.maxBatchBytes)) {
      const outcomes = await writeUsersReliably(instance, part.map((x) => x.w), { retry: this.opts.retry, userRounds: config.run.retries });
      const rows: LedgerUserWrite[] = [];
      for (const x of part) {
        const o = outcomes.get(x.w.user.externalId)!;
        if (o.status === "failed") this.fail(x.w.action, o.reason ?? "failed", { externalId: o.externalId, ...(x.w.targetId ? { targetId: x.w.targetId } : {}) });
        else bump(this.summary.outcomes, o.status);
        rows.push(row(x, o.status, o.targetId, o.reason ? `reconcile:${o.reason}` : "reconcile", o.status !== "failed"));
      }
      await ledger.recordUsers(run.id, rows);
    }
  }

  private async flushDeletes(): Promise<void> {
    const batch = this.deletes;
    this.deletes = [];
    if (!batch.length) return;
    const { ledger, instance } = this.session;
    const run = await this.ledgerRun();
    const results = await withRetry(() => instance.deleteUsers(batch.map((d) => d.targetId)), this.opts.retry);
    const byId = new Map(results.map((r) => [r.targetId, r]));
    const rows: LedgerUserWrite[] = [];
    for (const d of batch) {
      const r = byId.get(d.targetId);
      if (!r?.ok) this.fail("delete", r?.reason ?? "no_outcome_from_target", d);
      else {
        bump(this.summary.outcomes, "deleted");
        if (d.externalId) rows.push({ externalId: d.externalId, email: null, digest: null, targetId: d.targetId, status: "rolled_back", reason: "reconcile:deleted_missing_in_legacy", strategy: null });
      }
    }
    // Keep the ledger true: the user is gone from the target, so the next run must not call it unchanged.
    if (rows.length) await ledger.recordUsers(run.id, rows);
  }

  async finish(): Promise<FixSummary> {
    try {
      await this.flushWrites();
      await this.flushDeletes();
    } finally {
      this.tempPasswords.close();
      if (this.run) await this.session.ledger.finishRun(this.run.id, "completed", { ...this.summary.planned, ...this.summary.outcomes });
    }
    return this.summary;
  }
}
