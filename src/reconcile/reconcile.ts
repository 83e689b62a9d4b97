import type { Config } from "../config/schema.js";
import { AuthmigrateError } from "../errors.js";
import { syncOrgs } from "../engine/orgs.js";
import { ProgressTracker, type ProgressFn } from "../engine/progress.js";
import { DEFAULT_RETRY, withRetry } from "../engine/retry.js";
import { openSession, type Session } from "../engine/session.js";
import type { MigrationUser } from "../model/user.js";
import { canonicalRecord } from "../targets/user-record.js";
import { compareRecords, type Comparable } from "./compare.js";
import { TargetFixer, type Fixer, type FixItem } from "./fix-target.js";
import { LegacyFixer } from "./fix-legacy.js";
import { reviveUser, spillLegacy } from "./legacy.js";
import { mergeById, type MergedPair } from "./merge.js";
import { ReportBuilder } from "./report-builder.js";
import { SpillStore } from "./spill.js";
import { saveReconcileSummary } from "./summary-store.js";
import type { Direction, DriftItem, ReconcileReport } from "./types.js";

export interface ReconcileOptions {
  config: Config;
  cwd: string;
  /** Apply what differs, in one direction. Without it, reconcile only reads and reports. */
  fix?: { direction: Direction; dryRun?: boolean; deleteExtra?: boolean };
  /** Samples kept per drift kind (default: config `reconcile.sampleSize`, 20). */
  sampleSize?: number;
  onProgress?: ProgressFn;
  signal?: AbortSignal;
}

/**
 * Compare the legacy source and the target user by user: both sides streamed, spilled to a
 * temporary SQLite file keyed by legacy id (the external sort) and sort-merged. Reports missing
 * users on either side, profile / identifier / org-role drift and orphans; optionally fixes them.
 * The summary is stored in the ledger database for the dashboard.
 */
export async function reconcile(opts: ReconcileOptions): Promise<ReconcileReport> {
  const session = await openSession(opts.config, opts.cwd, opts.signal ? { signal: opts.signal } : {});
  try {
    return await reconcileInSession(session, opts);
  } finally {
    await session.close();
  }
}

async function reconcileInSession(session: Session, opts: ReconcileOptions): Promise<ReconcileReport> {
  const { instance, ledger, target, config } = session;
  if (!instance.listUsers) {
    throw new AuthmigrateError("RECONCILE_UNSUPPORTED", `target.type: the ${target.id} target cannot list its users, so it cannot be reconciled`, {
      hint: "reconcile works with targets that implement listUsers (file, better-auth, workos); see docs/sync.md",
    });
  }
  const started = Date.now();
  const retry = { ...DEFAULT_RETRY, retries: config.run.retries, ...(opts.signal ? { signal: opts.signal } : {}) };
  const fix = opts.fix;
  if (fix && !fix.dryRun && fix.direction === "legacy-to-target") await withRetry(() => instance.prepare(), retry);
  // Orgs: a real legacy-to-target fix creates missing ones first (like run); otherwise the ledger's map.
  const orgTargetIds = fix?.direction === "legacy-to-target" && !fix.dryRun ? (await syncOrgs(session, false, retry)).map : await ledgerOrgMap(session);

  const store = new SpillStore();
  const tracker = new ProgressTracker(undefined, { processed: 0 }, opts.onProgress);
  try {
    for await (const u of ledger.listUsers()) store.addLedger(u.externalId, u.status === "rolled_back" ? null : u.targetId, u.status, u.reason);
    // The target first: some targets learn their optional columns while listing (better-auth's `banned`).
    let targetUsers = 0;
    for await (const r of instance.listUsers()) {
      if (opts.signal?.aborted) throw interrupted();
      const { targetId, externalId, ...rec } = r;
      store.addTarget(targetId, externalId, JSON.stringify(rec));
      targetUsers++;
      tracker.tick(1);
    }
    const project = (u: MigrationUser): Comparable => instance.toTargetRecord?.(u, orgTargetIds) ?? canonicalRecord(u, orgTargetIds);
    const keepUsers = fix?.direction === "legacy-to-target";
    const legacy = await spillLegacy(store, { config, cwd: session.cwd, project, keepUsers, ...(opts.signal ? { signal: opts.signal } : {}), onRecord: () => tracker.tick(1) });
    // A side read only in part would look like mass drift (and --delete-extra would act on it): never merge it.
    if (opts.signal?.aborted) throw interrupted();
    store.finishLoading();

    const report = new ReportBuilder(opts.sampleSize ?? config.reconcile?.sampleSize ?? 20);
    const excludedReasons = { ...legacy.excluded };
    const fixer: Fixer | undefined = !fix
      ? undefined
      : fix.direction === "legacy-to-target"
        ? new TargetFixer(session, orgTargetIds, { dryRun: !!fix.dryRun, deleteExtra: !!fix.deleteExtra, retry, batchSize: Math.min(config.run.batchSize, target.capabilities.maxBatchSize) })
        : await LegacyFixer.open(config, session.cwd, { dryRun: !!fix.dryRun, deleteExtra: !!fix.deleteExtra });
    let compared = 0;
    let stopped = false;
    let fixSummary: ReconcileReport["fix"];
    try {
      for (const pair of mergeById(store.legacyOrdered(), store.targetOrdered())) {
        if (opts.signal?.aborted) {
          stopped = true;
          break;
        }
        const outcome = judge(pair, store);
        if (outcome.excluded) {
          if (outcome.excludedByLedger) excludedReasons[outcome.excludedByLedger] = (excludedReasons[outcome.excludedByLedger] ?? 0) + 1;
          continue;
        }
        if (pair.legacy && pair.targets.length) compared++;
        report.add(outcome.items);
        for (const f of outcome.fixes) await fixer?.push(f);
      }
      for (const row of stopped ? [] : store.orphans()) {
        const rec = JSON.parse(row.rec) as Comparable;
        report.add([{ kind: "orphan", targetId: row.targetId, ...(rec.emails[0] ? { email: rec.emails[0] } : {}) }]);
        await fixer?.push({ kinds: ["orphan"], targetId: row.targetId });
      }
    } finally {
      // Always close the fixer (it owns a DB connection / a ledger run), even when the merge threw.
      fixSummary = fixer ? await fixer.finish() : undefined;
    }
    tracker.tick(0, true);

    const result: ReconcileReport = {
      target: target.id,
      ledger: ledger.describe(),
      startedAt: new Date(started).toISOString(),
      durationMs: Date.now() - started,
      legacy: { records: legacy.records, compared, excluded: Object.values(excludedReasons).reduce((a, b) => a + b, 0), duplicateIds: store.duplicateLegacyIds },
      targetUsers,
      ...(stopped ? { interrupted: true } : {}),
      counts: report.counts,
      driftedUsers: report.driftedUsers,
      samples: report.samples,
      excludedReasons,
      ...(fixSummary ? { fix: fixSummary } : {}),
    };
    // The report is the result; a ledger DB that refuses the summary row must not turn it into an error.
    if (!stopped) await saveReconcileSummary(config, session.cwd, session.ledger, result).catch(() => undefined);
    return result;
  } finally {
    store.close();
  }
}

function interrupted(): AuthmigrateError {
  return new AuthmigrateError("INTERRUPTED", "reconcile: interrupted while reading; nothing was compared or fixed", { hint: "run it again" });
}

async function ledgerOrgMap(session: Session): Promise<Record<string, string>> {
  const map: Record<string, string> = {};
  for (const [id, row] of await session.ledger.getOrgs()) if (row.targetId && row.status !== "rolled_back") map[id] = row.targetId;
  return map;
}

interface Judgement {
  excluded: boolean;
  excludedByLedger?: string;
  items: DriftItem[];
  fixes: FixItem[];
}

/** Drift of one legacy id: which kinds, with field diffs, and what a fix would need. */
function judge(pair: MergedPair, store: SpillStore): Judgement {
  const { legacy, targets } = pair;
  const id = pair.externalId;
  // Several target users claim one legacy id: the ledger's is the real one, the others are orphans.
  let mine = targets[0];
  const extra: DriftItem[] = [];
  const extraFixes: FixItem[] = [];
  if (targets.length > 1) {
    const own = store.ledgerTargetId(id);
    mine = targets.find((t) => t.targetId === own) ?? targets[0];
    for (const t of targets) {
      if (t === mine) continue;
      extra.push({ kind: "orphan", targetId: t.targetId, note: `duplicate of legacy id ${id}` });
      extraFixes.push({ kinds: ["orphan"], targetId: t.targetId });
    }
  }
  if (legacy && legacy.rec === null) return { excluded: true, items: extra, fixes: extraFixes };
  if (legacy && !mine) {
    // Deliberately not migrated by a run (duplicate email loser, inactive): not drift.
    if (legacy.ledgerStatus === "skipped" && legacy.ledgerReason && !/^exists_/.test(legacy.ledgerReason)) {
      return { excluded: true, excludedByLedger: legacy.ledgerReason.split(":")[0]!, items: [], fixes: [] };
    }
    const rec = JSON.parse(legacy.rec!) as Comparable;
    const note = legacy.ledgerStatus ? `ledger: ${legacy.ledgerStatus}${legacy.ledgerReason ? ` (${legacy.ledgerReason})` : ""}` : "never migrated";
    return {
      excluded: false,
      items: [{ kind: "missing_in_target", externalId: id, ...(rec.emails[0] ? { email: rec.emails[0] } : {}), note }],
      fixes: [{ kinds: ["missing_in_target"], externalId: id, ...(legacy.user ? { user: reviveUser(legacy.user) } : {}) }],
    };
  }
  const trec = JSON.parse(mine!.rec) as Comparable;
  if (!legacy) {
    return {
      excluded: false,
      items: [{ kind: "missing_in_legacy", externalId: id, targetId: mine!.targetId, ...(trec.emails[0] ? { email: trec.emails[0] } : {}) }, ...extra],
      fixes: [{ kinds: ["missing_in_legacy"], externalId: id, targetId: mine!.targetId, targetRecord: trec }, ...extraFixes],
    };
  }
  const lrec = JSON.parse(legacy.rec!) as Comparable;
  const diffs = compareRecords(lrec, trec);
  const kinds = Object.keys(diffs) as (keyof typeof diffs)[];
  const email = lrec.emails[0];
  const items: DriftItem[] = kinds.map((kind) => ({ kind, externalId: id, targetId: mine!.targetId, ...(email ? { email } : {}), diffs: diffs[kind]! }));
  const fixes: FixItem[] = kinds.length
    ? [{ kinds, externalId: id, targetId: mine!.targetId, targetRecord: trec, ...(legacy.user ? { user: reviveUser(legacy.user) } : {}) }]
    : [];
  return { excluded: false, items: [...items, ...extra], fixes: [...fixes, ...extraFixes] };
}
