import type { Identity, MigrationUser, Profile } from "../../model/user.js";
import type { TargetUserView } from "../types.js";

/**
 * Canonical user ⇄ Prelude create-user body (seed 003 step 3.4): every email and phone and every
 * OAuth identity become identifiers; the legacy id becomes `external_id`. Pure functions.
 */

export const MAX_EXTERNAL_ID = 128;

export interface PreludeIdentifier {
  type: "email_address" | "phone_number" | "oauth";
  value: string;
}

export interface PreludeProfile {
  first_name?: string;
  last_name?: string;
  picture?: string;
  locale?: string;
}

export interface PreludeUser {
  id: string;
  status?: string;
  external_id?: string | null;
  profile?: PreludeProfile & Record<string, unknown>;
  identifiers?: PreludeIdentifier[];
  scopes?: string[];
  created_at?: string;
  updated_at?: string;
}

export interface CreateUserBody {
  external_id: string;
  profile: PreludeProfile;
  identifiers: PreludeIdentifier[];
}

/** Legacy spellings of OAuth providers (Auth0, Firebase, Clerk, Supabase…) → Prelude's names. */
export const DEFAULT_PROVIDER_NAMES: Readonly<Record<string, string>> = {
  "google-oauth2": "google",
  "google.com": "google",
  "github.com": "github",
  "microsoft.com": "microsoft",
  windowslive: "microsoft",
  azure: "microsoft",
  azuread: "microsoft",
  "apple.com": "apple",
  "facebook.com": "facebook",
  "twitter.com": "twitter",
  x: "twitter",
  "linkedin.com": "linkedin",
  linkedin_oidc: "linkedin",
};

/**
 * Seed 003: "Normalize the provider name to whatever Auth expects (some legacy providers prefix it,
 * e.g. oauth_google → google)". Order: the configured map (as given, then lower-cased), then the
 * `oauth_` / `oidc_` prefix is dropped, then the built-in aliases.
 */
export function normalizeProvider(name: string, map: Readonly<Record<string, string>> = {}): string {
  const raw = name.trim();
  const direct = map[raw] ?? map[raw.toLowerCase()];
  if (direct) return direct;
  let p = raw.toLowerCase().replace(/^(oauth|oidc)[_:-]/, "");
  p = map[p] ?? DEFAULT_PROVIDER_NAMES[p] ?? p;
  return p;
}

export function oauthIdentifier(identity: Identity, map: Readonly<Record<string, string>> = {}): PreludeIdentifier {
  // ASSUMED shape (lazy-migration-contracts.md §5.2): OAuth identities are keyed provider:provider_user_id.
  return { type: "oauth", value: `${normalizeProvider(identity.provider, map)}:${identity.providerUserId}` };
}

export interface MapOptions {
  providerNames: Readonly<Record<string, string>>;
  extraEmails: boolean;
}

/** Identifiers in a stable order: primary email, other emails, phones, OAuth identities; duplicates dropped. */
export function toIdentifiers(user: MigrationUser, opts: MapOptions): PreludeIdentifier[] {
  const out: PreludeIdentifier[] = [];
  const seen = new Set<string>();
  const add = (id: PreludeIdentifier): void => {
    const key = `${id.type}\u0000${id.type === "phone_number" ? id.value : id.value.toLowerCase()}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push(id);
  };
  const emails = [user.email, ...(opts.extraEmails ? user.extraEmails : [])];
  for (const e of emails) {
    const v = e?.trim().toLowerCase();
    if (v) add({ type: "email_address", value: v });
  }
  for (const p of user.phones) add({ type: "phone_number", value: p });
  for (const i of user.identities) add(oauthIdentifier(i, opts.providerNames));
  return out;
}

export function toProfile(p: Profile): PreludeProfile {
  let first = p.givenName?.trim() || undefined;
  let last = p.familyName?.trim() || undefined;
  const display = p.displayName?.trim();
  if (display && !first && !last) {
    const [head, ...rest] = display.split(/\s+/);
    first = head;
    if (rest.length) last = rest.join(" ");
  }
  return {
    ...(first ? { first_name: first } : {}),
    ...(last ? { last_name: last } : {}),
    ...(p.picture?.trim() ? { picture: p.picture.trim() } : {}),
    ...(p.locale?.trim() ? { locale: p.locale.trim() } : {}),
  };
}

export type Mapped = { ok: true; body: CreateUserBody } | { ok: false; reason: string };

export function toCreateBody(user: MigrationUser, opts: MapOptions): Mapped {
  if (user.externalId.length > MAX_EXTERNAL_ID) return { ok: false, reason: "external_id_too_long" };
  const identifiers = toIdentifiers(user, opts);
  if (identifiers.length === 0) return { ok: false, reason: "no_identifiers" };
  return { ok: true, body: { external_id: user.externalId, profile: toProfile(user.profile), identifiers } };
}

export const identifierKey = (i: PreludeIdentifier): string => `${i.type}\u0000${i.type === "phone_number" ? i.value : i.value.toLowerCase()}`;

export function toView(u: PreludeUser): TargetUserView {
  const email = u.identifiers?.find((i) => i.type === "email_address")?.value;
  const name = [u.profile?.first_name, u.profile?.last_name].filter(Boolean).join(" ");
  const status = u.status?.toLowerCase();
  return {
    targetId: u.id,
    // Prelude answers "" for users without one (Auth-native sign-ups); verify then sees a wrong id.
    externalId: u.external_id ?? "",
    ...(email ? { email } : {}),
    ...(name ? { name } : {}),
    ...(status === "blocked" || status === "disabled" || status === "banned" ? { disabled: true } : {}),
    memberships: {},
    // Prelude passwords are never imported (no documented hash format): lazy migration or reset.
    hasPassword: false,
  };
}
