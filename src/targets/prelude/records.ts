import type { MigrationUser } from "../../model/user.js";
import type { TargetUserRecord } from "../types.js";
import { identifierSet } from "../user-record.js";
import { toIdentifiers, toProfile, type MapOptions, type PreludeIdentifier, type PreludeProfile, type PreludeUser } from "./map.js";

/** Prelude has no organizations and no disabled flag: only identifiers and the profile are compared. */
function record(identifiers: PreludeIdentifier[], profile: PreludeProfile & Record<string, unknown>): Omit<TargetUserRecord, "targetId" | "externalId"> {
  const of = (type: PreludeIdentifier["type"]): string[] => identifiers.filter((i) => i.type === type).map((i) => i.value);
  const p: Record<string, string> = {};
  for (const k of ["first_name", "last_name", "picture", "locale"] as const) if (typeof profile[k] === "string" && profile[k]) p[k] = profile[k];
  return { emails: identifierSet(of("email_address")), phones: [...new Set(of("phone_number"))].sort(), identities: [...new Set(of("oauth"))].sort(), profile: p };
}

/** A Prelude user from list-users, in reconcile's form. */
export function preludeRecord(u: PreludeUser): TargetUserRecord {
  return { targetId: u.id, ...(u.external_id ? { externalId: u.external_id } : {}), ...record(u.identifiers ?? [], u.profile ?? {}) };
}

/** What create sends for a legacy user (the same toIdentifiers/toProfile), in reconcile's form. */
export function preludeExpected(user: MigrationUser, opts: MapOptions): Omit<TargetUserRecord, "targetId"> {
  return { externalId: user.externalId, ...record(toIdentifiers(user, opts), { ...toProfile(user.profile) }) };
}
