/**
 * Worker-thread side of the verification pool: runs parse + verify for one job at a time.
 * Never logs; errors travel back as {code, message, hint, meta} (already secret-free).
 */
import { parentPort } from "node:worker_threads";
import { verifyInline } from "./engine.js";

export interface PoolJob {
  id: number;
  format: string;
  value: string;
  params: Record<string, unknown>;
  password: string;
}

export type PoolReply =
  | { id: number; ok: true; valid: boolean }
  | { id: number; ok: false; error: { code: string; message: string; hint?: string; meta?: Record<string, unknown> } };

if (parentPort) {
  const port = parentPort;
  port.on("message", (job: PoolJob) => {
    verifyInline(job.password, job.format, job.value, job.params).then(
      (valid) => port.postMessage({ id: job.id, ok: true, valid } satisfies PoolReply),
      (e: unknown) => {
        const err = e as { code?: unknown; message?: unknown; hint?: unknown; meta?: unknown };
        const code = typeof err.code === "string" ? err.code : "HASH_VERIFY_FAILED";
        // Only AuthmigrateError messages are known to be secret-free; anything else is replaced.
        const message = typeof err.code === "string" && typeof err.message === "string" ? err.message : "Verification failed inside the hash worker";
        port.postMessage({
          id: job.id,
          ok: false,
          error: {
            code,
            message,
            ...(typeof err.hint === "string" ? { hint: err.hint } : {}),
            ...(err.meta && typeof err.meta === "object" ? { meta: err.meta as Record<string, unknown> } : {}),
          },
        } satisfies PoolReply);
      },
    );
  });
}
