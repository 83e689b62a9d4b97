import { identify } from "../../hashes/index.js";
import type { Issue } from "../../mapping/issues.js";
import type { Credential, Identity, MigrationUserInput } from "../../model/user.js";
import { BadRecord, type Built } from "../provider/base.js";
import { addPhone, base32Secret, bool, defined, fromDateish, providerName, str } from "../provider/values.js";
import type { Auth0HashRecord } from "./hashes.js";

type Obj = Record<string, unknown>;

/** Passwordless connections are not identities another system can link to. */
const NOT_LINKABLE = new Set(["auth0", "sms", "email"]);

/**
 * Linked identities other than the database one: social ones by provider (`google-oauth2` →
 * `google`), enterprise ones (SAML, Azure AD, OIDC…) by their connection name, so the target can
 * tell two SAML connections apart.
 */
function identitiesOf(row: Obj): Identity[] {
  const ids = Array.isArray(row.identities) ? (row.identities as Obj[]) : [];
  return ids.flatMap((i) => {
    const provider = str(i?.provider);
    const subject = str(i?.user_id);
    if (!provider || !subject || NOT_LINKABLE.has(provider)) return [];
    const social = bool(i.isSocial) ?? false;
    const name = social ? providerName(provider) : (str(i.connection) ?? provider);
    const email = str((i.profileData as Obj | undefined)?.email);
    return [defined({ provider: name, providerUserId: subject, email })];
  });
}

function credentialOf(hash: Auth0HashRecord | undefined, issues: Issue[]): Credential {
  const value = hash?.passwordHash;
  if (!value) return { kind: "none" };
  const format = identify(value)[0]?.format;
  if (!format) {
    issues.push({ code: "unknown_hash_format", severity: "warning", field: "passwordHash", message: "password hash format not recognised; the user will need a password reset" });
    return { kind: "none" };
  }
  return { kind: "hash", format, value, params: {} };
}

const nonEmpty = (v: unknown): boolean => v !== null && typeof v === "object" && Object.keys(v).length > 0;

/** One user of the bulk export (NDJSON line or CSV record rebuilt by auth0CsvRow) + its hash record → canonical user. */
export function auth0User(row: Obj, hash: Auth0HashRecord | undefined): Built {
  const externalId = str(row.user_id);
  if (!externalId) throw new BadRecord("user_id is missing; every exported Auth0 user has one (tick \"Include default fields\" or export user_id)");
  const issues: Issue[] = [];
  const metadata: Obj = {};
  const phones: string[] = [];
  addPhone(row.phone_number, phones, metadata, issues, "phone_number");
  if (nonEmpty(row.app_metadata)) metadata.app_metadata = row.app_metadata;
  if (nonEmpty(row.user_metadata)) metadata.user_metadata = row.user_metadata;
  if (row.logins_count !== undefined) metadata.logins_count = Number(row.logins_count);
  const db = (Array.isArray(row.identities) ? (row.identities as Obj[]) : []).find((i) => i?.provider === "auth0");
  if (str(db?.connection)) metadata.auth0Connection = str(db!.connection);
  if (hash?.passwordSetDate) metadata.passwordSetDate = hash.passwordSetDate;
  const email = str(row.email);
  const name = str(row.name);
  const mfa = (hash?.totpSecrets ?? []).flatMap((s) => {
    const secret = base32Secret(s);
    return secret ? [{ type: "totp" as const, secret }] : [];
  });
  const user: MigrationUserInput = {
    externalId,
    ...defined({ email, username: str(row.username) }),
    emailVerified: bool(row.email_verified) ?? false,
    phones,
    profile: defined({
      givenName: str(row.given_name),
      familyName: str(row.family_name),
      // Auth0 fills `name` with the email when the user gave none: that is not a display name.
      displayName: name && name !== email ? name : undefined,
      picture: str(row.picture),
      locale: str(row.locale),
    }),
    credential: credentialOf(hash, issues),
    identities: identitiesOf(row),
    mfa,
    metadata,
    status: bool(row.blocked) === true ? "disabled" : "active",
    ...defined({ createdAt: fromDateish(row.created_at, "ms"), lastLoginAt: fromDateish(row.last_login, "ms") }),
  };
  return { user, issues };
}
