export interface Progress {
  processed: number;
  total: number | undefined;
  /** Records per second since the start. */
  rate: number;
  etaSeconds: number | undefined;
  counts: Record<string, number>;
}

export type ProgressFn = (p: Progress) => void;

/** Rate-limited progress reporting: at most one callback per `everyMs`, plus a final one. */
export class ProgressTracker {
  private readonly started = Date.now();
  private last = 0;
  processed = 0;

  constructor(
    private readonly total: number | undefined,
    private readonly counts: Record<string, number>,
    private readonly onProgress: ProgressFn | undefined,
    private readonly everyMs = 500,
  ) {}

  tick(n: number, force = false): void {
    this.processed += n;
    if (!this.onProgress) return;
    const now = Date.now();
    if (!force && now - this.last < this.everyMs) return;
    this.last = now;
    this.onProgress(this.snapshot());
  }

  snapshot(): Progress {
    const secs = Math.max(0.001, (Date.now() - this.started) / 1000);
    const rate = this.processed / secs;
    const eta = this.total !== undefined && rate > 0 ? Math.max(0, (this.total - this.processed) / rate) : undefined;
    return { processed: this.processed, total: this.total, rate, etaSeconds: eta, counts: { ...this.counts } };
  }
}
