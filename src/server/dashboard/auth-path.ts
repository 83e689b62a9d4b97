/**
 * "Has legacy traffic drained?" — auth_path_total (session vs legacy) over time. Prometheus
 * counters have no history in-process, so the dashboard samples the counter and keeps per-minute
 * increments for the last 24 h in memory (a restart starts a new history; Prometheus scraping
 * /metrics keeps the long one). Counts arrive from the dual-token middleware running in this
 * process (registry: metricsRegistry) or from `POST /api/auth-path` for middleware elsewhere.
 */
import { authPath, AUTH_PATH_TYPES } from "../../util/metrics.js";

export interface AuthPathPoint {
  minute: string;
  session: number;
  legacy: number;
}

type Kind = (typeof AUTH_PATH_TYPES)[number];

async function totals(): Promise<Record<Kind, number>> {
  const out: Record<Kind, number> = { session: 0, legacy: 0 };
  for (const v of (await authPath.get()).values) {
    const t = v.labels.type as Kind;
    if (t in out) out[t] = v.value;
  }
  return out;
}

export class AuthPathHistory {
  private readonly points = new Map<string, AuthPathPoint>();
  private last: Record<Kind, number> | undefined;
  private readonly timer: NodeJS.Timeout;

  constructor(
    everyMs = 5000,
    private readonly keepMinutes = 1440,
  ) {
    void this.sample();
    this.timer = setInterval(() => void this.sample(), everyMs);
    this.timer.unref();
  }

  /** Record increments since the previous sample into the current minute. */
  async sample(): Promise<void> {
    const now = await totals();
    const minute = new Date().toISOString().slice(0, 16);
    if (this.last) {
      const p = this.points.get(minute) ?? { minute, session: 0, legacy: 0 };
      for (const k of AUTH_PATH_TYPES) p[k] += Math.max(0, now[k] - this.last[k]);
      this.points.set(minute, p);
    }
    this.last = now;
    while (this.points.size > this.keepMinutes) this.points.delete(this.points.keys().next().value!);
  }

  /** Count authentications reported by a middleware running in another process. */
  ingest(type: Kind, count: number): void {
    authPath.inc({ type }, count);
  }

  async series(): Promise<{ totals: Record<Kind, number>; perMinute: AuthPathPoint[] }> {
    await this.sample();
    return { totals: await totals(), perMinute: [...this.points.values()] };
  }

  close(): void {
    clearInterval(this.timer);
  }
}
