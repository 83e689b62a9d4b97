import { AuthmigrateError } from "../errors.js";
import { nativeHash } from "../hashes/index.js";
import { HashCredentialSchema, MigrationUserSchema, type HashCredential, type MigrationUser, type MigrationUserInput } from "../model/user.js";
import type { Outbox, SubmitResult } from "./outbox.js";

/**
 * Dual-write helpers (seed 002 §4.1): call them right after your own write of a sign-up, an email
 * change or a password change. Each goes through the outbox (durable, retried, per-user order).
 * Plain passwords are hashed here (bcrypt) before anything is stored or sent, and never logged.
 */

/** `{ password }` (plain, hashed here) or `{ hash }` (a legacy hash in any hash-engine format). */
export type NewPassword = { password: string } | { hash: HashCredential | { format: string; value: string; params?: Record<string, unknown> } };

/** bcrypt cost for passwords hashed here: every target that imports hashes takes bcrypt. */
export const DUAL_WRITE_BCRYPT_COST = 12;

async function toCredential(p: NewPassword): Promise<HashCredential> {
  if ("password" in p) {
    if (typeof p.password !== "string" || !p.password) throw new AuthmigrateError("MIRROR_INVALID", "onPasswordChange: the new password is empty", { hint: "pass { password } with the new plain password or { hash } with its hash" });
    return { kind: "hash", format: "bcrypt", value: await nativeHash(p.password, DUAL_WRITE_BCRYPT_COST), params: {} };
  }
  const parsed = HashCredentialSchema.safeParse({ kind: "hash", params: {}, ...p.hash });
  if (!parsed.success) throw new AuthmigrateError("MIRROR_INVALID", "onPasswordChange: hash needs a format (hash-engine id) and a value", { hint: "e.g. { hash: { format: 'bcrypt', value: '$2b$12$…' } }" });
  return parsed.data;
}

/** A canonical user from app input; the error names the field and the fix. */
export function parseUser(fn: string, user: MigrationUserInput): MigrationUser {
  const parsed = MigrationUserSchema.safeParse(user);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw new AuthmigrateError("MIRROR_INVALID", `${fn}: user.${issue.path.join(".")}: ${issue.message}`, { hint: "pass a canonical user (see src/model/user.ts), at least { externalId, email }" });
}

export class DualWrite {
  constructor(protected readonly outbox: Outbox) {}

  /** A user signed up in your app: create them in the target (linked if already there). */
  async onSignUp(user: MigrationUserInput, password?: string): Promise<SubmitResult> {
    const u = parseUser("onSignUp", user);
    if (password !== undefined) u.credential = await toCredential({ password });
    return this.outbox.submit({ action: "signup", externalId: u.externalId, user: u });
  }

  /** The user's email changed: the new one is added, `previousEmail` (or every other address) removed. */
  async onEmailChange(externalId: string, newEmail: string, opts: { previousEmail?: string } = {}): Promise<SubmitResult> {
    const email = newEmail?.trim().toLowerCase();
    if (!externalId || !email || !email.includes("@")) throw new AuthmigrateError("MIRROR_INVALID", `onEmailChange(${externalId}): "${newEmail}" is not an email address`, { hint: "pass the user's legacy id and the new address" });
    return this.outbox.submit({ action: "email", externalId, email, ...(opts.previousEmail ? { previousEmail: opts.previousEmail } : {}) });
  }

  /** The password changed: the target gets a hash it accepts, or the user gets a reset (see mirrorPassword). */
  async onPasswordChange(externalId: string, next: NewPassword): Promise<SubmitResult> {
    if (!externalId) throw new AuthmigrateError("MIRROR_INVALID", "onPasswordChange: externalId is required");
    return this.outbox.submit({ action: "password", externalId, credential: await toCredential(next) });
  }
}
