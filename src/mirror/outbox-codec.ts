import { MigrationUserSchema } from "../model/user.js";
import type { MirrorChange } from "./types.js";

/** Changes are stored as JSON; users are re-validated on the way out (dates come back as strings). */
export function encodeChange(change: MirrorChange): string {
  return JSON.stringify(change);
}

export function decodeChange(text: string): MirrorChange {
  const raw = JSON.parse(text) as MirrorChange;
  if (raw.action === "upsert" || raw.action === "signup") {
    const u = raw.user as unknown as Record<string, unknown>;
    for (const k of ["createdAt", "lastLoginAt"]) if (typeof u[k] === "string") u[k] = new Date(u[k] as string);
    return { ...raw, user: MigrationUserSchema.parse(u) };
  }
  return raw;
}

/** What a dead letter keeps: the change without any password hash (it is never needed again). */
export function scrubChange(change: MirrorChange): MirrorChange {
  if (change.action === "password") return { ...change, credential: { ...change.credential, value: "[redacted]", params: {} } };
  if ((change.action === "signup" || change.action === "upsert") && change.user.credential.kind === "hash") {
    return { ...change, user: { ...change.user, credential: { kind: "none" } } };
  }
  return change;
}
