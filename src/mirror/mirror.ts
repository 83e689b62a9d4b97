import { isAuthmigrateError } from "../errors.js";
import type { HashCredential, MigrationUser } from "../model/user.js";
import type { MirrorIdentifier, MirrorIdentifierKind, MirrorProfilePatch } from "../targets/types.js";
import { OpCollector, describeError, isRetryable, retryAfterOf } from "./collect.js";
import { desiredIdentifiers, diffIdentifiers, identifierKey, mirroredKinds } from "./identifiers.js";
import { resolveUser, type ResolvedUser } from "./resolve.js";
import type { MirrorAction, MirrorChange, MirrorContext, MirrorResult } from "./types.js";

/** Ledger rows written outside an engine run (sign-ups mirrored from the app) carry this run id. */
export const MIRROR_RUN_ID = 0;

const unsupported = (action: MirrorAction, externalId: string, reason: string): MirrorResult => ({ action, externalId, status: "unsupported", reason, ops: [], errors: [], retryable: false });

const notMigrated = (action: MirrorAction, externalId: string): MirrorResult => ({ action, externalId, status: "skipped", reason: "not_migrated", ops: [], errors: [], retryable: false });

/** A lookup that failed before any op ran (target down, 429…): one failed result. */
function lookupFailed(action: MirrorAction, externalId: string, e: unknown): MirrorResult {
  const ra = retryAfterOf(e);
  return { action, externalId, status: "failed", reason: "lookup_failed", ops: [], errors: [`lookup: ${describeError(e)}`], retryable: isRetryable(e), ...(ra !== undefined ? { retryAfterMs: ra } : {}) };
}

async function resolveOr(ctx: MirrorContext, action: MirrorAction, externalId: string): Promise<ResolvedUser | MirrorResult> {
  try {
    return (await resolveUser(ctx, externalId)) ?? notMigrated(action, externalId);
  } catch (e) {
    return lookupFailed(action, externalId, e);
  }
}

const isResult = (x: ResolvedUser | MirrorResult): x is MirrorResult => "status" in x;

/** The whole profile as desired state: fields the legacy user no longer has are cleared (`null`). */
export function profilePatch(user: MigrationUser): MirrorProfilePatch {
  const p = user.profile;
  return {
    givenName: p.givenName ?? null,
    familyName: p.familyName ?? null,
    displayName: p.displayName ?? null,
    picture: p.picture ?? null,
    locale: p.locale ?? null,
    emailVerified: user.emailVerified,
  };
}

/** Adds first, then removes: a user is never left without a sign-in identifier half-way (and a `one` slot is replaced, then its old value is NotFound). */
async function applyDiff(c: OpCollector, ctx: MirrorContext, targetId: string, existing: MirrorIdentifier[], desired: MirrorIdentifier[], kinds: MirrorIdentifierKind[]): Promise<void> {
  const { instance } = ctx;
  const diff = diffIdentifiers(existing, desired, kinds);
  for (const i of diff.add) await c.run({ op: "add", kind: i.kind, value: i.value }, () => instance.addIdentifier!(targetId, i));
  for (const i of diff.remove) await c.run({ op: "remove", kind: i.kind, value: i.value }, () => instance.removeIdentifier!(targetId, i));
}

/**
 * Mirror an update (seed 003 step 1): resolve the target user by external id (skip silently when
 * not migrated yet), patch the profile, reconcile emails / phones / OAuth identities as a diff.
 * Every op runs; failures are collected into one result. Never throws for target errors.
 */
export async function mirrorUpsert(ctx: MirrorContext, user: MigrationUser): Promise<MirrorResult> {
  const base = { action: "upsert" as const, externalId: user.externalId };
  const caps = ctx.capabilities;
  if (!caps || !ctx.instance.getIdentifiers) return unsupported("upsert", user.externalId, "target_cannot_mirror");
  const found = await resolveOr(ctx, "upsert", user.externalId);
  if (isResult(found)) return found;
  const c = new OpCollector();
  if (caps.profile && ctx.instance.updateProfile) await c.run({ op: "profile" }, () => ctx.instance.updateProfile!(found.targetId, profilePatch(user)));
  await applyDiff(c, ctx, found.targetId, found.identifiers, desiredIdentifiers(user, caps), mirroredKinds(caps));
  return c.result({ ...base, targetId: found.targetId });
}

/** Mirror a delete: NotFound (already gone, or never migrated) is success. */
export async function mirrorDelete(ctx: MirrorContext, externalId: string): Promise<MirrorResult> {
  if (!ctx.capabilities || !ctx.instance.getIdentifiers) return unsupported("delete", externalId, "target_cannot_mirror");
  const found = await resolveOr(ctx, "delete", externalId);
  if (isResult(found)) return found;
  const c = new OpCollector();
  await c.run({ op: "delete" }, async () => {
    const [r] = await ctx.instance.deleteUsers([found.targetId]);
    if (!r?.ok) throw new Error(r?.reason ?? "delete_failed");
    return r.reason === "not_found" ? "not_found" : "done";
  });
  return c.result({ action: "delete", externalId, targetId: found.targetId });
}

/**
 * Email change: the new address is added and the previous one removed; without `previousEmail`
 * the user's emails become exactly `{email}` (other addresses are dropped).
 */
export async function mirrorEmail(ctx: MirrorContext, externalId: string, email: string, previousEmail?: string): Promise<MirrorResult> {
  const caps = ctx.capabilities;
  if (!caps || caps.identifiers.email === "none" || !ctx.instance.getIdentifiers) return unsupported("email", externalId, "target_cannot_mirror_email");
  const found = await resolveOr(ctx, "email", externalId);
  if (isResult(found)) return found;
  const wanted = email.trim().toLowerCase();
  const prev = previousEmail ? identifierKey({ kind: "email", value: previousEmail }) : undefined;
  const kept = prev === undefined ? [] : found.identifiers.filter((i) => i.kind === "email" && identifierKey(i) !== prev);
  const desired = caps.identifiers.email === "one" ? [{ kind: "email" as const, value: wanted }] : [{ kind: "email" as const, value: wanted }, ...kept];
  const c = new OpCollector();
  await applyDiff(c, ctx, found.targetId, found.identifiers, desired, ["email"]);
  return c.result({ action: "email", externalId, targetId: found.targetId });
}

/**
 * Password change: the target takes the hash (converted by it), else a reset is sent (hash format
 * it cannot take, or no password support), else `unsupported`. The hash never appears in results.
 */
export async function mirrorPassword(ctx: MirrorContext, externalId: string, credential: HashCredential): Promise<MirrorResult> {
  const caps = ctx.capabilities;
  const { instance } = ctx;
  const canSet = !!caps?.password && !!instance.setPassword;
  if (!caps || !instance.getIdentifiers || (!canSet && !instance.sendPasswordResets)) return unsupported("password", externalId, "target_cannot_set_password");
  const found = await resolveOr(ctx, "password", externalId);
  if (isResult(found)) return found;
  const base = { action: "password" as const, externalId, targetId: found.targetId };
  const c = new OpCollector();
  if (canSet) {
    try {
      await instance.setPassword!(found.targetId, credential);
      c.ops.push({ op: "password", outcome: "done" });
      return c.result(base);
    } catch (e) {
      // Only "this hash cannot go in" falls back to a reset; 429/5xx are retried as they are.
      if (!(isAuthmigrateError(e) && e.code.startsWith("HASH_")) || !instance.sendPasswordResets) {
        c.fail({ op: "password" }, e);
        return c.result(base);
      }
    }
  }
  await c.run({ op: "reset" }, async () => {
    const [r] = await instance.sendPasswordResets!([found.targetId]);
    if (!r?.ok) throw new Error(r?.reason ?? "reset_failed");
  });
  return c.result({ ...base, reason: "reset_sent" });
}

/** Sign-up (seed 002 §4.1): create the user in the target (a user already there is linked) and record the link in the ledger. */
export async function mirrorSignUp(ctx: MirrorContext, user: MigrationUser): Promise<MirrorResult> {
  const base = { action: "signup" as const, externalId: user.externalId };
  const c = new OpCollector();
  let outcome;
  try {
    [outcome] = await ctx.instance.writeUsers([{ user, action: "create", ...(user.credential.kind === "none" ? { strategy: "none" } : {}), orgTargetIds: {} }]);
  } catch (e) {
    c.fail({ op: "create" }, e);
    return c.result(base);
  }
  if (!outcome || outcome.status === "failed") {
    const reason = outcome?.reason ?? "create_failed";
    c.ops.push({ op: "create", outcome: "failed", error: reason, retryable: !!outcome?.retryable });
    c.errors.push(`create: ${reason}`);
    return { ...c.result(base), retryable: !!outcome?.retryable };
  }
  c.ops.push({ op: "create", outcome: outcome.status === "created" ? "done" : "already_exists" });
  if (ctx.ledger && outcome.targetId) {
    try {
      await ctx.ledger.recordUsers(MIRROR_RUN_ID, [
        { externalId: user.externalId, email: user.email ?? null, digest: null, targetId: outcome.targetId, status: outcome.status === "created" ? "created" : "skipped", reason: outcome.status === "created" ? "mirror_signup" : (outcome.reason ?? "exists"), strategy: null },
      ]);
    } catch (e) {
      // The user is in the target; the link is re-found by lookup. Reported, retried by the outbox.
      c.fail({ op: "create" }, e);
    }
  }
  return c.result({ ...base, ...(outcome.targetId ? { targetId: outcome.targetId } : {}), ...(outcome.status === "skipped" ? { reason: outcome.reason ?? "exists" } : {}) }, outcome.status === "created" ? "applied" : "skipped");
}

/** Dispatch one (possibly replayed) change. */
export function applyChange(ctx: MirrorContext, change: MirrorChange): Promise<MirrorResult> {
  switch (change.action) {
    case "upsert":
      return mirrorUpsert(ctx, change.user);
    case "delete":
      return mirrorDelete(ctx, change.externalId);
    case "signup":
      return mirrorSignUp(ctx, change.user);
    case "email":
      return mirrorEmail(ctx, change.externalId, change.email, change.previousEmail);
    case "password":
      return mirrorPassword(ctx, change.externalId, change.credential);
  }
}

