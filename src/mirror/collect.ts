import { errorMessage, isAuthmigrateError } from "../errors.js";
import type { MirrorOpResult, MirrorResult } from "./types.js";

/** One line for a failed op: error code and message (target errors never carry passwords or hashes). */
export function describeError(e: unknown): string {
  const code = isAuthmigrateError(e) && typeof e.meta.providerCode === "string" ? ` [${e.meta.providerCode}]` : "";
  const line = isAuthmigrateError(e) ? `${e.code}${code}:${e.message}` : errorMessage(e);
  return line.replace(/\s+/g, " ").slice(0, 300);
}

/** 429 / 5xx / timeouts / network: worth trying again later. Unknown (non-authmigrate) errors are not. */
export function isRetryable(e: unknown): boolean {
  return isAuthmigrateError(e) ? e.retryable : false;
}

export function retryAfterOf(e: unknown): number | undefined {
  const ms = isAuthmigrateError(e) ? e.meta.retryAfterMs : undefined;
  return typeof ms === "number" && Number.isFinite(ms) ? ms : undefined;
}

/**
 * Runs ops one after another and never stops at a failure (seed 003: "collect errors across the
 * profile patch and each identifier op, run them all, then join at the end").
 */
export class OpCollector {
  readonly ops: MirrorOpResult[] = [];
  readonly errors: string[] = [];
  private retryableFailures = 0;
  private fatalFailures = 0;
  private retryAfterMs: number | undefined;

  async run(op: Omit<MirrorOpResult, "outcome">, fn: () => Promise<MirrorOpResult["outcome"] | void>): Promise<boolean> {
    try {
      const outcome = (await fn()) ?? "done";
      this.ops.push({ ...op, outcome });
      return true;
    } catch (e) {
      this.fail(op, e);
      return false;
    }
  }

  fail(op: Omit<MirrorOpResult, "outcome">, e: unknown): void {
    const retryable = isRetryable(e);
    const error = describeError(e);
    this.ops.push({ ...op, outcome: "failed", error, retryable });
    this.errors.push(`${op.op}${op.kind ? `_${op.kind}` : ""}: ${error}`);
    if (retryable) this.retryableFailures++;
    else this.fatalFailures++;
    const ra = retryAfterOf(e);
    if (ra !== undefined) this.retryAfterMs = Math.max(this.retryAfterMs ?? 0, ra);
  }

  get failed(): boolean {
    return this.errors.length > 0;
  }

  /** The aggregate: `failed` if any op failed; retryable only when no failure is permanent. */
  result(base: Pick<MirrorResult, "action" | "externalId"> & { targetId?: string; reason?: string }, ok: MirrorResult["status"] = "applied"): MirrorResult {
    return {
      ...base,
      status: this.failed ? "failed" : ok,
      ops: this.ops,
      errors: this.errors,
      retryable: this.failed && this.fatalFailures === 0 && this.retryableFailures > 0,
      ...(this.retryAfterMs !== undefined ? { retryAfterMs: this.retryAfterMs } : {}),
    };
  }
}
