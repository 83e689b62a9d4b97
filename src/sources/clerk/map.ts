import type { Issue } from "../../mapping/issues.js";
import type { MigrationUserInput } from "../../model/user.js";
import { BadRecord, type Built } from "../provider/base.js";
import { addPhone, base32Secret, bool, defined, fromDateish, jsonObject, providerName, str } from "../provider/values.js";
import { clerkCredential } from "./hashers.js";

type Obj = Record<string, unknown>;

/** Multi-value cells: Clerk does not document the separator, exports seen use `,`; `|` and `;` are accepted too. */
const list = (v: unknown): string[] =>
  (str(v) ?? "")
    .split(/[,|;]/)
    .map((s) => s.trim())
    .filter(Boolean);

/** One row of Clerk's user export CSV → canonical user. */
export function clerkUser(row: Obj): Built {
  const externalId = str(row.id);
  if (!externalId) throw new BadRecord("id is empty; every Clerk user has a user_… id");
  const issues: Issue[] = [];
  const metadata: Obj = {};
  const phones: string[] = [];
  const verifiedEmails = list(row.verified_email_addresses).map((e) => e.toLowerCase());
  const primary = str(row.primary_email_address) ?? verifiedEmails[0] ?? list(row.unverified_email_addresses)[0];
  const primaryLc = primary?.trim().toLowerCase();
  addPhone(row.primary_phone_number, phones, metadata, issues, "primary_phone_number");
  for (const p of list(row.verified_phone_numbers)) addPhone(p, phones, metadata, issues, "verified_phone_numbers");
  const unverified = list(row.unverified_email_addresses);
  if (unverified.length) metadata.unverifiedEmails = unverified;
  // Columns of newer exports / API dumps, when present.
  for (const key of ["public_metadata", "private_metadata", "unsafe_metadata"]) {
    const o = jsonObject(row[key]);
    if (o && Object.keys(o).length) metadata[key] = o;
  }
  const totp = str(row.totp_secret);
  const secret = base32Secret(totp);
  if (totp && !secret) issues.push({ code: "invalid_record", severity: "warning", field: "totp_secret", message: "totp_secret is not base32; MFA left out (the user re-enrols)" });
  const identities = list(row.external_accounts ?? row.oauth_providers).flatMap((a) => {
    const [provider, id] = a.split(":");
    return provider && id ? [{ provider: providerName(provider), providerUserId: id }] : [];
  });
  const user: MigrationUserInput = {
    externalId,
    ...defined({ email: primary, username: str(row.username) }),
    emailVerified: primaryLc !== undefined && verifiedEmails.includes(primaryLc),
    extraEmails: verifiedEmails.filter((e) => e !== primaryLc),
    phones,
    profile: defined({ givenName: str(row.first_name), familyName: str(row.last_name), picture: str(row.image_url) }),
    credential: clerkCredential(str(row.password_digest), str(row.password_hasher), issues),
    identities,
    mfa: secret ? [{ type: "totp", secret }] : [],
    metadata,
    status: bool(row.banned) === true || bool(row.locked) === true ? "disabled" : "active",
    ...defined({ createdAt: fromDateish(row.created_at, "ms"), lastLoginAt: fromDateish(row.last_sign_in_at, "ms") }),
  };
  return { user, issues };
}
