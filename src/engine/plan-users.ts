import type { Ledger } from "../ledger/types.js";
import type { MappedRecord } from "../mapping/map-user.js";
import type { ClaimStore, DuplicateIndex } from "./claims.js";
import { decide, type DecideContext } from "./decide.js";
import type { Decision } from "./decision.js";
import type { OpenIntents } from "./intents.js";

async function* chunks<T>(items: AsyncIterable<T>, size: number): AsyncGenerator<T[]> {
  let buf: T[] = [];
  for await (const item of items) {
    buf.push(item);
    if (buf.length >= size) {
      yield buf;
      buf = [];
    }
  }
  if (buf.length) yield buf;
}

/** Only records that would be migrated compete for an email; a skipped inactive user must not shadow an active one. */
export function isClaimable(rec: MappedRecord, skipInactive: boolean): boolean {
  if (!rec.user?.email || rec.skipped || rec.issues.some((i) => i.severity === "error")) return false;
  return !(skipInactive && rec.user.status === "disabled");
}

/**
 * Turn the mapped record stream into decisions, one chunk at a time: one ledger lookup and one
 * claim call per chunk instead of per user. Claims happen in source order, so "first" is stable
 * across re-runs.
 */
export async function* planUsers(
  records: AsyncIterable<MappedRecord>,
  opts: { ledger: Ledger; claims: ClaimStore; duplicates: DuplicateIndex | undefined; ctx: DecideContext; chunkSize: number; intents?: OpenIntents },
): AsyncGenerator<Decision[]> {
  for await (const chunk of chunks(records, opts.chunkSize)) {
    const ids = chunk.flatMap((r) => (r.externalId ? [r.externalId] : []));
    const known = await opts.ledger.getUsers(ids);
    const skipInactive = opts.ctx.config.validation.inactive === "skip";
    const claimable = chunk.filter((r) => isClaimable(r, skipInactive));
    let owners = new Map<string, string>();
    if (opts.duplicates) {
      for (const r of claimable) {
        const w = opts.duplicates.winner(r.user!.email!);
        if (w) owners.set(r.user!.email!, w);
      }
    } else {
      owners = await opts.claims.claim(claimable.map((r) => ({ email: r.user!.email!, externalId: r.user!.externalId })));
    }
    yield chunk.map((rec) => {
      const email = rec.user?.email;
      const dupFail = !!email && opts.duplicates?.winner(email) === null;
      const id = rec.externalId;
      return decide(rec, id ? known.get(id) : undefined, email ? owners.get(email) : undefined, dupFail, opts.ctx, id !== undefined && opts.intents?.has(id) === true);
    });
  }
}
