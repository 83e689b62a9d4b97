import path from "node:path";
import type { Config } from "../config/schema.js";
import { errorMessage } from "../errors.js";
import type { LedgerUserWrite } from "../ledger/types.js";
import type { MappedRecord } from "../mapping/map-user.js";
import type { UserWrite } from "../targets/types.js";
import type { Source } from "../sources/types.js";
import { ledgerClaims, memoryClaims } from "./claims.js";
import type { Decision } from "./decision.js";
import { buildDuplicateIndex } from "./duplicate-index.js";
import { syncOrgs, type OrgSummary } from "./orgs.js";
import { TemporaryPasswordFile, temporaryPassword } from "./passwords.js";
import { planUsers } from "./plan-users.js";
import { ProgressTracker, type ProgressFn } from "./progress.js";
import { userFacts } from "./facts.js";
import { startHeartbeat } from "./heartbeat.js";
import { openUserSource, readMappedUsers } from "./read.js";
import { ReportWriter, warningTexts, type ReportLine } from "./report-writer.js";
import { DEFAULT_RETRY, TaskPool, withRetry } from "./retry.js";
import { openSession, type Session } from "./session.js";
import type { ForcedStrategy } from "./strategy.js";
import { writeUsersReliably } from "./write-users.js";
import { splitByBytes } from "./split-batch.js";
import { openWriteBack, type WriteBack } from "../sources/write-back.js";
import { historyNotices } from "./history-notice.js";
import { OpenIntents } from "./intents.js";

export interface RunOptions {
  config: Config;
  /** Directory of the config file: relative paths resolve against it. */
  cwd: string;
  /** Decide everything and ask the target's read endpoints; write nothing (`plan`, `run --dry-run`). */
  dryRun?: boolean;
  concurrency?: number;
  /** Overrides `passwords.strategy`. */
  forcedStrategy?: ForcedStrategy;
  /** Overrides `passwords.reset`. */
  reset?: "none" | "missing" | "all";
  /** Only migrate records this accepts (pilot groups); the others are not read further. */
  only?: (rec: MappedRecord) => boolean;
  onProgress?: ProgressFn;
  /** Called with every decision (plan --json streams these). */
  onDecision?: (d: Decision) => void;
  /**
   * Graceful stop (SIGINT/SIGTERM): no new batch is started, in-flight requests finish and are
   * recorded, and the report says `interrupted`.
   */
  signal?: AbortSignal;
  /**
   * One chunk of a scaled-out run (src/engine/scale/): join run `runId` instead of starting one and
   * read `openSource()` (a key range of the source); target preparation, organizations, email
   * claims, the run's heartbeat and finishing the run are the coordinator's.
   */
  shard?: { runId: number; openSource: () => Promise<Source> };
}

export interface RunReport {
  runId: number | null;
  target: string;
  ledger: string;
  dryRun: boolean;
  interrupted: boolean;
  durationMs: number;
  /** Per-outcome counts: created, updated, unchanged, skipped, failed (+ `total`). */
  counts: Record<string, number>;
  /** Count per reason family (`no_email`, `duplicate_of`, `exists_by_email`…). */
  reasons: Record<string, number>;
  /** Count per password strategy of the users written or planned. */
  strategies: Record<string, number>;
  orgs: OrgSummary;
  resets?: { sent: number; failed: number };
  reportFile?: string;
  retryFile?: string;
  temporaryPasswordsFile?: string;
  rateLimiter?: Record<string, unknown>;
  /** Things to read before trusting the counts (e.g. history-notice.ts). */
  notices?: string[];
}

const reasonFamily = (r: string): string => r.split(":")[0]!;

function bump(map: Record<string, number>, key: string | undefined): void {
  if (key) map[key] = (map[key] ?? 0) + 1;
}

/** Source → mapping → validation → dedupe → ledger → target, streaming, resumable. Never throws for one bad user. */
export async function runMigration(opts: RunOptions): Promise<RunReport> {
  const session = await openSession(opts.config, opts.cwd, { backgroundCheckpoint: !opts.dryRun });
  try {
    return await runInSession(session, opts);
  } finally {
    await session.close();
  }
}

const STATUS_OF: Record<Decision["kind"], string> = { create: "created", update: "updated", unchanged: "unchanged", skip: "skipped", fail: "failed" };

export async function runInSession(session: Session, opts: RunOptions): Promise<RunReport> {
  const { config, ledger, instance, target } = session;
  const dryRun = opts.dryRun ?? false;
  const started = Date.now();
  const counts: Record<string, number> = { total: 0, created: 0, updated: 0, unchanged: 0, skipped: 0, failed: 0 };
  const reasons: Record<string, number> = {};
  const strategies: Record<string, number> = {};
  const forced = opts.forcedStrategy ?? config.passwords.strategy;
  const resetPolicy = opts.reset ?? config.passwords.reset;
  const retry = { ...DEFAULT_RETRY, retries: config.run.retries };

  // Like every request, the first ones are retried: one 429 or 500 must not abort the run.
  if (!dryRun && !opts.shard) await withRetry(() => instance.prepare(), retry);
  const { map: orgTargetIds, summary: orgs } = await syncOrgs(session, dryRun || !!opts.shard, retry);

  const notices = opts.shard ? [] : await historyNotices(ledger, session.key);
  const source = opts.shard ? await opts.shard.openSource() : await openUserSource(config, session.cwd);
  const run = dryRun ? undefined : opts.shard ? { id: opts.shard.runId } : await ledger.startRun("run");
  const writer = dryRun ? undefined : new ReportWriter(path.resolve(session.cwd, config.run.outDir));
  const tempPasswords = new TemporaryPasswordFile(path.resolve(session.cwd, config.passwords.temporaryPasswordsFile));
  const tracker = new ProgressTracker(opts.only ? undefined : await source.count().catch(() => undefined), counts, opts.onProgress);
  const canReset = !dryRun && instance.sendPasswordResets !== undefined;
  const toReset: string[] = [];
  const writeBack: WriteBack | undefined = !dryRun && config.run.writeBack ? await openWriteBack(config.source, config.run.writeBack, session.cwd) : undefined;
  let status: "completed" | "failed" | "interrupted" = "completed";
  const heartbeat = run && !opts.shard ? startHeartbeat(ledger, run.id, tracker, session.limiter) : undefined;

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
      ...(d.strategy ? { strategy: d.strategy } : {}),
      ...(warnings ? { warnings } : {}),
      ...extra,
    };
  };
  const ledgerRow = (d: Decision, o: { status: LedgerUserWrite["status"]; targetId?: string; reason?: string }): LedgerUserWrite => ({
    externalId: d.externalId!,
    email: d.email ?? null,
    // No digest when the outcome is not final or the write was partial (an org was missing):
    // the next run then sees a change and completes the user.
    digest: o.status === "failed" || o.status === "pending" || d.incomplete ? null : (d.digest ?? null),
    targetId: o.targetId ?? d.targetId ?? null,
    status: o.status,
    reason: o.reason ?? null,
    strategy: d.strategy ?? null,
    ...(d.user ? { facts: userFacts(d.user) } : d.org ? { facts: { emailVerified: false, hasLoggedIn: false, org: d.org, hashFormat: null } } : {}),
  });

  let lookupFailed: string | undefined;
  /** Users that may already exist in the target: link them instead of creating a duplicate. */
  const findExisting = async (creates: Decision[]): Promise<Map<string, { targetId: string; matchedBy: string }>> => {
    if (!instance.lookupUsers) return new Map();
    // A dry run always asks: it is the only way to report "already exists" before writing.
    const ask = target.capabilities.idempotentCreate && !dryRun ? creates.filter((d) => d.recovering) : creates;
    if (!ask.length) return new Map();
    try {
      // Reads are retried like writes: a 5xx on a lookup must not abort the run. Targets that
      // retry each read request themselves are not retried again around the whole call.
      const lookup = () => instance.lookupUsers!(ask.map((d) => d.user!));
      return await (target.capabilities.retriesReads ? lookup() : withRetry(lookup, retry));
    } catch (e) {
      // Still failing after retries. A target whose create links existing users can go ahead and
      // write; for the others, creating blind could duplicate, so these users fail (retryable).
      if (target.capabilities.idempotentCreate) return new Map();
      lookupFailed = `lookup_failed:${errorMessage(e).slice(0, 160)}`;
      return new Map();
    }
  };

  try {
    const claims = dryRun ? memoryClaims() : ledgerClaims(ledger);
    if (!opts.shard) await claims.reset();
    const readFiltered = (s: typeof source): AsyncIterable<MappedRecord> => filterRecords(readMappedUsers(config, s), opts.only);
    const duplicates = await buildDuplicateIndex(config.validation.duplicates.keep, () => openUserSource(config, session.cwd), readFiltered);
    const batchSize = Math.min(config.run.batchSize, target.capabilities.maxBatchSize);
    const pool = new TaskPool(opts.concurrency ?? config.run.concurrency);
    const ctx = { config, targetType: target.id, capabilities: target.capabilities, forcedStrategy: forced };
    // Requests a stopped run left unanswered: their users are looked up before anything is resent.
    const intents = await OpenIntents.load(ledger);

    for await (const decisions of planUsers(readFiltered(source), { ledger, claims, duplicates, ctx, chunkSize: batchSize, intents })) {
      const immediate: LedgerUserWrite[] = [];
      const writes: { d: Decision; w: UserWrite }[] = [];
      lookupFailed = undefined;
      const existing = await findExisting(decisions.filter((d) => d.kind === "create"));
      for (const d of decisions) {
        opts.onDecision?.(d);
        const found = d.kind === "create" ? existing.get(d.externalId!) : undefined;
        if (found) {
          // Our own create whose answer was lost in a crash: it is ours (rollback may delete it).
          // Otherwise the account existed already (lazy migration, sign-up): link, never own it.
          const ours = d.recovering === true;
          const reason = ours ? "recovered_after_crash" : found.matchedBy === "externalId" ? "exists_by_external_id" : "exists_by_email";
          const st = ours ? "created" : "skipped";
          record(lineOf(d, dryRun ? "would_link" : st, { targetId: found.targetId, reason }));
          if (!dryRun) immediate.push(ledgerRow(d, { status: st, targetId: found.targetId, reason }));
          continue;
        }
        if (lookupFailed && d.kind === "create" && !dryRun) {
          record(lineOf(d, "failed", { reason: lookupFailed }), true);
          immediate.push(ledgerRow(d, { status: "failed", reason: lookupFailed }));
          continue;
        }
        if (d.strategy && (d.kind === "create" || d.kind === "update")) bump(strategies, d.strategy);
        if (dryRun || d.kind === "unchanged" || d.kind === "fail" || d.kind === "skip") {
          const st = dryRun && (d.kind === "create" || d.kind === "update") ? `would_${d.kind}` : STATUS_OF[d.kind];
          record(lineOf(d, st));
          if (!dryRun && d.externalId && (d.kind === "fail" || d.kind === "skip")) immediate.push(ledgerRow(d, { status: st as "failed" | "skipped", ...(d.reason ? { reason: d.reason } : {}) }));
          continue;
        }
        writes.push({ d, w: toWrite(d, target.capabilities.orgs, orgTargetIds, tempPasswords) });
      }
      // Users decided now (recorded, unchanged, skipped…) settle the open intents that carried them.
      const writing = new Set(writes.map(({ d }) => d));
      const settled = dryRun ? [] : intents.settle(decisions.flatMap((d) => (d.externalId && !writing.has(d) ? [d.externalId] : [])));
      if (immediate.length || settled.length) await ledger.recordUsers(run!.id, immediate, settled);
      await writeBack?.write(immediate.flatMap((r) => (r.targetId && r.status !== "failed" ? [{ externalId: r.externalId, targetId: r.targetId }] : [])));
      await writer?.flush();
      tracker.tick(decisions.length - writes.length);
      for (const part of writes.length ? splitByBytes(writes, target.capabilities.maxBatchBytes) : []) {
        await pool.push(async () => {
          // Intent before the request, one row for all of it: a crash from here on leaves it open,
          // and the next run looks these users up before resending (engine/intents.ts).
          const intent = await ledger.recordIntent(run!.id, part.map((x) => x.w.user.externalId));
          const outcomes = await writeUsersReliably(instance, part.map((x) => x.w), { retry, userRounds: config.run.retries });
          const rows: LedgerUserWrite[] = [];
          for (const { d, w } of part) {
            const o = outcomes.get(w.user.externalId)!;
            rows.push(ledgerRow(d, o));
            record(lineOf(d, o.status, { ...(o.targetId ? { targetId: o.targetId } : {}), ...(o.reason ? { reason: o.reason } : {}) }), o.retryable ?? false);
            if (canReset && o.status === "created" && o.targetId && wantsReset(d, resetPolicy)) toReset.push(o.targetId);
          }
          await ledger.recordUsers(run!.id, rows, [intent, ...intents.settle(rows.map((r) => r.externalId))]);
          await writeBack?.write(rows.flatMap((r) => (r.targetId && r.status !== "failed" ? [{ externalId: r.externalId, targetId: r.targetId }] : [])));
          tracker.tick(part.length);
        });
      }
      if (opts.signal?.aborted) {
        status = "interrupted";
        break;
      }
    }
    await pool.drain();
  } catch (e) {
    status = "failed";
    throw e;
  } finally {
    await source.close();
    await writeBack?.close();
    tempPasswords.close();
    await writer?.close();
    await heartbeat?.stop();
    if (run && !opts.shard) await ledger.finishRun(run.id, status, counts);
    tracker.tick(0, true);
  }

  const resets = dryRun ? undefined : await sendResets(session, toReset);
  return {
    runId: run?.id ?? null,
    target: target.id,
    ledger: ledger.describe(),
    dryRun,
    interrupted: status === "interrupted",
    durationMs: Date.now() - started,
    counts,
    reasons,
    strategies,
    orgs,
    ...(resets ? { resets } : {}),
    ...(writer ? { reportFile: writer.reportFile, retryFile: writer.retryFile } : {}),
    ...(strategies.temporary && !dryRun ? { temporaryPasswordsFile: tempPasswords.file } : {}),
    ...(session.limiter ? { rateLimiter: { ...session.limiter.snapshot() } } : {}),
    ...(notices.length ? { notices } : {}),
  };
}

async function* filterRecords(records: AsyncIterable<MappedRecord>, only: RunOptions["only"]): AsyncGenerator<MappedRecord> {
  for await (const r of records) if (!only || only(r)) yield r;
}

function toWrite(d: Decision, orgs: boolean, orgTargetIds: Record<string, string>, tempPasswords: TemporaryPasswordFile): UserWrite {
  const user = d.user!;
  const resolved: Record<string, string> = {};
  // Targets without organizations never get memberships: nothing to resolve, nothing missing.
  for (const m of orgs ? user.memberships : []) {
    const id = orgTargetIds[m.orgExternalId];
    if (id) resolved[m.orgExternalId] = id;
    else {
      d.incomplete = true;
      d.warnings.push({ code: "invalid_record", severity: "warning", field: "memberships", message: `organization ${m.orgExternalId} does not exist in the target; membership not created (added by a later run once it exists)` });
    }
  }
  let temp: string | undefined;
  if (d.strategy === "temporary" && d.kind === "create") {
    temp = temporaryPassword();
    tempPasswords.add(user.externalId, user.email ?? "", temp);
  }
  return {
    user,
    ...(d.json !== undefined ? { json: d.json } : {}),
    action: d.kind as "create" | "update",
    ...(d.targetId ? { targetId: d.targetId } : {}),
    orgTargetIds: resolved,
    ...(d.strategy ? { strategy: d.strategy } : {}),
    ...(temp ? { temporaryPassword: temp } : {}),
  };
}

function wantsReset(d: Decision, policy: "none" | "missing" | "all"): boolean {
  if (policy === "none") return false;
  if (policy === "all") return d.strategy !== "sso";
  return d.strategy === "reset" || d.strategy === "none";
}

/** Strategy B: reset emails, throttled by the run's limiter (through the target's client). */
async function sendResets(session: Session, targetIds: string[]): Promise<{ sent: number; failed: number } | undefined> {
  if (!targetIds.length || !session.instance.sendPasswordResets) return undefined;
  let sent = 0;
  let failed = 0;
  for (let i = 0; i < targetIds.length; i += 100) {
    for (const r of await session.instance.sendPasswordResets(targetIds.slice(i, i + 100))) r.ok ? sent++ : failed++;
  }
  return { sent, failed };
}
