import type { Issue } from "../../mapping/issues.js";
import type { Identity, Membership, MigrationUserInput } from "../../model/user.js";
import { BadRecord, type Built } from "../provider/base.js";
import { addPhone, bool, defined, fromEpochMs, providerName, str } from "../provider/values.js";
import { passwordCredential, totpFactors } from "./credentials.js";

type Obj = Record<string, unknown>;

/** Roles every Keycloak user has; they say nothing about the user. */
const BUILT_IN_ROLES = /^(default-roles-.+|offline_access|uma_authorization)$/;

const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** `/acme/admins` → org `acme`, role `admins`; several groups of one org merge their roles. */
function membershipsOf(groups: string[]): Membership[] {
  const byOrg = new Map<string, Set<string>>();
  for (const g of groups) {
    const [org, ...rest] = g.replace(/^\/+/, "").split("/");
    if (!org) continue;
    const roles = byOrg.get(org) ?? new Set<string>();
    if (rest.length) roles.add(rest.join("/"));
    byOrg.set(org, roles);
  }
  return [...byOrg].map(([orgExternalId, roles]) => ({ orgExternalId, roles: [...roles] }));
}

function identitiesOf(row: Obj): Identity[] {
  return arr(row.federatedIdentities).flatMap((f) => {
    const o = f as Obj;
    const provider = str(o?.identityProvider);
    const id = str(o?.userId);
    if (!provider || !id) return [];
    const userName = str(o.userName);
    return [defined({ provider: providerName(provider), providerUserId: id, email: userName?.includes("@") ? userName : undefined })];
  });
}

/** One `users[]` entry of a realm / users export (UserRepresentation) → canonical user. */
export function keycloakUser(row: Obj, groupsAs: "memberships" | "metadata"): Built {
  const externalId = str(row.id);
  if (!externalId) throw new BadRecord("user has no id; a Keycloak UserRepresentation always has one, so this record is not a user");
  const issues: Issue[] = [];
  const credentials = arr(row.credentials) as Obj[];
  const metadata: Obj = {};
  const phones: string[] = [];
  const attributes = row.attributes && typeof row.attributes === "object" ? (row.attributes as Record<string, unknown>) : {};
  if (Object.keys(attributes).length) metadata.attributes = attributes;
  const phoneAttr = ["phoneNumber", "phone_number", "phone", "mobile"].map((k) => arr(attributes[k])[0] ?? attributes[k]).find((v) => str(v));
  addPhone(phoneAttr, phones, metadata, issues, "attributes.phoneNumber");
  const realmRoles = arr(row.realmRoles).map(String).filter((r) => !BUILT_IN_ROLES.test(r));
  if (realmRoles.length) metadata.realmRoles = realmRoles;
  if (row.clientRoles && typeof row.clientRoles === "object" && Object.keys(row.clientRoles).length) metadata.clientRoles = row.clientRoles;
  const requiredActions = arr(row.requiredActions).map(String);
  if (requiredActions.length) metadata.requiredActions = requiredActions;
  if (str(row.federationLink)) metadata.federationLink = str(row.federationLink);
  const groups = arr(row.groups).map(String);
  if (groups.length && groupsAs === "metadata") metadata.groups = groups;
  const user: MigrationUserInput = {
    externalId,
    ...defined({ email: str(row.email), username: str(row.username) }),
    emailVerified: bool(row.emailVerified) ?? false,
    phones,
    profile: defined({ givenName: str(row.firstName), familyName: str(row.lastName) }),
    credential: passwordCredential(credentials, issues),
    identities: identitiesOf(row),
    mfa: totpFactors(credentials, issues),
    memberships: groupsAs === "memberships" ? membershipsOf(groups) : [],
    metadata,
    status: bool(row.enabled) === false ? "disabled" : "active",
    ...defined({ createdAt: fromEpochMs(row.createdTimestamp) }),
  };
  return { user, issues };
}
