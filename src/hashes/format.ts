/**
 * One password-hash format: recognise it, parse it into typed parameters, verify a password
 * against it, and (where the target needs it) re-encode it into another format's string.
 * Every format lives in one module under formats/ and is registered in registry.ts.
 */
export interface HashFormat<P = unknown> {
  /** Canonical id, as in shared/vectors/password-hashes.json. */
  id: string;
  /** Family for docs and the matrix: bcrypt, argon2, scrypt, pbkdf2, ldap, crypt, digest, other. */
  family: string;
  /** One-line human description (docs, `hash matrix`). */
  title: string;
  /** Which params (outside the hash string) verification needs, for docs and error hints. */
  needs?: readonly string[];
  /**
   * 0 = not this format, 1 = can only be this format. Values in between rank ambiguous
   * candidates (e.g. 32 hex chars are md5-raw, nthash, …). Must be cheap and never throw.
   */
  identify(value: string): number;
  /** Throws AuthmigrateError HASH_PARSE_ERROR (or HASH_PARAMS_TOO_EXPENSIVE) without echoing the value. */
  parse(value: string, params: Record<string, unknown>): P;
  /** Constant-time verification. */
  verify(password: string, parsed: P): Promise<boolean>;
  /** False when the format can be identified but not verified here (e.g. no maintained library). */
  verifiable?: boolean;
  /** CPU-heavy verification (run in the worker pool). */
  heavy?: boolean | ((parsed: P) => boolean);
}

// Format modules are heterogeneous in P; the registry treats them uniformly.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyHashFormat = HashFormat<any>;

export function defineFormat<P>(f: HashFormat<P>): HashFormat<P> {
  return f;
}
