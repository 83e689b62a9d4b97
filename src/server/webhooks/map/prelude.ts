/**
 * Prelude batch items `{id, type, occurred_at, payload: {user}}`. ASSUMED shape (the event pages
 * give no field list; see docs/sync.md): the user is `{id, external_id, profile: {first_name,
 * last_name, picture}, identifiers: [{type: "email_address"|"phone_number"|"oauth", value}]}`,
 * found under `payload.user`, `data.user`, `user` or `payload`. Identifier events carry the user
 * after the change. `user.updated` (seed 003's subscription) is accepted as a profile update.
 */
import { fields, isObj, optStr, requireId, type Change, type Obj } from "./change.js";

const UPDATES = new Set(["user.updated", "user.profile.updated", "user.identifier.created", "user.identifier.deleted"]);

function userOf(ev: Obj): Obj | undefined {
  for (const c of [ev.payload, ev.data]) {
    if (isObj(c) && isObj(c.user)) return c.user;
  }
  if (isObj(ev.user)) return ev.user;
  if (isObj(ev.payload) && ev.payload.id !== undefined) return ev.payload;
  return undefined;
}

export function mapPrelude(type: string, ev: Obj): Change {
  if (!type.startsWith("user.") || type.startsWith("user.session.")) return { kind: "ignore", why: `event ${type}` };
  const user = userOf(ev);
  if (!user) return { kind: "ignore", why: `no user in ${type}` };
  const targetId = requireId(user.id, "payload.user.id");
  const externalId = optStr(user, "external_id") ?? null;
  if (type === "user.deleted") return { kind: "delete", targetId, externalId };
  if (type !== "user.created" && !UPDATES.has(type)) return { kind: "ignore", why: `event ${type}` };
  const profile = isObj(user.profile) ? user.profile : {};
  const ids = Array.isArray(user.identifiers) ? user.identifiers.filter(isObj) : undefined;
  const first = (t: string) => (ids ? ((ids.find((i) => i.type === t)?.value as string | undefined) ?? null) : undefined);
  return {
    kind: "upsert",
    created: type === "user.created",
    targetId,
    externalId,
    fields: fields({
      email: first("email_address"),
      phone: first("phone_number"),
      givenName: optStr(profile, "first_name"),
      familyName: optStr(profile, "last_name"),
      picture: optStr(profile, "picture"),
    }),
  };
}
