import { AuthmigrateError } from "../../errors.js";
import { convert } from "../../hashes/index.js";
import type { HashCredential } from "../../model/user.js";
import type { IdentifierOpResult, MirrorIdentifier, MirrorProfilePatch } from "../types.js";
import { isEmailTaken, type WorkosApi } from "./api.js";

/**
 * Mirror on WorkOS (seed 002 §4.1 "Email updates / password changes: call updateUser()"): a WorkOS
 * user has exactly one email, so the email is a single slot replaced by `PUT /users/{id}`; phones
 * and OAuth links are not user fields (not mirrored). Passwords go as `password_hash` +
 * `password_hash_type` (hash engine `convert(…, "workos")`).
 */

export async function getIdentifiers(api: WorkosApi, targetId: string): Promise<MirrorIdentifier[] | undefined> {
  const u = await api.getUser(targetId);
  if (!u) return undefined;
  return u.email ? [{ kind: "email", value: u.email }] : [];
}

/** `null` clears first/last name (sent as ""); WorkOS keeps `name` from them. */
export async function updateProfile(api: WorkosApi, targetId: string, p: MirrorProfilePatch): Promise<void> {
  const body: Record<string, unknown> = {};
  let first = p.givenName;
  let last = p.familyName;
  if (!first && !last && p.displayName) {
    const [head, ...rest] = p.displayName.trim().split(/\s+/);
    first = head ?? null;
    last = rest.length ? rest.join(" ") : null;
  }
  if (first !== undefined) body.first_name = first ?? "";
  if (last !== undefined) body.last_name = last ?? "";
  if (p.locale) body.locale = p.locale;
  if (p.emailVerified !== undefined) body.email_verified = p.emailVerified;
  if (Object.keys(body).length) await api.updateUser(targetId, body);
}

export async function addIdentifier(api: WorkosApi, targetId: string, i: MirrorIdentifier): Promise<IdentifierOpResult> {
  if (i.kind !== "email") throw new AuthmigrateError("MIRROR_UNSUPPORTED", `WorkOS users have no ${i.kind} identifiers`);
  const email = i.value.trim().toLowerCase();
  const current = await api.getUser(targetId);
  if (!current) throw new AuthmigrateError("TARGET_USER_NOT_FOUND", `WorkOS: no user ${targetId}`);
  if (current.email?.toLowerCase() === email) return "already_exists";
  try {
    await api.updateUser(targetId, { email });
  } catch (e) {
    if (isEmailTaken(e)) throw new AuthmigrateError("MIRROR_IDENTIFIER_TAKEN", "WorkOS: the email belongs to another user", { hint: "two legacy users claim the same email: fix the legacy data, then mirror again", cause: e });
    throw e;
  }
  return "done";
}

/** The one email cannot be removed (WorkOS requires it); any other value is not there: NotFound. */
export async function removeIdentifier(api: WorkosApi, targetId: string, i: MirrorIdentifier): Promise<IdentifierOpResult> {
  if (i.kind !== "email") return "not_found";
  const current = await api.getUser(targetId);
  if (current?.email?.toLowerCase() === i.value.trim().toLowerCase()) {
    throw new AuthmigrateError("MIRROR_UNSUPPORTED", "WorkOS: a user's only email cannot be removed", { hint: "mirror the new email (it replaces the old one) instead of removing it" });
  }
  return "not_found";
}

/** HASH_* errors (from convert) when WorkOS cannot take this hash: the mirror then sends a reset. */
export async function setPassword(api: WorkosApi, targetId: string, credential: HashCredential): Promise<void> {
  const out = convert({ format: credential.format, value: credential.value, params: credential.params }, "workos");
  await api.updateUser(targetId, out.fields);
}
