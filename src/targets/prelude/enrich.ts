import type { Identity, MigrationUser, Profile } from "../../model/user.js";
import { normalizeProvider } from "./map.js";

/**
 * Seed 003 step 3.2 – 3.4: join our own user rows (the source of truth for *who* is migrated)
 * with the legacy provider's export (the source of *every* email and OAuth account), fetched by
 * legacy id in chunks of ~100 ("most providers cap at ~100 IDs per call").
 *
 *   const users = enrichFromExport(readUsers(), (ids) => clerk.getUsers(ids).then(toExportMap));
 *   for await (const u of users) …
 */

/** One user as the legacy provider exports it. `identities[].provider` as the provider spells it (`oauth_google`). */
export interface LegacyExportRecord {
  emails?: string[];
  phones?: string[];
  identities?: { provider: string; providerUserId: string; email?: string }[];
  profile?: Partial<Profile>;
}

export interface EnrichOptions {
  /** Legacy ids per fetchChunk call (default 100). */
  chunkSize?: number;
  /** The user's id at the legacy provider (default: `metadata.legacyId`, else `metadata.legacyProviderId`, else `externalId`). Users without one pass through unchanged. */
  legacyId?: (u: MigrationUser) => string | undefined;
  /** Provider-name map, as the target's `providerNames` (defaults strip `oauth_`). */
  providerNames?: Readonly<Record<string, string>>;
}

const defaultLegacyId = (u: MigrationUser): string | undefined => {
  for (const k of ["legacyId", "legacyProviderId"]) {
    const v = u.metadata[k];
    if (typeof v === "string" && v.trim()) return v.trim();
    if (typeof v === "number") return String(v);
  }
  return u.externalId;
};

/**
 * Merges every email, phone and OAuth identity of the export into the user (our primary email
 * stays primary; a user without one takes the export's first); profile fields fill only gaps (our
 * DB wins). Order is preserved; a user the export does not know passes through unchanged.
 */
export async function* enrichFromExport(
  records: AsyncIterable<MigrationUser>,
  fetchChunk: (ids: string[]) => Promise<Map<string, LegacyExportRecord>>,
  opts: EnrichOptions = {},
): AsyncGenerator<MigrationUser> {
  const size = Math.max(1, opts.chunkSize ?? 100);
  const idOf = opts.legacyId ?? defaultLegacyId;
  let pending: { user: MigrationUser; id: string | undefined }[] = [];
  const flush = async function* (): AsyncGenerator<MigrationUser> {
    const ids = [...new Set(pending.flatMap((p) => (p.id ? [p.id] : [])))];
    const found = ids.length ? await fetchChunk(ids) : new Map<string, LegacyExportRecord>();
    for (const p of pending) {
      const rec = p.id ? found.get(p.id) : undefined;
      yield rec ? mergeExport(p.user, rec, opts.providerNames ?? {}) : p.user;
    }
    pending = [];
  };
  for await (const user of records) {
    pending.push({ user, id: idOf(user) });
    if (pending.filter((p) => p.id).length >= size) yield* flush();
  }
  if (pending.length) yield* flush();
}

export function mergeExport(user: MigrationUser, rec: LegacyExportRecord, providerNames: Readonly<Record<string, string>> = {}): MigrationUser {
  const norm = (e: string) => e.trim().toLowerCase();
  const all = [user.email, ...user.extraEmails, ...(rec.emails ?? []), ...(rec.identities ?? []).flatMap((i) => (i.email ? [i.email] : []))]
    .filter((e): e is string => !!e && !!e.trim())
    .map(norm);
  const emails = [...new Set(all)];
  const primary = user.email ? norm(user.email) : emails[0];
  const phones = [...new Set([...user.phones, ...(rec.phones ?? []).map((p) => p.replace(/[\s()-]/g, "")).filter((p) => /^\+[1-9]\d{1,14}$/.test(p))])];
  const identities: Identity[] = [];
  const seen = new Set<string>();
  for (const i of [...user.identities, ...(rec.identities ?? [])]) {
    if (!i.provider?.trim() || !i.providerUserId) continue;
    const provider = normalizeProvider(i.provider, providerNames);
    const key = `${provider}:${i.providerUserId}`;
    if (seen.has(key)) continue;
    seen.add(key);
    identities.push({ provider, providerUserId: i.providerUserId, ...(i.email ? { email: norm(i.email) } : {}) });
  }
  const profile: Profile = { ...user.profile };
  for (const k of ["givenName", "familyName", "displayName", "picture", "locale"] as const) {
    const v = rec.profile?.[k];
    if (!profile[k]?.trim() && typeof v === "string" && v.trim()) profile[k] = v.trim();
  }
  return {
    ...user,
    ...(primary ? { email: primary } : {}),
    extraEmails: emails.filter((e) => e !== primary),
    phones,
    identities,
    profile,
  };
}
