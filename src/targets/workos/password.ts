import { convert } from "../../hashes/index.js";
import type { MigrationUser } from "../../model/user.js";
import type { UserWrite } from "../types.js";

/** What to do for hashed users whose hash WorkOS cannot take (option `passwordless`). */
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

/** No password; a reset email, if any, is the engine's (`passwords.reset` policy). Social-only users are marked so none is sent. */
function engineResetPlan(user: MigrationUser): PasswordPlan {
  return isSocialOnly(user) ? { fields: {}, hasPassword: false, reset: false, note: "social_only" } : { fields: {}, hasPassword: false, reset: false };
}

/**
 * Planner strategy → WorkOS fields:
 *  - `native` / `re-encode` / unset: the hash engine's `convert(…, "workos")` gives `password_hash` +
 *    `password_hash_type`; a hash it cannot carry falls back to `passwordless` (`hash_not_importable:…`);
 *  - `temporary`: the generated password as `password` (WorkOS hashes it);
 *  - `lazy` (the planner's answer for hashes WorkOS cannot take): no password, then `passwordless`
 *    (`lazy` = your login path sets it at first login; default `reset` = a reset email); `sso`: no password;
 *  - `reset` / `none` / no credential: no password; the engine sends the reset email after the run
 *    (its `passwords.reset` policy calls sendPasswordResets), so the target does not.
 * `passwordless` thus governs the target's own fallbacks: hashed users it cannot give a password.
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
      // The planner's "cannot import, verify at first login". Whether a lazy login path exists is
      // the operator's call (`passwordless`): without one these users would be stuck, so the
      // default still sends a reset.
      return passwordlessPlan(user, passwordless, cred.kind === "hash" ? "hash_not_importable" : undefined);
    case "reset":
    case "none":
      // The engine sends these resets after the run (`passwords.reset`, through sendPasswordResets).
      return engineResetPlan(user);
    default:
      if (cred.kind !== "hash") return engineResetPlan(user);
      try {
        const out = convert({ format: cred.format, value: cred.value, params: cred.params }, "workos");
        return { fields: out.fields, hasPassword: true, reset: false };
      } catch {
        return passwordlessPlan(user, passwordless, "hash_not_importable");
      }
  }
}
