import { AuthmigrateError } from "../../errors.js";
import type { HashCredential } from "../../model/user.js";
import type { IdentifierOpResult, MirrorIdentifier, MirrorProfilePatch } from "../types.js";
import { newId, type BetterAuthDb, type IdFormat } from "./db.js";
import { toPasswordColumn } from "./password.js";

/**
 * Mirror on a better-auth database: the user's one email is `user.email` (unique), OAuth
 * identities are `account` rows (providerId = provider, accountId = subject), the password is the
 * `credential` account's `password` column. Phones are not better-auth core fields (not mirrored).
 */

const CREDENTIAL = "credential";

const owned = (what: string) =>
  new AuthmigrateError("MIRROR_IDENTIFIER_TAKEN", `better-auth: the ${what} belongs to another user`, {
    hint: "two legacy users claim the same identifier: fix the legacy data, then mirror again",
  });

function splitOauth(value: string): [string, string] {
  const at = value.indexOf(":");
  return [value.slice(0, at), value.slice(at + 1)];
}

export async function getIdentifiers(h: BetterAuthDb, targetId: string): Promise<MirrorIdentifier[] | undefined> {
  const user = await h.db.selectFrom("user").select(["id", "email"]).where("id", "=", targetId).executeTakeFirst();
  if (!user) return undefined;
  const accounts = await h.db.selectFrom("account").select(["providerId", "accountId"]).where("userId", "=", targetId).where("providerId", "!=", CREDENTIAL).execute();
  return [{ kind: "email", value: user.email }, ...accounts.map((a) => ({ kind: "oauth" as const, value: `${a.providerId}:${a.accountId}` }))];
}

/** better-auth has one `name` and one `image`: name = display name, else "given family". */
export async function updateProfile(h: BetterAuthDb, targetId: string, p: MirrorProfilePatch): Promise<void> {
  const set: Record<string, unknown> = {};
  if (p.displayName !== undefined || p.givenName !== undefined || p.familyName !== undefined) {
    set.name = p.displayName?.trim() || [p.givenName, p.familyName].filter((x) => x && x.trim()).join(" ").trim();
  }
  if (p.picture !== undefined) set.image = p.picture ?? null;
  if (p.emailVerified !== undefined) set.emailVerified = h.bool(p.emailVerified);
  if (!Object.keys(set).length) return;
  const r = await h.db.updateTable("user").set({ ...set, updatedAt: h.date(new Date()) }).where("id", "=", targetId).executeTakeFirst();
  if (Number(r.numUpdatedRows) === 0) throw new AuthmigrateError("TARGET_USER_NOT_FOUND", `better-auth: no user ${targetId}`);
}

/** Email: the single slot is replaced. OAuth: a new account row. */
export async function addIdentifier(h: BetterAuthDb, idFormat: IdFormat, targetId: string, i: MirrorIdentifier): Promise<IdentifierOpResult> {
  if (i.kind === "email") {
    const email = i.value.trim().toLowerCase();
    const owner = await h.db.selectFrom("user").select("id").where("email", "=", email).executeTakeFirst();
    if (owner?.id === targetId) return "already_exists";
    if (owner) throw owned("email");
    await h.db.updateTable("user").set({ email, updatedAt: h.date(new Date()) }).where("id", "=", targetId).execute();
    return "done";
  }
  if (i.kind !== "oauth") throw new AuthmigrateError("MIRROR_UNSUPPORTED", `better-auth keeps no ${i.kind} identifiers`);
  const [providerId, accountId] = splitOauth(i.value);
  const linked = await h.db.selectFrom("account").select("userId").where("providerId", "=", providerId).where("accountId", "=", accountId).executeTakeFirst();
  if (linked?.userId === targetId) return "already_exists";
  if (linked) throw owned(`${providerId} identity`);
  const now = h.date(new Date());
  await h.db.insertInto("account").values({ id: newId(idFormat), accountId, providerId, userId: targetId, password: null, createdAt: now, updatedAt: now }).execute();
  return "done";
}

/** The user's only email cannot go (better-auth requires one): that is an error; another address is NotFound. */
export async function removeIdentifier(h: BetterAuthDb, targetId: string, i: MirrorIdentifier): Promise<IdentifierOpResult> {
  if (i.kind === "email") {
    const user = await h.db.selectFrom("user").select("email").where("id", "=", targetId).executeTakeFirst();
    if (user && user.email === i.value.trim().toLowerCase()) {
      throw new AuthmigrateError("MIRROR_UNSUPPORTED", "better-auth: a user's only email cannot be removed", { hint: "mirror the new email (it replaces the old one) instead of removing it" });
    }
    return "not_found";
  }
  if (i.kind !== "oauth") return "not_found";
  const [providerId, accountId] = splitOauth(i.value);
  const r = await h.db.deleteFrom("account").where("userId", "=", targetId).where("providerId", "=", providerId).where("accountId", "=", accountId).executeTakeFirst();
  return Number(r.numDeletedRows) > 0 ? "done" : "not_found";
}

/** The legacyPasswords() plugin verifies what toPasswordColumn stores (HASH_* errors for hashes it never could). */
export async function setPassword(h: BetterAuthDb, idFormat: IdFormat, targetId: string, credential: HashCredential): Promise<void> {
  const password = toPasswordColumn(credential);
  const now = h.date(new Date());
  const account = await h.db.selectFrom("account").select("id").where("userId", "=", targetId).where("providerId", "=", CREDENTIAL).executeTakeFirst();
  if (account) {
    await h.db.updateTable("account").set({ password, updatedAt: now }).where("id", "=", account.id).execute();
    return;
  }
  const user = await h.db.selectFrom("user").select("id").where("id", "=", targetId).executeTakeFirst();
  if (!user) throw new AuthmigrateError("TARGET_USER_NOT_FOUND", `better-auth: no user ${targetId}`);
  await h.db.insertInto("account").values({ id: newId(idFormat), accountId: targetId, providerId: CREDENTIAL, userId: targetId, password, createdAt: now, updatedAt: now }).execute();
}
