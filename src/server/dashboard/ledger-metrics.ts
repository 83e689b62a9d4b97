/**
 * Ledger-derived metrics for one serve instance: users by status, and the latest bulk run's
 * heartbeat (the run is another process: its request rate, limit and 429s reach /metrics through
 * the ledger). Computed at scrape time, so /metrics always agrees with the ledger.
 */
import { Gauge, Registry } from "prom-client";
import { latestRun, type DashboardSource } from "./queries.js";

export function ledgerMetrics(s: DashboardSource): Registry {
  const registry = new Registry();
  new Gauge({
    name: "authmigrate_users",
    help: "Users in the ledger by status (created, updated, skipped, failed, pending, rolled_back).",
    labelNames: ["status"] as const,
    registers: [registry],
    async collect() {
      const summary = await s.ledger.summary();
      for (const [status, count] of Object.entries(summary.users)) this.set({ status }, count);
    },
  });
  new Gauge({
    name: "authmigrate_users_linked",
    help: "Skipped users linked to an account that already existed in the target.",
    registers: [registry],
    async collect() {
      this.set((await s.ledger.summary()).linked);
    },
  });
  const run = (name: string, help: string, pick: (r: NonNullable<Awaited<ReturnType<typeof latestRun>>>) => number | null | undefined): void => {
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        const r = await latestRun(s);
        const v = r ? pick(r) : undefined;
        if (v !== undefined && v !== null) this.set(v);
      },
    });
  };
  run("authmigrate_run_processed", "Records processed by the latest bulk run.", (r) => r.processed);
  run("authmigrate_run_total", "Records in the source as the latest bulk run counted them.", (r) => r.total);
  run("authmigrate_run_eta_seconds", "Estimated seconds left in the running bulk run.", (r) => r.etaSeconds);
  run("authmigrate_run_request_rate", "Requests per second the running bulk run sends to the target (0 when finished).", (r) => r.requests?.requestRate);
  run("authmigrate_run_request_limit", "The target's request limit (req/s) the bulk run's limiter respects.", (r) => r.requests?.limit);
  run("authmigrate_run_requests", "Requests sent by the latest bulk run.", (r) => r.requests?.acquired);
  run("authmigrate_run_429", "429 answers the latest bulk run received.", (r) => r.requests?.throttled);
  return registry;
}
