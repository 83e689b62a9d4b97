/**
 * Ledger side of a change: link the target id to the legacy id (users created on the target and
 * inserted/linked in legacy, or events that carry an external id the ledger did not know), and
 * note deletions. Rows are `skipped` + target id (= "linked", never "created": rollback must not
 * delete users this tool did not create). One ledger run per serve lifetime, as the lazy hooks do.
 */
import type { Ledger } from "../../../ledger/types.js";

export const LINK_REASON = "webhook_linked";
export const DELETED_REASON = "webhook_deleted_on_target";

export class LedgerLinker {
  private runId: Promise<number> | undefined;
  readonly counts: Record<string, number> = {};
  /** externalId → targetId already linked: most events are updates of linked users, no ledger read needed. Bounded. */
  private readonly known = new Map<string, string>();

  constructor(private readonly ledger: Ledger) {}

  private run(): Promise<number> {
    this.runId ??= this.ledger.startRun("run").then((r) => r.id);
    return this.runId;
  }

  private count(k: string): string {
    this.counts[k] = (this.counts[k] ?? 0) + 1;
    return k;
  }

  async link(externalId: string, targetId: string, email: string | null | undefined): Promise<string> {
    if (this.known.get(externalId) === targetId) return "already_linked";
    const existing = (await this.ledger.getUsers([externalId])).get(externalId);
    if (existing?.targetId === targetId) {
      this.remember(externalId, targetId);
      return "already_linked";
    }
    // Never re-point a user at another target account: that is drift for reconcile to report.
    if (existing?.targetId) return this.count("link_conflict");
    await this.ledger.recordUsers(await this.run(), [
      { externalId, email: email ?? existing?.email ?? null, digest: existing?.digest ?? null, targetId, status: "skipped", reason: LINK_REASON, strategy: existing?.strategy ?? null },
    ]);
    this.remember(externalId, targetId);
    return this.count("linked");
  }

  private remember(externalId: string, targetId: string): void {
    if (this.known.size >= 100_000) this.known.clear();
    this.known.set(externalId, targetId);
  }

  async deleted(externalId: string): Promise<string> {
    this.known.delete(externalId);
    const existing = (await this.ledger.getUsers([externalId])).get(externalId);
    if (!existing) return "not_in_ledger";
    if (existing.reason === DELETED_REASON) return "already_deleted";
    await this.ledger.recordUsers(await this.run(), [
      { externalId, email: existing.email, digest: existing.digest, targetId: existing.targetId, status: "skipped", reason: DELETED_REASON, strategy: existing.strategy },
    ]);
    return this.count("marked_deleted");
  }

  async close(): Promise<void> {
    if (!this.runId) return;
    const id = await this.runId.catch(() => undefined);
    if (id !== undefined) await this.ledger.finishRun(id, "completed", { ...this.counts });
  }
}
