import type { Issue } from "../../mapping/issues.js";
import type { Credential, Identity, MigrationUserInput } from "../../model/user.js";
import { BadRecord, type Built } from "../provider/base.js";
import { addPhone, bool, defined, fromEpochMs, jsonObject, providerName, str } from "../provider/values.js";
import type { FirebaseHashConfig } from "./config.js";

/** Firebase writes standard base64 since firebase-tools 6; older exports used the web-safe alphabet. */
const standardB64 = (s: string): string => s.replace(/-/g, "+").replace(/_/g, "/");

/**
 * The `firebase-scrypt` credential exactly as the hash engine's format parses it: the exported
 * `passwordHash` as value, the per-user `salt` and the project's hash config as params.
 */
function credentialOf(row: Record<string, unknown>, hash: FirebaseHashConfig | undefined, issues: Issue[]): Credential {
  const value = str(row.passwordHash);
  if (value === undefined) return { kind: "none" };
  const salt = str(row.salt);
  if (!hash || salt === undefined) {
    issues.push({
      code: "unknown_hash_format",
      severity: "warning",
      field: hash ? "salt" : "passwordHash",
      message: hash
        ? "the export has a password hash but no salt; the user will need a password reset"
        : "firebase source has no hashConfig (the project's password hash parameters); the user will need a password reset",
    });
    return { kind: "none" };
  }
  return {
    kind: "hash",
    format: "firebase-scrypt",
    value: standardB64(value),
    params: { salt: standardB64(salt), signer_key: standardB64(hash.signerKey), salt_separator: standardB64(hash.saltSeparator), rounds: hash.rounds, mem_cost: hash.memCost },
  };
}

/** providerUserInfo (google.com, facebook.com, twitter.com, github.com in auth:export) → identities. */
function identitiesOf(row: Record<string, unknown>): Identity[] {
  const infos = Array.isArray(row.providerUserInfo) ? (row.providerUserInfo as Record<string, unknown>[]) : [];
  const out: Identity[] = [];
  for (const info of infos) {
    const providerId = str(info?.providerId);
    const rawId = str(info?.rawId) ?? str(info?.federatedId);
    if (!providerId || !rawId || providerId === "password" || providerId === "phone") continue;
    out.push(defined({ provider: providerName(providerId), providerUserId: rawId, email: str(info.email) }));
  }
  return out;
}

/** One `users[]` entry of `auth:export` (JSON, or a CSV record reshaped by firebaseCsvRow) → canonical user. */
export function firebaseUser(row: Record<string, unknown>, hash: FirebaseHashConfig | undefined): Built {
  const externalId = str(row.localId);
  if (!externalId) throw new BadRecord("localId is missing; every Firebase user has one, so this record is not a user");
  const issues: Issue[] = [];
  const metadata: Record<string, unknown> = {};
  const phones: string[] = [];
  addPhone(row.phoneNumber, phones, metadata, issues, "phoneNumber");
  const custom = row.customAttributes;
  if (str(custom) !== undefined || (custom && typeof custom === "object")) {
    const parsed = jsonObject(custom);
    if (parsed) metadata.customAttributes = parsed;
    else issues.push({ code: "invalid_record", severity: "warning", field: "customAttributes", message: "customAttributes is not a JSON object; left out of metadata" });
  }
  if (str(row.tenantId)) metadata.tenantId = str(row.tenantId);
  // Second factors are not in auth:export; exports made with the Admin SDK may list them (no secrets).
  if (Array.isArray(row.mfaInfo) && row.mfaInfo.length > 0) metadata.mfaFactors = row.mfaInfo;
  const user: MigrationUserInput = {
    externalId,
    ...defined({ email: str(row.email) }),
    emailVerified: bool(row.emailVerified) ?? false,
    phones,
    profile: defined({ displayName: str(row.displayName), picture: str(row.photoUrl) }),
    credential: credentialOf(row, hash, issues),
    identities: identitiesOf(row),
    metadata,
    status: bool(row.disabled) === true ? "disabled" : "active",
    ...defined({ createdAt: fromEpochMs(row.createdAt), lastLoginAt: fromEpochMs(row.lastSignedInAt ?? row.lastLoginAt) }),
  };
  return { user, issues };
}
