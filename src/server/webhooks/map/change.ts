/**
 * The canonical change a provider event boils down to: a user (by target id, and external id when
 * the payload carries it) was created/updated with these fields, or deleted. Fields absent from
 * the payload stay undefined and are never written (thin payloads must not blank columns).
 */
export interface ChangeFields {
  email?: string | null;
  emailVerified?: boolean;
  givenName?: string | null;
  familyName?: string | null;
  name?: string | null;
  username?: string | null;
  phone?: string | null;
  picture?: string | null;
  active?: boolean;
}

export type Change =
  | { kind: "upsert"; created: boolean; targetId: string; externalId: string | null; fields: ChangeFields }
  | { kind: "delete"; targetId: string; externalId: string | null }
  /** Not a user lifecycle event we apply (sessions, orgs, emails sent…): done without effect. */
  | { kind: "ignore"; why: string };

export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => !!v && typeof v === "object" && !Array.isArray(v);

/** `undefined` when the key is absent, the string (or null) when present. */
export function optStr(o: Obj, ...keys: string[]): string | null | undefined {
  for (const k of keys) {
    if (!(k in o)) continue;
    const v = o[k];
    if (v === null || v === "") return null;
    if (typeof v === "string" || typeof v === "number") return String(v);
  }
  return undefined;
}

export function optBool(o: Obj, ...keys: string[]): boolean | undefined {
  for (const k of keys) if (typeof o[k] === "boolean") return o[k] as boolean;
  return undefined;
}

/** Drop undefined entries so "absent" stays absent. */
export function fields(f: ChangeFields): ChangeFields {
  return Object.fromEntries(Object.entries(f).filter(([, v]) => v !== undefined)) as ChangeFields;
}

export class UnmappableEvent extends Error {}

export function requireId(v: unknown, what: string): string {
  if ((typeof v === "string" && v) || typeof v === "number") return String(v);
  throw new UnmappableEvent(`${what} is missing`);
}
