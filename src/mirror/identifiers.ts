import type { MigrationUser } from "../model/user.js";
import { normalizeProvider } from "../targets/prelude/map.js";
import type { MirrorCapabilities, MirrorIdentifier, MirrorIdentifierKind } from "../targets/types.js";

/**
 * The identifier diff of seed 003 step 1: per kind, drop existing \ desired, add desired \ existing,
 * leave the intersection alone. Pure functions.
 */

export const KINDS: readonly MirrorIdentifierKind[] = ["email", "phone", "oauth"];

/** Comparison key: emails case-insensitive, OAuth providers case-insensitive (subjects are not). */
export function identifierKey(i: MirrorIdentifier): string {
  if (i.kind === "email") return `email\u0000${i.value.trim().toLowerCase()}`;
  if (i.kind === "oauth") {
    const at = i.value.indexOf(":");
    return `oauth\u0000${i.value.slice(0, at).toLowerCase()}:${i.value.slice(at + 1)}`;
  }
  return `phone\u0000${i.value.trim()}`;
}

/** What the target should hold for this user, within what the target can hold (`one` = primary only). */
export function desiredIdentifiers(user: MigrationUser, caps: MirrorCapabilities): MirrorIdentifier[] {
  const byKind: Record<MirrorIdentifierKind, string[]> = {
    email: [user.email, ...user.extraEmails].map((e) => e?.trim().toLowerCase() ?? "").filter(Boolean),
    phone: user.phones.map((p) => p.trim()).filter(Boolean),
    // Legacy spellings (`oauth_google`, `google-oauth2`) are folded so they match what the target stores.
    oauth: user.identities.map((i) => `${normalizeProvider(i.provider)}:${i.providerUserId}`),
  };
  const out: MirrorIdentifier[] = [];
  for (const kind of KINDS) {
    const slots = caps.identifiers[kind];
    if (slots === "none") continue;
    const values = [...new Set(byKind[kind])];
    for (const value of slots === "one" ? values.slice(0, 1) : values) out.push({ kind, value });
  }
  return out;
}

export interface IdentifierDiff {
  add: MirrorIdentifier[];
  remove: MirrorIdentifier[];
  keep: MirrorIdentifier[];
}

/** Diff of the kinds in `kinds` only (others are neither added nor removed). */
export function diffIdentifiers(existing: readonly MirrorIdentifier[], desired: readonly MirrorIdentifier[], kinds: readonly MirrorIdentifierKind[] = KINDS): IdentifierDiff {
  const inScope = (i: MirrorIdentifier) => kinds.includes(i.kind);
  const have = new Map(existing.filter(inScope).map((i) => [identifierKey(i), i]));
  const want = new Map(desired.filter(inScope).map((i) => [identifierKey(i), i]));
  return {
    add: [...want].filter(([k]) => !have.has(k)).map(([, i]) => i),
    remove: [...have].filter(([k]) => !want.has(k)).map(([, i]) => i),
    keep: [...want].filter(([k]) => have.has(k)).map(([, i]) => i),
  };
}

/** Kinds the target mirrors at all. */
export function mirroredKinds(caps: MirrorCapabilities): MirrorIdentifierKind[] {
  return KINDS.filter((k) => caps.identifiers[k] !== "none");
}
