import type { EmailClaim, Ledger } from "../ledger/types.js";

/** Who owns a normalized email, first come first served in source key order. */
export interface ClaimStore {
  reset(): Promise<void>;
  claim(claims: readonly EmailClaim[]): Promise<Map<string, string>>;
}

/** Durable claims in the ledger: constant memory, used by `run`. */
export function ledgerClaims(ledger: Ledger): ClaimStore {
  return { reset: () => ledger.resetClaims(), claim: (c) => ledger.claimEmails(c) };
}

/** In-memory claims: used by `plan` and `audit`, which must not write the ledger. */
export function memoryClaims(): ClaimStore {
  const owners = new Map<string, string>();
  return {
    async reset() {
      owners.clear();
    },
    async claim(claims) {
      const out = new Map<string, string>();
      for (const c of claims) {
        if (!owners.has(c.email)) owners.set(c.email, c.externalId);
        out.set(c.email, owners.get(c.email)!);
      }
      return out;
    },
  };
}

/**
 * Pre-decided winners for the `latest-login` and `fail` duplicate policies, which need to see a
 * whole duplicate group before choosing. Built by a first pass over the source.
 */
export interface DuplicateIndex {
  /** email -> winning externalId, or null when the policy fails the whole group. */
  winner(email: string): string | null | undefined;
}
