import type { Config } from "../config/schema.js";
import { openLedger, targetKey } from "../ledger/index.js";
import type { Ledger } from "../ledger/types.js";
import { createTarget } from "../targets/index.js";
import type { Target, TargetInstance } from "../targets/types.js";

/** Everything one command needs: the target (validated), its instance and the ledger scoped to it. */
export interface Session {
  config: Config;
  cwd: string;
  target: Target;
  instance: TargetInstance;
  ledger: Ledger;
  close(): Promise<void>;
}

export async function openSession(config: Config, cwd: string, signal?: AbortSignal): Promise<Session> {
  const { target, instance } = await createTarget(config.target, { cwd, ...(signal ? { signal } : {}) });
  const ledger = openLedger(config.ledger.url, targetKey(config.target), cwd);
  return {
    config,
    cwd,
    target,
    instance,
    ledger,
    async close() {
      await Promise.allSettled([instance.close(), ledger.close()]);
    },
  };
}
