import type { MigrationUser } from "../../model/user.js";
import type { TargetUserRecord } from "../types.js";
import { identityKeys } from "../user-record.js";
import type { BetterAuthDb } from "./db.js";

const CREDENTIAL = "credential";
const PAGE = 1000;

/** better-auth requires a name: display name, else "given family", else username, else "" (the same rule writes use). */
export function displayName(user: MigrationUser): string {
  const p = user.profile;
  const full = [p.givenName, p.familyName].filter((x) => x && x.trim()).join(" ").trim();
  return p.displayName?.trim() || full || user.username || "";
}

/** better-auth stores several roles as one comma-separated string; its default role is "member". */
export function roleOf(roles: string[]): string {
  return roles.length > 0 ? roles.join(",") : "member";
}

const rolesOf = (role: string): string[] => [...new Set(role.split(",").map((r) => r.trim()).filter(Boolean))].sort();

export interface RecordShape {
  organizations: boolean;
  /** The admin plugin's `banned` column exists: disabled is stored (and compared). */
  hasBanned: boolean;
}

/** A legacy user as better-auth stores it: one email, `name` + `image`, social accounts, one role string per org. */
export function betterAuthRecord(user: MigrationUser, orgTargetIds: Record<string, string>, shape: RecordShape): Omit<TargetUserRecord, "targetId"> {
  const memberships: Record<string, string[]> = {};
  for (const m of user.memberships) {
    const org = orgTargetIds[m.orgExternalId] ?? `unknown-org:${m.orgExternalId}`;
    memberships[org] ??= rolesOf(roleOf(m.roles));
  }
  const email = user.email?.trim().toLowerCase();
  return {
    emails: email ? [email] : [],
    identities: identityKeys(user.identities),
    profile: { name: displayName(user), ...(user.profile.picture ? { image: user.profile.picture } : {}) },
    ...(shape.organizations ? { memberships } : {}),
    ...(shape.hasBanned ? { disabled: user.status === "disabled" } : {}),
  };
}

/**
 * Every user, by keyset pages on `id`: one query for the page, one for its social accounts and
 * one for its memberships, so memory holds one page whatever the table size. better-auth keeps no
 * legacy id: `externalId` stays undefined and reconcile resolves it through the ledger.
 */
export async function* listBetterAuthUsers(h: BetterAuthDb, shape: RecordShape): AsyncGenerator<TargetUserRecord> {
  let after = "";
  for (;;) {
    const users = await h.db.selectFrom("user").selectAll().where("id", ">", after).orderBy("id").limit(PAGE).execute();
    if (!users.length) return;
    const ids = users.map((u) => u.id);
    const accounts = await h.db.selectFrom("account").select(["userId", "providerId", "accountId"]).where("userId", "in", ids).where("providerId", "!=", CREDENTIAL).execute();
    const members = shape.organizations ? await h.db.selectFrom("member").select(["userId", "organizationId", "role"]).where("userId", "in", ids).execute() : [];
    const identities = new Map<string, { provider: string; providerUserId: string }[]>();
    for (const a of accounts) identities.set(a.userId, [...(identities.get(a.userId) ?? []), { provider: a.providerId, providerUserId: a.accountId }]);
    const memberships = new Map<string, Record<string, string[]>>();
    for (const m of members) {
      const own = memberships.get(m.userId) ?? {};
      own[m.organizationId] = rolesOf(m.role);
      memberships.set(m.userId, own);
    }
    for (const u of users) {
      yield {
        targetId: u.id,
        emails: [u.email.trim().toLowerCase()],
        identities: identityKeys(identities.get(u.id) ?? []),
        profile: { name: u.name, ...(u.image ? { image: u.image } : {}) },
        ...(shape.organizations ? { memberships: memberships.get(u.id) ?? {} } : {}),
        ...(shape.hasBanned ? { disabled: Boolean(u.banned) } : {}),
      };
    }
    if (users.length < PAGE) return;
    after = users[users.length - 1]!.id;
  }
}
