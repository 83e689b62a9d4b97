import { AuthmigrateError } from "../errors.js";

/**
 * The legacy system could not answer (connection refused, timeout, 5xx). Hooks answer 503
 * `legacy_unavailable`: an outage must never look like "wrong password" to the caller.
 * The message is safe to log (no identifier, password, hash or token in it).
 */
export class LegacyUnavailableError extends AuthmigrateError {
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super("LEGACY_UNAVAILABLE", message, { retryable: true, ...(opts.cause !== undefined ? { cause: opts.cause } : {}) });
    this.name = "LegacyUnavailableError";
  }
}

export function isLegacyUnavailable(e: unknown): e is LegacyUnavailableError {
  return e instanceof LegacyUnavailableError;
}
