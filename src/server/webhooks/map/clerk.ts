/**
 * Clerk (via Svix) and generic Standard Webhooks events: `{type, data, timestamp}`.
 * Clerk users carry `email_addresses[]` + `primary_email_address_id` (verification.status
 * "verified"), `phone_numbers[]`, `first_name`, `last_name`, `username`, `image_url`,
 * `external_id`; `user.deleted` carries `{id, deleted: true}`. Generic senders may send flat
 * fields (`email`, `email_verified`, `given_name`…), which are read too.
 */
import { fields, isObj, optBool, optStr, requireId, type Change, type Obj } from "./change.js";

function primary(list: unknown, primaryId: unknown, valueKey: string): { value: string | null; verified?: boolean } | undefined {
  if (!Array.isArray(list)) return undefined;
  const items = list.filter(isObj);
  const p = items.find((e) => e.id !== undefined && e.id === primaryId) ?? items[0];
  if (!p) return { value: null };
  const status = isObj(p.verification) ? p.verification.status : undefined;
  const value = typeof p[valueKey] === "string" ? (p[valueKey] as string) : null;
  return { value, ...(typeof status === "string" ? { verified: status === "verified" } : {}) };
}

export function mapClerk(type: string, payload: Obj): Change {
  const data = isObj(payload.data) ? payload.data : undefined;
  if (!data) return { kind: "ignore", why: "no data" };
  const [resource, action] = splitType(type);
  if (resource !== "user") return { kind: "ignore", why: `not a user event (${type})` };
  const targetId = requireId(data.id, "data.id");
  const externalId = optStr(data, "external_id", "externalId") ?? null;
  if (action === "deleted" || data.deleted === true) return { kind: "delete", targetId, externalId };
  if (action !== "created" && action !== "updated") return { kind: "ignore", why: `user event ${type}` };
  const email = primary(data.email_addresses, data.primary_email_address_id, "email_address");
  const phone = primary(data.phone_numbers, data.primary_phone_number_id, "phone_number");
  const banned = optBool(data, "banned", "locked");
  const disabled = optBool(data, "disabled");
  return {
    kind: "upsert",
    created: action === "created",
    targetId,
    externalId,
    fields: fields({
      email: email ? email.value : optStr(data, "email", "email_address"),
      emailVerified: email?.verified ?? optBool(data, "email_verified", "emailVerified"),
      givenName: optStr(data, "first_name", "given_name", "givenName"),
      familyName: optStr(data, "last_name", "family_name", "familyName"),
      name: optStr(data, "name"),
      username: optStr(data, "username"),
      phone: phone ? phone.value : optStr(data, "phone_number", "phone"),
      picture: optStr(data, "image_url", "picture"),
      ...(banned !== undefined || disabled !== undefined ? { active: !(banned || disabled) } : {}),
    }),
  };
}

/** `user.created` → ["user", "created"]; `organizationMembership.created` → [..]. */
export function splitType(type: string): [string, string] {
  const i = type.lastIndexOf(".");
  return i < 0 ? [type, ""] : [type.slice(0, i), type.slice(i + 1)];
}
