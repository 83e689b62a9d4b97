import path from "node:path";
import type { Config } from "../config/schema.js";
import { errorMessage } from "../errors.js";
import type { LedgerUserWrite } from "../ledger/types.js";
import type { UserOutcome, UserWrite } from "../targets/types.js";
import { ledgerClaims, memoryClaims } from "./claims.js";
import type { Decision } from "./decision.js";
import { buildDuplicateIndex } from "./duplicate-index.js";
import { syncOrgs, type OrgSummary } from "./orgs.js";
import { planUsers } from "./plan-users.js";
import { ProgressTracker, type ProgressFn } from "./progress.js";
import { openUserSource, readMappedUsers } from "./read.js";
import { ReportWriter, warningTexts, type ReportLine } from "./report-writer.js";
import { TaskPool, withRetry, DEFAULT_RETRY } from "./retry.js";
import { openSession, type Session } from "./session.js";
import type { ForcedStrategy } from "./strategy.js";

export interface RunOptions {
  config: Config;
  /** Directory of the config file: relative paths resolve against it. */
  cwd: string;
  /** Decide everything, write nothing (what `plan` uses). */
  dryRun?: boolean;
  concurrency?: number;
  forcedStrategy?: ForcedStrategy;
  onProgress?: ProgressFn;
  /** Called with every decision (plan --json streams these). */
  onDecision?: (d: Decision) => void;
  signal?: AbortSignal;
}

export interface RunReport {
  runId: number | null;
  target: string;
  ledger: string;
  dryRun: boolean;
  durationMs: number;
  /** Per-outcome counts: created, updated, unchanged, skipped, failed (+ `total`). */
  counts: Record<string, number>;
  /** Count per reason family (`no_email`, `duplicate_of`, `exists_by_email`…). */
  reasons: Record<string, number>;
  /** Count per password strategy of the users written or planned. */
  strategies: Record<string, number>;
  orgs: OrgSummary;
  reportFile?: string;
  retryFile?: string;
}

const reasonFamily = (r: string): string => r.split(":")[0]!;

function bump(map: Record<string, number>, key: string | undefined): void {
  if (key) map[key] = (map[key] ?? 0) + 1;
}

/** Source → mapping → validation → dedupe → ledger → target, streaming, resumable. Never throws for one bad user. */
export async function runMigration(opts: RunOptions): Promise<RunReport> {
  const session = await openSession(opts.config, opts.cwd, opts.signal);
  try {
    return await runInSession(session, opts);
  } finally {
    await session.close();
  }
}

async function runInSession(session: Session, opts: RunOptions): Promise<RunReport> {
  const { config, ledger, instance, target } = session;
  const dryRun = opts.dryRun ?? false;
  const started = Date.now();
  const counts: Record<string, number> = { total: 0, created: 0, updated: 0, unchanged: 0, skipped: 0, failed: 0 };
  const reasons: Record<string, number> = {};
  const strategies: Record<string, number> = {};

  if (!dryRun) await instance.prepare();
  const { map: orgTargetIds, summary: orgs } = await syncOrgs(session, dryRun);

  const source = await openUserSource(config, session.cwd);
  const run = dryRun ? undefined : await ledger.startRun("run");
  const writer = dryRun ? undefined : new ReportWriter(path.resolve(session.cwd, config.run.outDir));
  const tracker = new ProgressTracker(await source.count().catch(() => undefined), counts, opts.onProgress);
  let status: "completed" | "failed" | "interrupted" = "completed";

  const record = (line: ReportLine, retryable = false): void => {
    counts.total!++;
    bump(counts, line.status);
    if (line.reason) bump(reasons, reasonFamily(line.reason));
    writer?.write(line, retryable);
  };
  const lineOf = (d: Decision, status: string, extra: Partial<ReportLine> = {}): ReportLine => {
    const warnings = warningTexts(d.warnings);
    return {
      location: d.location,
      ...(d.externalId ? { externalId: d.externalId } : {}),
      ...(d.email ? { email: d.email } : {}),
      action: d.kind,
      status,
      ...(d.targetId ? { targetId: d.targetId } : {}),
      ...(d.reason ? { reason: d.reason } : {}),
      ...(d.strategy ? { strategy: d.strategy, strategyReason: d.strategyReason } : {}),
      ...(warnings ? { warnings } : {}),
      ...extra,
    };
  };

  try {
    const claims = dryRun ? memoryClaims() : ledgerClaims(ledger);
    await claims.reset();
    const duplicates = await buildDuplicateIndex(config.validation.duplicates.keep, () => openUserSource(config, session.cwd), (s) =>
      readMappedUsers(config, s, opts.signal),
    );
    const batchSize = Math.min(config.run.batchSize, target.capabilities.maxBatchSize);
    const pool = new TaskPool(opts.concurrency ?? config.run.concurrency);
    const ctx = { config, targetType: target.id, capabilities: target.capabilities, forcedStrategy: opts.forcedStrategy };

    for await (const decisions of planUsers(readMappedUsers(config, source, opts.signal), { ledger, claims, duplicates, ctx, chunkSize: batchSize })) {
      const immediate: LedgerUserWrite[] = [];
      const writes: { d: Decision; w: UserWrite }[] = [];
      for (const d of decisions) {
        opts.onDecision?.(d);
        if (d.strategy && (d.kind === "create" || d.kind === "update")) bump(strategies, d.strategy);
        if (dryRun || d.kind === "unchanged") {
          record(lineOf(d, d.kind === "create" || d.kind === "update" ? `would_${d.kind}` : d.kind === "fail" ? "failed" : d.kind === "skip" ? "skipped" : "unchanged"));
          continue;
        }
        if (d.kind === "fail" || d.kind === "skip") {
          record(lineOf(d, d.kind === "fail" ? "failed" : "skipped"));
          if (d.externalId) {
            immediate.push({ externalId: d.externalId, email: d.email ?? null, digest: d.digest ?? null, targetId: null, status: d.kind === "fail" ? "failed" : "skipped", reason: d.reason ?? null, strategy: null });
          }
          continue;
        }
        const user = d.user!;
        const resolved: Record<string, string> = {};
        for (const m of user.memberships) {
          const id = orgTargetIds[m.orgExternalId];
          if (id) resolved[m.orgExternalId] = id;
          else d.warnings.push({ code: "invalid_record", severity: "warning", field: "memberships", message: `organization ${m.orgExternalId} does not exist in the target; membership not created` });
        }
        writes.push({ d, w: { user, action: d.kind as "create" | "update", ...(d.targetId ? { targetId: d.targetId } : {}), orgTargetIds: resolved } });
      }
      if (immediate.length) await ledger.recordUsers(run!.id, immediate);
      await writer?.flush();
      tracker.tick(decisions.length - writes.length);
      if (writes.length === 0) continue;

      await pool.push(async () => {
        let outcomes: UserOutcome[];
        try {
          outcomes = await withRetry(() => instance.writeUsers(writes.map((x) => x.w)), { ...DEFAULT_RETRY, ...(opts.signal ? { signal: opts.signal } : {}) });
        } catch (e) {
          // The whole batch failed after retries: every user lands in the report and retry file.
          const reason = `target_error:${errorMessage(e).slice(0, 200)}`;
          outcomes = writes.map((x) => ({ externalId: x.w.user.externalId, status: "failed", reason, retryable: true }));
        }
        const byId = new Map(outcomes.map((o) => [o.externalId, o]));
        const rows: LedgerUserWrite[] = [];
        for (const { d, w } of writes) {
          const o = byId.get(w.user.externalId) ?? { externalId: w.user.externalId, status: "failed" as const, reason: "no_outcome_from_target" };
          rows.push({
            externalId: o.externalId,
            email: d.email ?? null,
            digest: o.status === "failed" ? null : d.digest ?? null,
            targetId: o.targetId ?? d.targetId ?? null,
            status: o.status,
            reason: o.reason ?? null,
            strategy: d.strategy ?? null,
          });
          record(lineOf(d, o.status, { ...(o.targetId ? { targetId: o.targetId } : {}), ...(o.reason ? { reason: o.reason } : {}) }), o.retryable ?? false);
        }
        await ledger.recordUsers(run!.id, rows);
        tracker.tick(writes.length);
      });
    }
    await pool.drain();
  } catch (e) {
    status = opts.signal?.aborted ? "interrupted" : "failed";
    throw e;
  } finally {
    await source.close();
    await writer?.close();
    if (run) await ledger.finishRun(run.id, status, counts);
    tracker.tick(0, true);
  }

  return {
    runId: run?.id ?? null,
    target: target.id,
    ledger: ledger.describe(),
    dryRun,
    durationMs: Date.now() - started,
    counts,
    reasons,
    strategies,
    orgs,
    ...(writer ? { reportFile: writer.reportFile, retryFile: writer.retryFile } : {}),
  };
}
