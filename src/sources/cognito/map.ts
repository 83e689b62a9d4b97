import type { Issue } from "../../mapping/issues.js";
import type { Identity, MigrationUserInput } from "../../model/user.js";
import { BadRecord, type Built } from "../provider/base.js";
import { addPhone, bool, defined, fromDateish, providerName, str } from "../provider/values.js";

type Obj = Record<string, unknown>;

/** Attributes that become canonical fields; everything else (except custom:*) is kept under metadata.attributes. */
const STANDARD = new Set(["sub", "email", "email_verified", "phone_number", "phone_number_verified", "given_name", "family_name", "name", "picture", "locale", "preferred_username", "identities"]);

/** `Attributes: [{Name, Value}]` → a plain object (values are always strings in Cognito). */
function attributesOf(row: Obj): Record<string, string> {
  const list = Array.isArray(row.Attributes) ? (row.Attributes as Obj[]) : [];
  const out: Record<string, string> = {};
  for (const a of list) {
    const name = str(a?.Name);
    if (name && typeof a.Value === "string") out[name] = a.Value;
  }
  return out;
}

/** The `identities` attribute (JSON string) of federated users: Google, SignInWithApple, Facebook, LoginWithAmazon, SAML/OIDC by provider name. */
function identitiesOf(raw: string | undefined, issues: Issue[]): Identity[] {
  if (!raw) return [];
  let list: unknown;
  try {
    list = JSON.parse(raw);
  } catch {
    issues.push({ code: "invalid_record", severity: "warning", field: "identities", message: "identities attribute is not JSON; federated links left out" });
    return [];
  }
  return (Array.isArray(list) ? (list as Obj[]) : []).flatMap((i) => {
    const provider = str(i?.providerName);
    const id = str(i?.userId);
    return provider && id ? [{ provider: providerName(provider), providerUserId: id }] : [];
  });
}

/** MFA the user has set up. Cognito never exports TOTP secrets, so these only land in metadata (users re-enrol). */
function mfaOf(row: Obj): string[] {
  const out = new Set<string>();
  if (Array.isArray(row.UserMFASettingList)) for (const m of row.UserMFASettingList) if (typeof m === "string") out.add(m);
  if (Array.isArray(row.MFAOptions)) for (const o of row.MFAOptions as Obj[]) if (str(o?.DeliveryMedium)) out.add(`${str(o.DeliveryMedium)}_MFA`);
  return [...out];
}

/** One entry of `Users` in a list-users page → canonical user. No password hash exists in Cognito: credential none. */
export function cognitoUser(row: Obj, key: "sub" | "username"): Built {
  const attrs = attributesOf(row);
  const username = str(row.Username);
  const externalId = key === "sub" ? (attrs.sub ?? username) : username;
  if (!externalId) throw new BadRecord("user has neither Username nor a sub attribute; list-users always returns them, so this record is not a user");
  const issues: Issue[] = [];
  const metadata: Obj = {};
  const phones: string[] = [];
  addPhone(attrs.phone_number, phones, metadata, issues, "phone_number");
  const custom = Object.entries(attrs).filter(([k]) => k.startsWith("custom:"));
  for (const [k, v] of custom) metadata[k.slice("custom:".length)] = v;
  const other = Object.fromEntries(Object.entries(attrs).filter(([k]) => !STANDARD.has(k) && !k.startsWith("custom:")));
  if (Object.keys(other).length) metadata.attributes = other;
  const status = str(row.UserStatus);
  if (status) metadata.cognitoStatus = status;
  if (username && username !== externalId) metadata.cognitoUsername = username;
  const mfa = mfaOf(row);
  if (mfa.length) metadata.mfa = mfa;
  const user: MigrationUserInput = {
    externalId,
    ...defined({ email: attrs.email, username: attrs.preferred_username }),
    emailVerified: bool(attrs.email_verified) ?? false,
    phones,
    profile: defined({ givenName: attrs.given_name, familyName: attrs.family_name, displayName: attrs.name, picture: attrs.picture, locale: attrs.locale }),
    credential: { kind: "none" },
    identities: identitiesOf(attrs.identities, issues),
    metadata,
    // ARCHIVED users can no longer sign in; Enabled=false is an admin-disabled account.
    status: bool(row.Enabled) === false || status === "ARCHIVED" ? "disabled" : "active",
    ...defined({ createdAt: fromDateish(row.UserCreateDate, "s") }),
  };
  return { user, issues };
}
