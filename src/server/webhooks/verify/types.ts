/** What every signature scheme answers for one delivery. Reasons are logged; secrets never are. */
export type VerifyFailure = "missing_signature" | "malformed_signature" | "stale" | "mismatch" | "keys_unavailable";

export type VerifyResult =
  | { ok: true; /** Delivery id from the signed headers (standard / svix), the dedupe key. */ deliveryId?: string }
  | { ok: false; reason: VerifyFailure };

export interface Delivery {
  /** Header by lower-case name. */
  header(name: string): string | undefined;
  /** The exact bytes received: signatures are over these, never over re-serialised JSON. */
  raw: Buffer;
  /** Now, in ms. */
  now: number;
}

export interface Verifier {
  verify(d: Delivery): Promise<VerifyResult> | VerifyResult;
}

/** Every secret that may have signed a delivery: the current one first, then those being rotated out. */
export function secretsOf(p: { secret?: string | undefined; previousSecrets: readonly string[] }): string[] {
  return [...(p.secret ? [p.secret] : []), ...p.previousSecrets];
}
