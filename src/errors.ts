/**
 * One error type for everything a user can act on. `code` is stable (scripts match on it),
 * `message` is one line, `hint` says what to do. Never put secrets in any of them.
 */
export class AuthmigrateError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  readonly meta: Record<string, unknown>;
  readonly retryable: boolean;

  constructor(
    code: string,
    message: string,
    opts: { hint?: string; meta?: Record<string, unknown>; retryable?: boolean; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = "AuthmigrateError";
    this.code = code;
    this.hint = opts.hint;
    this.meta = opts.meta ?? {};
    this.retryable = opts.retryable ?? false;
  }

  toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message, ...(this.hint ? { hint: this.hint } : {}), ...this.meta };
  }
}

export function isAuthmigrateError(e: unknown): e is AuthmigrateError {
  return e instanceof AuthmigrateError;
}

/** Normalise anything thrown (including non-Error values) into a message safe to print. */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return typeof e === "string" ? e : JSON.stringify(e);
}
