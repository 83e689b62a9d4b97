/**
 * Authgear non-blocking events `{id, type, payload: {user, identities}, context}`. The user has
 * `id`, `is_disabled` and `standard_attributes` (email, email_verified, given_name, family_name,
 * name, phone_number, preferred_username, picture). Identity events (`identity.email.updated`…)
 * carry the user as it is after the change, so they map to an update.
 */
import { fields, isObj, optBool, optStr, requireId, type Change, type Obj } from "./change.js";

const UPDATES = new Set(["user.profile.updated", "user.disabled", "user.reenabled", "user.anonymous.promoted"]);

export function mapAuthgear(type: string, payload: Obj): Change {
  const body = isObj(payload.payload) ? payload.payload : undefined;
  const user = body && isObj(body.user) ? body.user : undefined;
  if (!user) return { kind: "ignore", why: `no payload.user (${type})` };
  const targetId = requireId(user.id, "payload.user.id");
  const externalId = optStr(user, "external_id") ?? null;
  if (type === "user.deleted" || type === "user.scheduled_deletion") return { kind: "delete", targetId, externalId };
  const isUpdate = UPDATES.has(type) || /^identity\.(email|phone_number|username)\./.test(type);
  if (type !== "user.created" && !isUpdate) return { kind: "ignore", why: `event ${type}` };
  const sa = isObj(user.standard_attributes) ? user.standard_attributes : {};
  const disabled = type === "user.disabled" ? true : type === "user.reenabled" ? false : optBool(user, "is_disabled");
  return {
    kind: "upsert",
    created: type === "user.created",
    targetId,
    externalId,
    fields: fields({
      email: optStr(sa, "email"),
      emailVerified: optBool(sa, "email_verified"),
      givenName: optStr(sa, "given_name"),
      familyName: optStr(sa, "family_name"),
      name: optStr(sa, "name"),
      username: optStr(sa, "preferred_username"),
      phone: optStr(sa, "phone_number"),
      picture: optStr(sa, "picture"),
      ...(disabled !== undefined ? { active: !disabled } : {}),
    }),
  };
}
