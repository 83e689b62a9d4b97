import type { IdentifierOpResult, MirrorIdentifier, MirrorProfilePatch } from "../types.js";
import { isPreludeError, isStatus, type PreludeApi } from "./client.js";
import { normalizeProvider, type PreludeIdentifier } from "./map.js";

/**
 * Mirror (seed 003 step 1) on the Prelude Management API: profile PATCH, identifier POST/DELETE.
 * NotFound on a remove and AlreadyExists (on this user) on an add are the wanted state; an
 * identifier owned by another user (IdentifierAlreadyExists) is a real failure and thrown.
 */

const TYPE: Record<MirrorIdentifier["kind"], PreludeIdentifier["type"]> = { email: "email_address", phone: "phone_number", oauth: "oauth" };
const KIND: Record<PreludeIdentifier["type"], MirrorIdentifier["kind"]> = { email_address: "email", phone_number: "phone", oauth: "oauth" };

export function toPreludeIdentifier(i: MirrorIdentifier, providerNames: Readonly<Record<string, string>>): PreludeIdentifier {
  if (i.kind !== "oauth") return { type: TYPE[i.kind], value: i.kind === "email" ? i.value.trim().toLowerCase() : i.value };
  const at = i.value.indexOf(":");
  return { type: "oauth", value: `${normalizeProvider(i.value.slice(0, at), providerNames)}:${i.value.slice(at + 1)}` };
}

export function fromPreludeIdentifiers(ids: readonly PreludeIdentifier[] | undefined): MirrorIdentifier[] {
  return (ids ?? []).filter((i) => i.type in KIND).map((i) => ({ kind: KIND[i.type], value: i.value }));
}

/** Canonical patch → Prelude profile body; `null` clears a field (the profile PATCH merges). */
export function toProfilePatch(p: MirrorProfilePatch): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  let first = p.givenName;
  let last = p.familyName;
  // Same rule as the create path (map.ts toProfile): a display name fills in missing first/last.
  if (!first && !last && p.displayName) {
    const [head, ...rest] = p.displayName.trim().split(/\s+/);
    first = head ?? null;
    last = rest.length ? rest.join(" ") : null;
  }
  if (first !== undefined) out.first_name = first?.trim() || null;
  if (last !== undefined) out.last_name = last?.trim() || null;
  if (p.picture !== undefined) out.picture = p.picture?.trim() || null;
  if (p.locale !== undefined) out.locale = p.locale?.trim() || null;
  return out;
}

export async function getIdentifiers(api: PreludeApi, targetId: string): Promise<MirrorIdentifier[] | undefined> {
  const u = await api.getUser(targetId);
  return u ? fromPreludeIdentifiers(u.identifiers) : undefined;
}

export async function addIdentifier(api: PreludeApi, targetId: string, i: PreludeIdentifier): Promise<IdentifierOpResult> {
  try {
    await api.addIdentifier(targetId, i);
    return "done";
  } catch (e) {
    if (isPreludeError(e, "AlreadyExists")) return "already_exists";
    throw e;
  }
}

export async function removeIdentifier(api: PreludeApi, targetId: string, i: PreludeIdentifier): Promise<IdentifierOpResult> {
  try {
    await api.deleteIdentifier(targetId, i);
    return "done";
  } catch (e) {
    if (isStatus(e, 404) || isPreludeError(e, "NotFound")) return "not_found";
    throw e;
  }
}
