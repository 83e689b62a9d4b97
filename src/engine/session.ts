import type { Config } from "../config/schema.js";
import { openLedger, targetKey } from "../ledger/index.js";
import type { Ledger } from "../ledger/types.js";
import { createTarget } from "../targets/index.js";
import type { Target, TargetInstance } from "../targets/types.js";
import { AdaptiveRateLimiter } from "./rate-limiter.js";
import { getTarget } from "../targets/index.js";
import { createRunLimiter, SharedRateLimiter } from "./limiter-redis.js";

/** Everything one command needs: the target (validated), its instance and the ledger scoped to it. */
export interface Session {
  config: Config;
  cwd: string;
  target: Target;
  instance: TargetInstance;
  ledger: Ledger;
  /** The target key the ledger (and a shared limiter) is scoped to: ledger/index.ts targetKey. */
  key: string;
  /** The run's shared limiter (undefined when neither the target nor the config declares a rate). */
  limiter: AdaptiveRateLimiter | undefined;
  close(): Promise<void>;
}

export interface SessionOptions {
  signal?: AbortSignal;
  /**
   * A SQLite ledger runs its WAL checkpoints (and their fsyncs) in a worker thread (ledger/checkpointer.ts):
   * for commands that write the ledger for a long time (`run`, `serve`). About a quarter of a run's
   * ledger time on the main thread was checkpointing inside commits.
   */
  backgroundCheckpoint?: boolean;
}

export async function openSession(config: Config, cwd: string, opts: SessionOptions = {}): Promise<Session> {
  const { signal } = opts;
  const key = targetKey(config.target);
  const declared = config.run.rateLimit ?? (await getTarget(config.target.type)).capabilities.rateLimit?.requestsPerSecond;
  // With run.rateLimitRedis every process migrating into this target shares one bucket (docs/scale-out.md).
  const limiter = createRunLimiter({ requestsPerSecond: declared, redis: config.run.rateLimitRedis, key });
  const { target, instance } = await createTarget(config.target, { cwd, ...(signal ? { signal } : {}), ...(limiter ? { limiter } : {}) });
  const ledger = openLedger(config.ledger.url, key, cwd, { backgroundCheckpoint: opts.backgroundCheckpoint ?? false });
  return {
    config,
    cwd,
    target,
    instance,
    ledger,
    key,
    limiter,
    async close() {
      await Promise.allSettled([instance.close(), ledger.close(), ...(limiter instanceof SharedRateLimiter ? [limiter.close()] : [])]);
    },
  };
}
