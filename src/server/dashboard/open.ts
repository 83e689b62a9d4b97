/** Opens what the dashboard reads: its own ledger connection, the auth-path history, the ledger metrics. */
import type { Registry } from "prom-client";
import type { Config } from "../../config/schema.js";
import { targetKey } from "../../ledger/index.js";
import type { Ledger } from "../../ledger/types.js";
import type { DashboardConfig } from "./config.js";
import { AuthPathHistory } from "./auth-path.js";
import { openReadDb } from "./db.js";
import { ledgerMetrics } from "./ledger-metrics.js";
import type { DashboardSource } from "./queries.js";

export interface Dashboard {
  config: DashboardConfig;
  source: DashboardSource;
  authPath: AuthPathHistory;
  ledgerRegistry: Registry;
  /** True once closing: live streams end. */
  readonly closed: boolean;
  close(): Promise<void>;
}

/** `ledger` is serve's own (already open, schema created); the dashboard adds a read connection beside it. */
export async function openDashboard(config: Config, cwd: string, ledger: Ledger, dashboard: DashboardConfig): Promise<Dashboard> {
  await ledger.summary(); // creates/upgrades the schema (PostgreSQL does it lazily) before the read connection queries it
  const db = openReadDb(config.ledger.url, cwd);
  const source: DashboardSource = { ledger, db, target: targetKey(config.target) };
  const authPath = new AuthPathHistory();
  let closed = false;
  return {
    config: dashboard,
    source,
    authPath,
    ledgerRegistry: ledgerMetrics(source),
    get closed() {
      return closed;
    },
    async close() {
      closed = true;
      authPath.close();
      await db.close();
    },
  };
}
