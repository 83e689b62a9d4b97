import type { MergedLegacy, TargetRow } from "./spill.js";

/** SQLite orders TEXT by UTF-8 bytes; JS `<` compares UTF-16 units. The merge must use SQLite's order. */
export function byteCompare(a: string, b: string): number {
  if (a === b) return 0;
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

export interface MergedPair {
  externalId: string;
  legacy?: MergedLegacy;
  /** Every target user carrying this legacy id (more than one = duplicates in the target). */
  targets: TargetRow[];
}

/** Sort-merge of two streams ordered by externalId: one pair per id present on either side. */
export function* mergeById(legacy: Iterable<MergedLegacy>, target: Iterable<TargetRow>): Generator<MergedPair> {
  const li = legacy[Symbol.iterator]();
  const ti = target[Symbol.iterator]();
  let l = li.next();
  let t = ti.next();
  while (!l.done || !t.done) {
    const lid = l.done ? undefined : l.value.externalId;
    const tid = t.done ? undefined : t.value.externalId!;
    const c = lid === undefined ? 1 : tid === undefined ? -1 : byteCompare(lid, tid);
    const id = c <= 0 ? lid! : tid!;
    const pair: MergedPair = { externalId: id, targets: [] };
    if (c <= 0) {
      pair.legacy = l.value as MergedLegacy;
      l = li.next();
    }
    while (!t.done && t.value.externalId === id) {
      pair.targets.push(t.value);
      t = ti.next();
    }
    yield pair;
  }
}
