import { DRIFT_KINDS, emptyCounts, type DriftItem, type DriftKind } from "./types.js";

/** Counts every drift item and keeps the first `sampleSize` of each kind: memory is bounded by the sample size. */
export class ReportBuilder {
  readonly counts = emptyCounts();
  readonly samples = Object.fromEntries(DRIFT_KINDS.map((k) => [k, [] as DriftItem[]])) as Record<DriftKind, DriftItem[]>;
  driftedUsers = 0;

  constructor(private readonly sampleSize: number) {}

  /** All drift of one user (or one orphan) at once, so `driftedUsers` counts users, not items. */
  add(items: DriftItem[]): void {
    if (!items.length) return;
    this.driftedUsers++;
    for (const item of items) {
      this.counts[item.kind]++;
      const s = this.samples[item.kind];
      if (s.length < this.sampleSize) s.push(item);
    }
  }
}
