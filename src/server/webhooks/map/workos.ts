/**
 * WorkOS events `{id, event, data, created_at}`; user events carry the user object: `id`,
 * `email`, `email_verified`, `first_name`, `last_name`, `profile_picture_url`, `external_id`.
 */
import { fields, isObj, optBool, optStr, requireId, type Change, type Obj } from "./change.js";

export function mapWorkos(type: string, payload: Obj): Change {
  const data = isObj(payload.data) ? payload.data : undefined;
  if (!data || !type.startsWith("user.")) return { kind: "ignore", why: `not a user event (${type})` };
  const targetId = requireId(data.id, "data.id");
  const externalId = optStr(data, "external_id") ?? null;
  if (type === "user.deleted") return { kind: "delete", targetId, externalId };
  if (type !== "user.created" && type !== "user.updated") return { kind: "ignore", why: `user event ${type}` };
  return {
    kind: "upsert",
    created: type === "user.created",
    targetId,
    externalId,
    fields: fields({
      email: optStr(data, "email"),
      emailVerified: optBool(data, "email_verified"),
      givenName: optStr(data, "first_name"),
      familyName: optStr(data, "last_name"),
      picture: optStr(data, "profile_picture_url"),
    }),
  };
}
