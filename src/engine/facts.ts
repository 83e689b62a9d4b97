import type { LedgerUserFacts } from "../ledger/types.js";
import type { MigrationUser } from "../model/user.js";

/** What the ledger keeps about a legacy record for the dashboard (seed 000 health, hash formats); never the credential itself. */
export function userFacts(u: MigrationUser): LedgerUserFacts {
  return {
    emailVerified: u.emailVerified,
    hasLoggedIn: u.lastLoginAt !== undefined,
    org: u.memberships[0]?.orgExternalId ?? null,
    hashFormat: u.credential.kind === "hash" ? u.credential.format : null,
  };
}
