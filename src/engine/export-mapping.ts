import type { Config } from "../config/schema.js";
import { openLedger, targetKey } from "../ledger/index.js";

/** legacyId ↔ targetId as CSV (seed 000: "maintain the externalId mapping so you can reconcile users"). */
export async function* exportMapping(opts: { config: Config; cwd: string }): AsyncGenerator<string> {
  const ledger = openLedger(opts.config.ledger.url, targetKey(opts.config.target), opts.cwd);
  try {
    yield "externalId,targetId,status,email\n";
    for await (const u of ledger.listUsers()) {
      if (!u.targetId) continue;
      yield `${csv(u.externalId)},${csv(u.targetId)},${u.status},${csv(u.email ?? "")}\n`;
    }
  } finally {
    await ledger.close();
  }
}

function csv(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
