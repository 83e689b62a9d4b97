/**
 * MigrationUser → Auth0 bulk-import user object (targets.md §5.3), and the byte-splitting of a
 * batch into job files (≤500 KB each, JSON arrays).
 */
import { convert, nativeHash } from "../../hashes/index.js";
import type { MigrationUser } from "../../model/user.js";
import type { UserWrite } from "../types.js";

/** Auth0's documented import file limit ("500 KB"); we count it as 500 000 bytes to stay safe. */
export const AUTH0_FILE_MAX = 500_000;

/** app_metadata keys the import schema rejects (targets.md §5.3). */
export const RESERVED_APP_METADATA = new Set([
  "__tenant", "_id", "blocked", "clientID", "created_at", "email_verified", "email", "globalClientID", "global_client_id", "identities",
  "lastIP", "lastLogin", "loginsCount", "metadata", "multifactor_last_modified", "multifactor", "updated_at", "user_id",
]);

export interface RecordOptions {
  /** Send the legacy id as `user_id` (Auth0 stores it as `auth0|<id>`). */
  setUserId: boolean;
  /** app_metadata key holding the legacy id (what verify reads back). */
  externalIdKey: string;
  sendUsername: boolean;
}

export interface PreparedUser {
  write: UserWrite;
  record: Record<string, unknown>;
  /** Serialized size inside the JSON array. */
  bytes: number;
  /** Lower-cased email (the import's match key). */
  email: string;
  /** Set when the planned password could not be sent. */
  passwordNote?: string;
}

/** Auth0 accepts only these characters in an imported user_id [mem]; anything else is not sent as user_id. */
const USER_ID_OK = /^[A-Za-z0-9_.@+-]{1,200}$/;

/**
 * The `user_id` to import for a legacy id (Auth0 prefixes it with `auth0|`). An id that already is
 * an Auth0 database id (`auth0|…`, tenant-to-tenant moves) keeps its value: same user_id in the new tenant.
 */
export function auth0UserId(externalId: string, o: Pick<RecordOptions, "setUserId">): string | undefined {
  const id = externalId.startsWith("auth0|") ? externalId.slice(6) : externalId;
  return o.setUserId && USER_ID_OK.test(id) ? id : undefined;
}

function displayName(user: MigrationUser): string | undefined {
  const p = user.profile;
  const full = [p.givenName, p.familyName].filter((x) => x && x.trim()).join(" ").trim();
  return p.displayName?.trim() || full || undefined;
}

/**
 * Password fields by the planner's strategy: `native`/`re-encode` → `convert(…, "auth0")`
 * (bcrypt `password_hash` or `custom_password_hash`); `temporary` → a bcrypt of the generated
 * password (Auth0 has no "must change" flag); `lazy`/`reset`/`sso`/`none` → nothing.
 */
export async function passwordFor(w: UserWrite): Promise<{ fields?: Record<string, unknown>; note?: string }> {
  const cred = w.user.credential;
  switch (w.strategy) {
    case "lazy":
    case "reset":
    case "sso":
    case "none":
      return {};
    case "temporary":
      if (!w.temporaryPassword) return { note: "missing_temporary_password" };
      return { fields: { password_hash: await nativeHash(w.temporaryPassword, 10) } };
    default: {
      if (cred.kind !== "hash") return {};
      try {
        return { fields: convert({ format: cred.format, value: cred.value, params: cred.params }, "auth0").fields };
      } catch (e) {
        const strategy = (e as { meta?: { strategy?: string } }).meta?.strategy ?? "reset";
        return { note: `password_not_importable:${strategy}` };
      }
    }
  }
}

/** The import object for one write, or the reason it cannot be sent. */
export async function toImportUser(w: UserWrite, o: RecordOptions): Promise<{ record: Record<string, unknown>; note?: string } | { error: string }> {
  const u = w.user;
  if (!u.email) return { error: "no_email" };
  const r: Record<string, unknown> = { email: u.email, email_verified: u.emailVerified };
  const id = auth0UserId(u.externalId, o);
  if (id && w.action === "create") r.user_id = id;
  if (o.sendUsername && u.username) r.username = u.username;
  const name = displayName(u);
  if (name) r.name = name;
  if (u.profile.givenName) r.given_name = u.profile.givenName;
  if (u.profile.familyName) r.family_name = u.profile.familyName;
  if (u.profile.picture) r.picture = u.profile.picture;
  if (u.status === "disabled" || w.action === "update") r.blocked = u.status === "disabled";
  const app: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(u.metadata)) if (!RESERVED_APP_METADATA.has(k) && v !== undefined) app[k] = v;
  app[o.externalIdKey] = u.externalId;
  r.app_metadata = app;
  const totp = u.mfa.find((m) => m.type === "totp");
  // base32 without padding, as the schema asks.
  if (totp) r.mfa_factors = [{ totp: { secret: totp.secret.replace(/=+$/, "").replace(/\s+/g, "").toUpperCase() } }];
  // Passwords only apply when Auth0 creates the user; an upsert of an existing one ignores them.
  const pw = await passwordFor(w);
  if (pw.fields) Object.assign(r, pw.fields);
  return pw.note ? { record: r, note: pw.note } : { record: r };
}

/**
 * Split users into job files (JSON arrays) of at most `maxBytes`, in order. A user that alone
 * exceeds the limit is returned in `tooLarge`.
 */
export function splitByBytes<T extends { bytes: number }>(items: T[], maxBytes: number): { chunks: T[][]; tooLarge: T[] } {
  const chunks: T[][] = [];
  const tooLarge: T[] = [];
  let cur: T[] = [];
  let size = 2; // "[" + "]"
  for (const it of items) {
    if (2 + it.bytes > maxBytes) {
      tooLarge.push(it);
      continue;
    }
    const add = it.bytes + (cur.length ? 1 : 0);
    if (cur.length && size + add > maxBytes) {
      chunks.push(cur);
      cur = [];
      size = 2;
    }
    size += it.bytes + (cur.length ? 1 : 0);
    cur.push(it);
  }
  if (cur.length) chunks.push(cur);
  return { chunks, tooLarge };
}

/** Groups so that no email appears twice in one job (Auth0 rejects in-file duplicates); order kept. */
export function roundsByEmail<T extends { email: string }>(items: T[]): T[][] {
  const rounds: { seen: Set<string>; items: T[] }[] = [];
  for (const it of items) {
    let r = rounds.find((x) => !x.seen.has(it.email));
    if (!r) rounds.push((r = { seen: new Set(), items: [] }));
    r.seen.add(it.email);
    r.items.push(it);
  }
  return rounds.map((r) => r.items);
}
