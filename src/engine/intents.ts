import type { Ledger } from "../ledger/types.js";

/**
 * Intents left by runs that crashed or were stopped mid-request (ledger `recordIntent`): their
 * users may or may not be in the target. This run treats them as recovering (looked up before
 * anything is resent) and deletes each intent once every one of its users has been decided again,
 * so a second crash in between loses nothing.
 */
export class OpenIntents {
  /** externalId → ids of the open intents that carry it. */
  private readonly byUser = new Map<string, number[]>();
  /** intent id → users of it not decided again yet. */
  private readonly left = new Map<number, number>();

  private constructor(intents: { id: number; externalIds: string[] }[]) {
    for (const i of intents) {
      const users = new Set(i.externalIds);
      this.left.set(i.id, users.size);
      for (const u of users) {
        const ids = this.byUser.get(u);
        if (ids) ids.push(i.id);
        else this.byUser.set(u, [i.id]);
      }
    }
  }

  static async load(ledger: Ledger): Promise<OpenIntents> {
    return new OpenIntents(await ledger.openIntents());
  }

  has(externalId: string): boolean {
    return this.byUser.has(externalId);
  }

  /** These users got a final outcome (or were found to need nothing): returns intents left with no user. */
  settle(externalIds: Iterable<string>): number[] {
    if (this.byUser.size === 0) return [];
    const done: number[] = [];
    for (const u of externalIds) {
      const ids = this.byUser.get(u);
      if (!ids) continue;
      this.byUser.delete(u);
      for (const id of ids) {
        const n = this.left.get(id)! - 1;
        this.left.set(id, n);
        if (n === 0) done.push(id);
      }
    }
    return done;
  }
}
