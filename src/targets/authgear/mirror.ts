import type { MirrorIdentifier, MirrorProfilePatch } from "../types.js";

/**
 * Mirror on Authgear through the Admin API GraphQL endpoint (lazy-migration-contracts.md §6):
 * `updateUser` sets standard attributes (profile); identities (login IDs) are not changed — the
 * contract documents no identity mutation — so identifiers are read but not mirrored.
 */

/** Canonical patch → `standardAttributes` (OIDC names); `null` removes an attribute. */
export function toStandardAttributes(p: MirrorProfilePatch): Record<string, string | boolean | null> {
  const out: Record<string, string | boolean | null> = {};
  if (p.givenName !== undefined) out.given_name = p.givenName?.trim() || null;
  if (p.familyName !== undefined) out.family_name = p.familyName?.trim() || null;
  if (p.displayName !== undefined) out.name = p.displayName?.trim() || null;
  if (p.picture !== undefined) out.picture = p.picture?.trim() || null;
  if (p.locale !== undefined) out.locale = p.locale?.trim() || null;
  return out;
}

export function identifiersOf(sa: Record<string, unknown>): MirrorIdentifier[] {
  return [
    ...(typeof sa.email === "string" ? [{ kind: "email" as const, value: sa.email }] : []),
    ...(typeof sa.phone_number === "string" ? [{ kind: "phone" as const, value: sa.phone_number }] : []),
  ];
}
