import type { MigrationUser } from "../model/user.js";
import type { TargetUserRecord } from "./types.js";

/** Lower-cased, trimmed, de-duplicated, sorted: identifier sets compare as sets, not lists. */
export function identifierSet(values: readonly (string | undefined)[]): string[] {
  return [...new Set(values.flatMap((v) => (v && v.trim() ? [v.trim().toLowerCase()] : [])))].sort();
}

export function identityKeys(identities: readonly { provider: string; providerUserId: string }[]): string[] {
  return [...new Set(identities.map((i) => `${i.provider}:${i.providerUserId}`))].sort();
}

/**
 * A canonical user in comparable form, for targets that store the canonical user as is (file):
 * every profile field, every identifier kind, memberships by org target id.
 */
export function canonicalRecord(user: MigrationUser, orgTargetIds: Record<string, string>): Omit<TargetUserRecord, "targetId"> {
  const profile: Record<string, string> = {};
  for (const [k, v] of Object.entries(user.profile)) if (typeof v === "string" && v !== "") profile[k] = v;
  const memberships: Record<string, string[]> = {};
  for (const m of user.memberships) memberships[orgTargetIds[m.orgExternalId] ?? m.orgExternalId] = [...new Set(m.roles)].sort();
  return {
    externalId: user.externalId,
    emails: identifierSet([user.email, ...user.extraEmails]),
    phones: [...new Set(user.phones)].sort(),
    identities: identityKeys(user.identities),
    profile,
    memberships,
    disabled: user.status === "disabled",
  };
}
