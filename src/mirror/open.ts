import { isAuthmigrateError } from "../errors.js";
import { openLedger, targetKey } from "../ledger/index.js";
import type { Ledger } from "../ledger/types.js";
import type { MigrationUser, MigrationUserInput } from "../model/user.js";
import { createTarget } from "../targets/index.js";
import type { TargetInstance } from "../targets/types.js";
import { DualWrite, parseUser, type NewPassword } from "./dual-write.js";
import { Outbox, openOutboxStore, type DrainStats, type OutboxOptions, type SubmitResult } from "./outbox.js";
import type { PgOutboxOptions } from "./outbox-pg.js";
import type { DeadLetter, OutboxDepth } from "./outbox-types.js";
import type { MirrorContext } from "./types.js";

export interface OpenMirrorOptions {
  /** The migration config's `target:` block (same key as the runs: the ledger's legacyId → targetId links are shared). */
  target: { type: string } & Record<string, unknown>;
  /** The migration config's `ledger.url`: SQLite file or postgres:// URL. The outbox lives there too. */
  ledgerUrl: string;
  /** Relative paths resolve here (default: process.cwd()). */
  cwd?: string;
  outbox?: OutboxOptions & { postgres?: PgOutboxOptions };
  /** Run the background worker (default true; interval 1 s). */
  worker?: boolean | { intervalMs: number };
}

/**
 * Everything an app needs to keep the target in sync while the legacy system is the source of
 * truth: mirrorUpsert / mirrorDelete and the dual-write helpers, all through the durable outbox.
 */
export class Mirror extends DualWrite {
  constructor(
    readonly ctx: MirrorContext,
    outbox: Outbox,
    private readonly owned: { instance: TargetInstance; ledger?: Ledger },
  ) {
    super(outbox);
  }

  /** The user's whole current state (canonical shape; defaults applied here). Throws MIRROR_INVALID naming the bad field. */
  mirrorUpsert(user: MigrationUserInput | MigrationUser): Promise<SubmitResult> {
    const u = parseUser("mirrorUpsert", user);
    return this.outbox.submit({ action: "upsert", externalId: u.externalId, user: u });
  }

  mirrorDelete(externalId: string): Promise<SubmitResult> {
    return this.outbox.submit({ action: "delete", externalId });
  }

  drain(): Promise<DrainStats> {
    return this.outbox.drain();
  }

  outboxDepth(): Promise<OutboxDepth> {
    return this.outbox.outboxDepth();
  }

  deadLetters(limit?: number): Promise<DeadLetter[]> {
    return this.outbox.deadLetters(limit);
  }

  /** Stops the worker (changes still queued stay in the database for the next start). */
  async close(): Promise<void> {
    await this.outbox.close();
    await this.owned.instance.close();
    await this.owned.ledger?.close();
  }
}

export type { NewPassword, MigrationUserInput };

export async function openMirror(opts: OpenMirrorOptions): Promise<Mirror> {
  const cwd = opts.cwd ?? process.cwd();
  const { target, instance } = await createTarget(opts.target, { cwd });
  try {
    await instance.prepare();
  } catch (e) {
    // Target down at boot: changes queue up and are delivered when it is back.
    if (!(isAuthmigrateError(e) && e.retryable)) throw e;
  }
  const key = targetKey(opts.target);
  const ledger = openLedger(opts.ledgerUrl, key, cwd);
  const ctx: MirrorContext = { instance, capabilities: target.capabilities.mirror, ledger };
  const store = openOutboxStore(opts.ledgerUrl, key, cwd, opts.outbox?.postgres);
  const outbox = new Outbox(store, ctx, opts.outbox);
  const mirror = new Mirror(ctx, outbox, { instance, ledger });
  if (opts.worker !== false) outbox.start(typeof opts.worker === "object" ? opts.worker.intervalMs : 1000);
  return mirror;
}
