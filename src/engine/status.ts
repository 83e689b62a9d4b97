import type { Config } from "../config/schema.js";
import type { LedgerSummary } from "../ledger/types.js";
import { openLedger, targetKey } from "../ledger/index.js";

/** Summarise the ledger without touching the source or the target. */
export async function migrationStatus(opts: { config: Config; cwd: string }): Promise<LedgerSummary & { ledger: string }> {
  const ledger = openLedger(opts.config.ledger.url, targetKey(opts.config.target), opts.cwd);
  try {
    return { ...(await ledger.summary()), ledger: ledger.describe() };
  } finally {
    await ledger.close();
  }
}
