import { convert, nativeHash } from "../../hashes/index.js";
import type { MigrationUser } from "../../model/user.js";
import type { UserWrite } from "../types.js";

export type AuthgearIdentifier = "email" | "phone_number" | "preferred_username";

/** One import record plus what we decided about its password. */
export interface PreparedRecord {
  write: UserWrite;
  record: Record<string, unknown>;
  /** Serialized size in the request body (JSON, no whitespace). */
  bytes: number;
  /** Set when the password planned for this user could not be sent (e.g. a $2x$ bcrypt value). */
  passwordNote?: string;
}

/** The identifier's value for this user, or undefined (the record would be invalid). */
export function identifierValue(user: MigrationUser, identifier: AuthgearIdentifier): string | undefined {
  if (identifier === "email") return user.email || undefined;
  if (identifier === "phone_number") return user.phones[0];
  return user.username || undefined;
}

function displayName(user: MigrationUser): string | undefined {
  const p = user.profile;
  const full = [p.givenName, p.familyName].filter((x) => x && x.trim()).join(" ").trim();
  return p.displayName?.trim() || full || undefined;
}

/**
 * The `password` field for this write, by the planner's strategy. Authgear imports bcrypt only
 * (`password.type` enum = ["bcrypt"]); `lazy`, `reset`, `sso` and `none` send nothing, `temporary`
 * sends a bcrypt of the generated password that expires at once (Authgear then asks for a new one).
 */
export async function passwordFor(w: UserWrite, now = new Date()): Promise<{ password?: Record<string, unknown>; note?: string }> {
  const cred = w.user.credential;
  switch (w.strategy) {
    case "lazy":
    case "reset":
    case "sso":
    case "none":
      return {};
    case "temporary":
      if (!w.temporaryPassword) return { note: "missing_temporary_password" };
      return { password: { type: "bcrypt", password_hash: await nativeHash(w.temporaryPassword, 10), expire_after: now.toISOString() } };
    default: {
      if (cred.kind !== "hash") return {};
      try {
        const out = convert({ format: cred.format, value: cred.value, params: cred.params }, "authgear");
        return { password: out.fields.password as Record<string, unknown> };
      } catch (e) {
        const strategy = (e as { meta?: { strategy?: string } }).meta?.strategy ?? "reset";
        return { note: `password_not_importable:${strategy}` };
      }
    }
  }
}

/**
 * A User Import API record (authgear-server `pkg/lib/userimport` schema, additionalProperties:false).
 * On insert, `false` flags only produce "has no effect" warnings, so they are sent only for updates.
 */
export async function toRecord(w: UserWrite, identifier: AuthgearIdentifier): Promise<{ record: Record<string, unknown>; note?: string } | { error: string }> {
  const u = w.user;
  const id = identifierValue(u, identifier);
  if (!id) return { error: `no_${identifier}` };
  const update = w.action === "update";
  const r: Record<string, unknown> = {};
  if (u.email) r.email = u.email;
  if (u.email && (u.emailVerified || update)) r.email_verified = u.emailVerified;
  if (u.phones[0]) r.phone_number = u.phones[0];
  if (u.username) r.preferred_username = u.username;
  r[identifier] = id;
  const name = displayName(u);
  if (name) r.name = name;
  if (u.profile.givenName) r.given_name = u.profile.givenName;
  if (u.profile.familyName) r.family_name = u.profile.familyName;
  if (u.profile.picture) r.picture = u.profile.picture;
  if (u.profile.locale) r.locale = u.profile.locale;
  if (u.status === "disabled" || update) r.disabled = u.status === "disabled";
  const totp = u.mfa.find((m) => m.type === "totp");
  if (totp) r.mfa = { totp: { secret: totp.secret } };
  const pw = await passwordFor(w);
  if (pw.password) r.password = pw.password;
  return pw.note ? { record: r, note: pw.note } : { record: r };
}

/**
 * Split records into request bodies of at most `maxBytes` (exact JSON size of
 * `{identifier, upsert, records}`), in order. A record that alone exceeds the limit is returned in
 * `tooLarge`.
 */
export function splitByBytes<T extends { bytes: number }>(items: T[], envelopeBytes: number, maxBytes: number, maxRecords = Infinity): { chunks: T[][]; tooLarge: T[] } {
  const chunks: T[][] = [];
  const tooLarge: T[] = [];
  let cur: T[] = [];
  let size = envelopeBytes;
  for (const it of items) {
    if (envelopeBytes + it.bytes > maxBytes) {
      tooLarge.push(it);
      continue;
    }
    const add = it.bytes + (cur.length ? 1 : 0);
    if (cur.length && (size + add > maxBytes || cur.length >= maxRecords)) {
      chunks.push(cur);
      cur = [];
      size = envelopeBytes;
    }
    size += it.bytes + (cur.length ? 1 : 0);
    cur.push(it);
  }
  if (cur.length) chunks.push(cur);
  return { chunks, tooLarge };
}
