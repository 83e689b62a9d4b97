import { identify } from "../../hashes/index.js";
import type { Issue } from "../../mapping/issues.js";
import type { Credential, Membership, MigrationUserInput } from "../../model/user.js";
import { BadRecord, type Built } from "../provider/base.js";
import { addPhone, defined } from "../provider/values.js";
import type { LdapSourceConfig } from "./config.js";
import { attr, binaryId, firstText, generalizedTime, isUnder, text, type LdapRow } from "./values.js";

/**
 * userPassword → credential. An entry can hold several values (one per scheme); the first one the
 * hash engine recognises wins. Values are bytes on the wire: decoded only when valid UTF-8.
 * A cleartext value (no `{SCHEME}`) is not a hash; the user gets a reset instead.
 */
export function ldapCredential(values: (string | Buffer)[], field: string, issues: Issue[]): Credential {
  if (values.length === 0) return { kind: "none" };
  let cleartext = false;
  for (const v of values) {
    const s = text(v);
    if (s === undefined) continue;
    if (!s.startsWith("{") && !s.startsWith("$")) {
      cleartext = true;
      continue;
    }
    // OpenLDAP's argon2 module stores `{ARGON2}` + the standard PHC string: the hash is the PHC part.
    const value = /^\{ARGON2\}\$argon2/i.test(s) ? s.slice("{ARGON2}".length) : s;
    const format = identify(value)[0]?.format;
    if (format) return { kind: "hash", format, value, params: {} };
  }
  issues.push(
    cleartext
      ? { code: "unknown_hash_format", severity: "warning", field, message: `${field} holds a cleartext value, not a hash; the user will need a password reset` }
      : { code: "unknown_hash_format", severity: "warning", field, message: `${field} {SCHEME} not recognised; the user will need a password reset` },
  );
  return { kind: "none" };
}

export function isDisabled(row: LdapRow, dn: string, d: LdapSourceConfig["disabled"]): boolean {
  if (d.bases.some((b) => isUnder(dn, b))) return true;
  const values = attr(row, d.attribute);
  if (values.length === 0) return false;
  if (d.values.length === 0) return true;
  const wanted = new Set(d.values.map((v) => v.toLowerCase()));
  return values.some((v) => wanted.has((text(v) ?? "").toLowerCase()));
}

function memberships(groups: string[], g: LdapSourceConfig["groups"]): Membership[] {
  if (g.as === "orgs") return groups.map((orgExternalId) => ({ orgExternalId, roles: [g.role] }));
  if (g.as === "roles" && g.org && groups.length) return [{ orgExternalId: g.org, roles: groups }];
  return [];
}

/** One inetOrgPerson entry (with its groups) → canonical user. */
export function ldapUser(row: LdapRow, groups: string[], config: LdapSourceConfig): Built {
  const a = config.attributes;
  const dn = String(row.dn);
  const idValue = attr(row, a.externalId)[0];
  const externalId = idValue === undefined ? undefined : (text(idValue) ?? (Buffer.isBuffer(idValue) ? binaryId(idValue) : undefined));
  if (!externalId) throw new BadRecord(`entry has no ${a.externalId}; set attributes.externalId to an attribute every user has (e.g. entryUUID)`);
  const issues: Issue[] = [];
  const metadata: Record<string, unknown> = { ldapDn: dn };
  if (groups.length) metadata.groups = groups;
  const phones: string[] = [];
  addPhone(firstText(row, a.phone), phones, metadata, issues, a.phone);
  const mails = attr(row, a.email).map(text).filter((m): m is string => m !== undefined);
  const user: MigrationUserInput = {
    externalId,
    ...defined({ email: mails[0], username: firstText(row, a.username) }),
    extraEmails: mails.slice(1),
    emailVerified: config.emailVerified && mails.length > 0,
    phones,
    profile: defined({
      givenName: firstText(row, a.givenName),
      familyName: firstText(row, a.familyName),
      displayName: firstText(row, "displayName") ?? firstText(row, a.displayName),
    }),
    credential: ldapCredential(attr(row, a.password), a.password, issues),
    memberships: memberships(groups, config.groups),
    metadata,
    status: isDisabled(row, dn, config.disabled) ? "disabled" : "active",
    ...defined({ createdAt: generalizedTime(firstText(row, a.createdAt)), lastLoginAt: generalizedTime(firstText(row, a.lastLoginAt)) }),
  };
  return { user, issues };
}
