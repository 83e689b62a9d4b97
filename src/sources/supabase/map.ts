import { identify } from "../../hashes/index.js";
import type { Issue } from "../../mapping/issues.js";
import type { Credential, Identity, Mfa, MigrationUserInput } from "../../model/user.js";
import { BadRecord, type Built } from "../provider/base.js";
import { addPhone, base32Secret, defined, jsonObject, providerName, str } from "../provider/values.js";

type Obj = Record<string, unknown>;

const date = (v: unknown): Date | undefined => (v instanceof Date && !Number.isNaN(v.getTime()) ? v : typeof v === "string" && v ? new Date(v) : undefined);

/** encrypted_password: bcrypt `$2a$10$…` for GoTrue users; imported argon2 / `$fbscrypt$` strings are recognised too. Empty for OAuth-only users. */
function credentialOf(value: string | undefined, issues: Issue[]): Credential {
  if (!value) return { kind: "none" };
  const format = identify(value)[0]?.format;
  if (format) return { kind: "hash", format, value, params: {} };
  issues.push({ code: "unknown_hash_format", severity: "warning", field: "encrypted_password", message: "encrypted_password is not a recognised hash; the user will need a password reset" });
  return { kind: "none" };
}

/** Identities other than `email` / `phone` (those are the user's own login, not a link to another provider). */
function identitiesOf(v: unknown): Identity[] {
  const list = Array.isArray(v) ? (v as Obj[]) : [];
  return list.flatMap((i) => {
    const provider = str(i?.provider);
    const subject = str(i?.subject);
    if (!provider || !subject || provider === "email" || provider === "phone") return [];
    return [defined({ provider: providerName(provider), providerUserId: subject, email: str(i.email) })];
  });
}

function mfaOf(v: unknown, issues: Issue[]): Mfa[] {
  const secrets = Array.isArray(v) ? v : [];
  const out: Mfa[] = [];
  for (const s of secrets) {
    const secret = base32Secret(s);
    if (secret) out.push({ type: "totp", secret });
    else issues.push({ code: "invalid_record", severity: "warning", field: "mfa_factors.secret", message: "TOTP secret is not base32 (encrypted at rest?); MFA left out, the user re-enrols" });
  }
  return out;
}

/** One row of the users query (auth.users + aggregated identities and TOTP factors) → canonical user. */
export function supabaseUser(row: Obj, now: Date): Built {
  const externalId = str(row.id);
  if (!externalId) throw new BadRecord("id is empty");
  const issues: Issue[] = [];
  const metadata: Obj = {};
  const phones: string[] = [];
  addPhone(row.phone, phones, metadata, issues, "phone", true);
  const userMeta = jsonObject(row.raw_user_meta_data) ?? {};
  const appMeta = jsonObject(row.raw_app_meta_data) ?? {};
  if (Object.keys(userMeta).length) metadata.userMetadata = userMeta;
  if (Object.keys(appMeta).length) metadata.appMetadata = appMeta;
  const banned = date(row.banned_until);
  const deleted = date(row.deleted_at);
  if (banned && banned > now) metadata.bannedUntil = banned.toISOString();
  if (deleted) metadata.deletedAt = deleted.toISOString();
  if (row.is_anonymous === true) metadata.anonymous = true;
  if (row.is_sso_user === true) metadata.ssoUser = true;
  const user: MigrationUserInput = {
    externalId,
    ...defined({ email: str(row.email) }),
    emailVerified: date(row.email_confirmed_at ?? row.confirmed_at) !== undefined,
    phones,
    profile: defined({
      displayName: str(userMeta.full_name) ?? str(userMeta.name),
      givenName: str(userMeta.given_name) ?? str(userMeta.first_name),
      familyName: str(userMeta.family_name) ?? str(userMeta.last_name),
      picture: str(userMeta.avatar_url) ?? str(userMeta.picture),
    }),
    credential: credentialOf(str(row.encrypted_password), issues),
    identities: identitiesOf(row.identities),
    mfa: mfaOf(row.totp_secrets, issues),
    metadata,
    // A ban still running, or a soft-deleted user: neither may sign in after the move.
    status: (banned && banned > now) || deleted ? "disabled" : "active",
    ...defined({ createdAt: date(row.created_at), lastLoginAt: date(row.last_sign_in_at) }),
  };
  return { user, issues };
}
