import { MigrationUserSchema } from "../model/user.js";
import type { MirrorIdentifier } from "../targets/types.js";
import type { MirrorContext } from "./types.js";

export interface ResolvedUser {
  targetId: string;
  identifiers: MirrorIdentifier[];
  via: "ledger" | "target";
}

/**
 * Target user for a legacy id (seed 003: "resolve the Auth user by external_id"): the ledger's
 * legacyId → targetId first (checked to still exist), then the target's own lookup by external id.
 * Undefined = not migrated (yet). Lookup errors are thrown (the caller records them as a failure).
 */
export async function resolveUser(ctx: MirrorContext, externalId: string): Promise<ResolvedUser | undefined> {
  const { instance, ledger } = ctx;
  if (!instance.getIdentifiers) return undefined;
  const row = ledger ? (await ledger.getUsers([externalId])).get(externalId) : undefined;
  if (row?.targetId && row.status !== "rolled_back") {
    const identifiers = await instance.getIdentifiers(row.targetId);
    if (identifiers) return { targetId: row.targetId, identifiers, via: "ledger" };
  }
  if (!instance.lookupUsers) return undefined;
  // A user with no email: only an external-id match counts (an email match may be someone else).
  const found = (await instance.lookupUsers([MigrationUserSchema.parse({ externalId })])).get(externalId);
  if (!found || found.matchedBy !== "externalId") return undefined;
  const identifiers = await instance.getIdentifiers(found.targetId);
  return identifiers ? { targetId: found.targetId, identifiers, via: "target" } : undefined;
}
