import { errorMessage } from "../../errors.js";
import { chooseStrategy, convert } from "../../hashes/index.js";
import type { MigrationUser } from "../../model/user.js";
import type { TargetUserView, UserOutcome, UserWrite } from "../types.js";
import type { CalimaticUser, ImportItem, ImportResponse } from "./client.js";
import type { CalimaticTargetOptions } from "./options.js";

/**
 * Canonical user ⇄ Calimatic import item, and the import response back to one outcome per user.
 * Pure functions (no I/O), so the field map of seed 000 is testable on its own.
 */

/** Written into `metadata.migratedBy` of every user we import: tells "ours, from an earlier (crashed) run" from "existed before". */
export const MIGRATED_BY = "authmigrate";

export const MAX_NAME = 100;

/** Strategies that send the legacy hash (A); `temporary` sends `temporaryPassword` (C); the rest send nothing (B, D, lazy). */
const HASH_STRATEGIES = new Set(["native", "re-encode"]);

type Mapped = { ok: true; item: ImportItem; strategy: string } | { ok: false; reason: string };

function names(user: MigrationUser, placeholder: string | undefined): { first?: string; last?: string } {
  let first = user.profile.givenName?.trim() || undefined;
  let last = user.profile.familyName?.trim() || undefined;
  const display = user.profile.displayName?.trim();
  if (display && (!first || !last)) {
    const [head, ...rest] = display.split(/\s+/);
    first ??= head;
    if (rest.length) last ??= rest.join(" ");
  }
  return { first: first ?? placeholder, last: last ?? placeholder };
}

/** The membership that becomes the user's one Calimatic organization (Calimatic holds one org + one role per user). */
export function primaryMembership(w: UserWrite): { orgId: string; role: string | undefined } | undefined {
  for (const m of w.user.memberships) {
    const orgId = w.orgTargetIds[m.orgExternalId];
    if (orgId) return { orgId, role: m.roles[0] };
  }
  return undefined;
}

export function toImportItem(w: UserWrite, opts: CalimaticTargetOptions): Mapped {
  const user = w.user;
  if (!user.email) return { ok: false, reason: "no_email" };
  const { first, last } = names(user, opts.placeholderName);
  if (!first) return { ok: false, reason: "missing_first_name" };
  if (!last) return { ok: false, reason: "missing_last_name" };

  const primary = primaryMembership(w);
  const metaRole = typeof user.metadata.role === "string" ? user.metadata.role : undefined;
  const role = primary?.role ?? metaRole ?? opts.defaultRole;
  const phone = user.phones[0] ?? (typeof user.metadata.phone === "string" ? user.metadata.phone : undefined);
  const metadata: Record<string, unknown> = {
    ...user.metadata,
    ...(phone ? { phone } : {}),
    ...(user.memberships[0] ? { legacyTenantId: user.memberships[0].orgExternalId } : {}),
    ...(user.memberships.length > 1 ? { legacyMemberships: user.memberships } : {}),
    ...(user.createdAt ? { legacyCreatedDate: user.createdAt.toISOString() } : {}),
    migratedBy: MIGRATED_BY,
  };

  const item: ImportItem = {
    email: user.email.trim().toLowerCase(),
    firstName: first,
    lastName: last,
    ...(primary ? { organizationId: primary.orgId } : {}),
    role,
    externalId: user.externalId,
    metadata,
    ...(user.status === "disabled" ? { status: "disabled" as const } : {}),
  };

  const strategy = w.strategy ?? chooseStrategy(user.credential, "calimatic").strategy;
  const sendPassword = w.action === "create" || opts.updatePasswords;
  if (sendPassword && HASH_STRATEGIES.has(strategy) && user.credential.kind === "hash") {
    try {
      const out = convert(user.credential, "calimatic");
      const hash = out.fields.passwordHash;
      if (typeof hash !== "string") return { ok: false, reason: "password_not_convertible" };
      item.passwordHash = hash;
    } catch (e) {
      return { ok: false, reason: `password_not_convertible:${(e as { code?: string }).code ?? errorMessage(e).slice(0, 80)}` };
    }
  } else if (sendPassword && strategy === "temporary") {
    if (!w.temporaryPassword) return { ok: false, reason: "temporary_password_missing" };
    item.temporaryPassword = w.temporaryPassword;
  }
  return { ok: true, item, strategy };
}

const CREATED = new Set(["user_created", "created"]);
const UPDATED = new Set(["user_updated", "updated"]);
const SKIPPED = new Set(["skipped", "user_skipped", "exists", "user_exists", "already_exists"]);

export type RawOutcome =
  | { kind: "created" | "updated" | "existing"; targetId: string }
  | { kind: "failed"; reason: string; retryable: boolean };

/**
 * One raw outcome per sent item: `errors[].index` for failures; `users[]` matched by (normalised)
 * email in order, since the seed's `users[]` carries no index. An item the response does not
 * mention fails retryable (re-sending is safe: the import deduplicates by email).
 */
export function mapImportResponse(sent: ImportItem[], res: ImportResponse): RawOutcome[] {
  const out = new Array<RawOutcome | undefined>(sent.length);
  for (const e of res.errors ?? []) {
    if (typeof e.index === "number" && e.index >= 0 && e.index < sent.length && !out[e.index]) {
      out[e.index] = { kind: "failed", reason: (e.error ?? "import_error").slice(0, 200), retryable: false };
    }
  }
  const byEmail = new Map<string, number[]>();
  for (const [i, item] of sent.entries()) {
    if (out[i]) continue;
    const k = item.email.trim().toLowerCase();
    byEmail.set(k, [...(byEmail.get(k) ?? []), i]);
  }
  for (const r of res.users ?? []) {
    const i = byEmail.get((r.email ?? "").trim().toLowerCase())?.shift();
    if (i === undefined) continue;
    const status = (r.status ?? "").toLowerCase();
    if (!r.userId) out[i] = { kind: "failed", reason: `no_user_id_in_response:${status || "unknown"}`, retryable: true };
    else if (CREATED.has(status)) out[i] = { kind: "created", targetId: r.userId };
    else if (UPDATED.has(status)) out[i] = { kind: "updated", targetId: r.userId };
    else if (SKIPPED.has(status)) out[i] = { kind: "existing", targetId: r.userId };
    else out[i] = { kind: "failed", reason: `unexpected_status:${status || "none"}`, retryable: false };
  }
  // Array.from, not out.map: map() skips the holes of `new Array(n)`.
  return Array.from(out, (o): RawOutcome => o ?? { kind: "failed", reason: "missing_from_response", retryable: true });
}

/** Whether an existing Calimatic user is the one an earlier run of authmigrate imported for `externalId`. */
export function isOurs(user: CalimaticUser | undefined, externalId: string): boolean {
  return !!user && user.externalId === externalId && user.metadata?.migratedBy === MIGRATED_BY;
}

/**
 * Final outcome of one write. `existing` (skipped by email) and `updated`-on-create are links to a
 * user that was there before (`skipped`, `exists_by_email`: verify does not compare them and
 * rollback never deletes them) — unless `ours` says an earlier run created it.
 */
export function toOutcome(w: UserWrite, raw: RawOutcome, ours: boolean): UserOutcome {
  const externalId = w.user.externalId;
  if (raw.kind === "failed") return { externalId, status: "failed", reason: raw.reason, retryable: raw.retryable };
  if (raw.kind === "created") return { externalId, status: "created", targetId: raw.targetId };
  if (w.action === "update") {
    return raw.kind === "updated" ? { externalId, status: "updated", targetId: raw.targetId } : { externalId, status: "skipped", targetId: raw.targetId, reason: "exists_by_email" };
  }
  if (ours) return { externalId, status: "created", targetId: raw.targetId, reason: "already_imported" };
  return { externalId, status: "skipped", targetId: raw.targetId, reason: "exists_by_email" };
}

function licenseApps(u: CalimaticUser): string[] {
  return (u.licenses ?? []).flatMap((l) => (typeof l === "string" ? [l] : l && typeof l === "object" && typeof (l as { application?: unknown }).application === "string" ? [(l as { application: string }).application] : []));
}

export function toView(u: CalimaticUser, expectedApplications: readonly string[] = []): TargetUserView {
  const held = licenseApps(u);
  const orgId = u.organization?.id ?? u.organizationId ?? undefined;
  const name = [u.firstName, u.lastName].filter(Boolean).join(" ");
  return {
    targetId: u.id,
    ...(u.email !== undefined ? { email: u.email } : {}),
    ...(name ? { name } : {}),
    ...(u.status !== undefined ? { disabled: u.status === "disabled" } : {}),
    memberships: orgId ? { [orgId]: u.role ? [u.role] : [] } : {},
    hasPassword: u.hasPassword === true,
    ...(u.externalId ? { externalId: u.externalId } : {}),
    ...(u.licenses !== undefined ? { missingLicenses: expectedApplications.filter((a) => !held.includes(a)) } : {}),
  };
}
