import { convert } from "../../hashes/index.js";
import type { MigrationUser } from "../../model/user.js";
import type { UserWrite } from "../types.js";

/** What to do for users with no usable hash (option `passwordless`). */
export type Passwordless = "reset" | "lazy" | "none";

/**
 * The password part of a create: fields for the body, whether to send a password reset after
 * creating, and the note recorded in the outcome's reason.
 */
export interface PasswordPlan {
  fields: Record<string, unknown>;
  /** A hash went in (so WorkOS knows a password for the user). */
  hasPassword: boolean;
  reset: boolean;
  /** e.g. `lazy`, `social_only`, `hash_not_importable:reset`; undefined for a plain hash import. */
  note?: string;
}

/** A user with social identities and no credential: created without a password; WorkOS links the OAuth sign-in by email (seed 002 §3.5). */
export function isSocialOnly(user: MigrationUser): boolean {
  return user.credential.kind === "none" && user.identities.length > 0;
}

/** The plan when no usable hash is there: social-only users never get a reset; others follow `passwordless`. */
export function passwordlessPlan(user: MigrationUser, passwordless: Passwordless, why?: string): PasswordPlan {
  const prefix = why ? `${why}:` : "";
  if (isSocialOnly(user)) return { fields: {}, hasPassword: false, reset: false, note: `${prefix}social_only` };
  switch (passwordless) {
    case "reset":
      return { fields: {}, hasPassword: false, reset: true, note: `${prefix}password_reset` };
    case "lazy":
      return { fields: {}, hasPassword: false, reset: false, note: `${prefix}lazy` };
    case "none":
      return { fields: {}, hasPassword: false, reset: false, note: `${prefix}no_password` };
  }
}

/**
 * Planner strategy → WorkOS fields:
 *  - `native` / `re-encode` / unset: the hash engine's `convert(…, "workos")` gives `password_hash` +
 *    `password_hash_type`; a hash it cannot carry falls back to `passwordless` (`hash_not_importable:…`);
 *  - `temporary`: the generated password as `password` (WorkOS hashes it);
 *  - `lazy`: no password (the lazy-migration service sets it at first login); `sso`: no password;
 *  - `reset`: no password + reset email; for users without any credential `passwordless` decides.
 * Throws only for a `temporary` write without its password.
 */
export function planPassword(w: UserWrite, passwordless: Passwordless): PasswordPlan {
  const { user } = w;
  const cred = user.credential;
  switch (w.strategy) {
    case "temporary":
      if (!w.temporaryPassword) throw new Error("missing_temporary_password");
      return { fields: { password: w.temporaryPassword }, hasPassword: true, reset: false, note: "temporary_password" };
    case "sso":
      return { fields: {}, hasPassword: false, reset: false, note: "sso" };
    case "lazy":
      return { fields: {}, hasPassword: false, reset: false, note: "lazy" };
    case "reset":
      if (cred.kind === "hash") return { fields: {}, hasPassword: false, reset: true, note: "password_reset" };
      return passwordlessPlan(user, passwordless);
    default:
      if (cred.kind !== "hash") return passwordlessPlan(user, passwordless);
      try {
        const out = convert({ format: cred.format, value: cred.value, params: cred.params }, "workos");
        return { fields: out.fields, hasPassword: true, reset: false };
      } catch {
        return passwordlessPlan(user, passwordless, "hash_not_importable");
      }
  }
}
