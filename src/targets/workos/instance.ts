import { AuthmigrateError, isAuthmigrateError } from "../../errors.js";
import { retryRead } from "../../engine/retry.js";
import type { MigrationOrg, MigrationUser } from "../../model/user.js";
import { HttpClient, type RateLimiter } from "../http/client.js";
import type { HashCredential } from "../../model/user.js";
import type { IdentifierOpResult, MirrorIdentifier, MirrorProfilePatch, OrgOutcome, TargetContext, TargetInstance, TargetUserRecord, TargetUserView, UserOutcome, UserWrite } from "../types.js";
import * as mirror from "./mirror.js";
import {
  isAlreadyMember,
  isEmailTaken,
  isExternalIdTaken,
  isInvalidEmail,
  isPasswordHashRejected,
  isStatus,
  reasonOf,
  WorkosApi,
  type Body,
  type WorkosMembership,
  type WorkosUser,
} from "./api.js";
import { AdaptiveRateLimiter } from "../../engine/rate-limiter.js";
import { passwordlessPlan, planPassword, type PasswordPlan, type Passwordless } from "./password.js";

export interface WorkosTargetOptions {
  apiKey: string;
  clientId?: string | undefined;
  baseUrl: string;
  passwordless: Passwordless;
  mode: "big-bang" | "dual-write";
  targetIdField: string;
  roleSlugs: Record<string, string>;
  multipleRoles: boolean;
  orgDomainState: "verified" | "pending";
  emailVerified: "source" | "always";
  disabledUsers: "fail" | "import";
  requestsPerSecond: number;
  timeoutMs: number;
}

type DeleteOutcome = Awaited<ReturnType<TargetInstance["deleteUsers"]>>[number];
type LookupResult = Map<string, { targetId: string; matchedBy: "externalId" | "email" }>;

/** A per-user, non-retryable failure: becomes a `failed` outcome; never thrown out of writeUsers. */
class UserFailure extends Error {
  constructor(
    readonly reason: string,
    readonly targetId?: string,
  ) {
    super(reason);
  }
}

/**
 * Progress of one user within this process. writeUsers throws retryable errors (429, 5xx,
 * timeouts) so the engine retries the whole batch; users finished before the error are answered
 * from here on the retry, and a half-done user resumes after its last completed step.
 */
interface Progress {
  targetId: string;
  status: "created" | "updated" | "skipped";
  /** Why an existing user was linked (`exists_by_email`, `exists_by_external_id`). */
  reason?: string;
  /** Set when a follow-up step failed for good (e.g. a membership with an unknown role). */
  failure?: string;
  notes: string[];
  membershipsDone: boolean;
  resetDone: boolean;
  plan?: PasswordPlan;
}


export class WorkosInstance implements TargetInstance {
  readonly api: WorkosApi;
  /** Keyed by the write object: the engine retries a batch with the same UserWrite objects. */
  private progress = new WeakMap<UserWrite, Progress>();
  /** targetId → whether this process gave the user a password (WorkOS does not expose it). */
  private readonly passwordSent = new Map<string, boolean>();
  /** targetIds that got a reset email from this process, or must not get one (social-only): sendPasswordResets skips them. */
  private readonly noResetNeeded = new Map<string, "already_sent" | "social_only">();
  private readonly reverseRoles: Map<string, string>;

  constructor(
    private readonly options: WorkosTargetOptions,
    private readonly ctx: TargetContext,
    limiter?: RateLimiter,
  ) {
    const http = new HttpClient({
      name: "workos",
      baseUrl: options.baseUrl,
      headers: { authorization: `Bearer ${options.apiKey}` },
      timeoutMs: options.timeoutMs,
      // The run's shared limiter when the engine gives one; else our own bucket.
      limiter: limiter ?? ctx.limiter ?? new AdaptiveRateLimiter({ requestsPerSecond: options.requestsPerSecond, burst: Math.max(1, Math.round(options.requestsPerSecond)) }),
      ...(ctx.signal ? { signal: ctx.signal } : {}),
      isDuplicate: (e) => isEmailTaken(e) || isExternalIdTaken(e),
    });
    this.api = new WorkosApi(http);
    // WorkOS slug → legacy role, where exactly one legacy role maps to the slug (getUser reports legacy names).
    const bySlug = new Map<string, string[]>();
    for (const [legacy, slug] of Object.entries(options.roleSlugs)) bySlug.set(slug, [...(bySlug.get(slug) ?? []), legacy]);
    this.reverseRoles = new Map([...bySlug].filter(([, l]) => l.length === 1).map(([slug, l]) => [slug, l[0]!]));
  }

  /** Reads outside writeUsers retry here (the engine does not retry them). */
  private retry<T>(fn: () => Promise<T>): Promise<T> {
    return retryRead(fn, this.ctx.signal);
  }

  async prepare(): Promise<void> {
    try {
      await this.retry(() => this.api.listUsersPage(undefined, 1));
    } catch (e) {
      if (isStatus(e, 401) || isStatus(e, 403)) {
        throw new AuthmigrateError("TARGET_AUTH_FAILED", "WorkOS rejected the API key (401)", {
          hint: "Set target.apiKey to a secret key (sk_…) of the environment you migrate into, with User Management enabled, e.g. apiKey: ${WORKOS_API_KEY}.",
          cause: e,
        });
      }
      throw e;
    }
  }

  // ------------------------------------------------------------------ organizations

  /** Looked up by external_id first (re-runs and orgs made by hand link instead of duplicating), then created. */
  async upsertOrgs(orgs: MigrationOrg[]): Promise<OrgOutcome[]> {
    const out: OrgOutcome[] = [];
    for (const org of orgs) {
      try {
        out.push(await this.retry(() => this.upsertOrg(org)));
      } catch (e) {
        if (isAuthmigrateError(e) && e.code === "TARGET_ABORTED") throw e;
        out.push({ externalId: org.externalId, status: "failed", reason: reasonOf(e) });
      }
    }
    return out;
  }

  private async upsertOrg(org: MigrationOrg): Promise<OrgOutcome> {
    const existing = await this.api.orgByExternalId(org.externalId);
    if (existing) return { externalId: org.externalId, status: "skipped", targetId: existing.id, reason: "exists_by_external_id" };
    const body: Body = {
      name: org.name,
      external_id: org.externalId,
      ...(org.domain ? { domain_data: [{ domain: org.domain.toLowerCase(), state: this.options.orgDomainState }] } : {}),
    };
    try {
      const created = await this.api.createOrg(body, `org:${org.externalId}`);
      return { externalId: org.externalId, status: "created", targetId: created.id };
    } catch (e) {
      if (isExternalIdTaken(e)) {
        const again = await this.api.orgByExternalId(org.externalId);
        if (again) return { externalId: org.externalId, status: "skipped", targetId: again.id, reason: "exists_by_external_id" };
      }
      throw e;
    }
  }

  // ------------------------------------------------------------------ users

  /**
   * One request (or a few) per user, sequentially; the HttpClient's limiter paces them. Per-user
   * problems become outcomes; retryable errors (429 with `retryAfterMs`, 5xx, timeouts) are thrown
   * so the engine retries the batch, which resumes from `progress`.
   */
  async writeUsers(batch: UserWrite[]): Promise<UserOutcome[]> {
    const out: UserOutcome[] = [];
    for (const w of batch) {
      this.ctx.signal?.throwIfAborted();
      try {
        out.push(await this.writeOne(w));
      } catch (e) {
        if (e instanceof UserFailure) {
          out.push({ externalId: w.user.externalId, status: "failed", reason: e.reason, retryable: false, ...(e.targetId ? { targetId: e.targetId } : {}) });
        } else if (isAuthmigrateError(e) && !e.retryable) {
          out.push({ externalId: w.user.externalId, status: "failed", reason: reasonOf(e), retryable: false });
        } else {
          throw e;
        }
      }
    }
    return out;
  }

  private async writeOne(w: UserWrite): Promise<UserOutcome> {
    const { user } = w;
    const done = this.progress.get(w);
    if (done) return this.finish(w, done);

    if (this.options.mode === "dual-write") {
      // Seed 002 §4.2: skip users that already carry a WorkOS id (the app's dual-write handles them).
      const linked = w.targetId ?? dualWriteId(user, this.options.targetIdField);
      if (linked) return { externalId: user.externalId, status: "skipped", targetId: linked, reason: "dual_write_linked" };
    }
    const email = normalEmail(user.email);
    if (!email) throw new UserFailure("no_email");
    if (user.status === "disabled" && this.options.disabledUsers === "fail") throw new UserFailure("disabled_unsupported");

    if (w.action === "update" && w.targetId) return this.finish(w, await this.update(w, email, w.targetId));
    return this.finish(w, await this.create(w, email));
  }

  /** Creates the user, or links the WorkOS user that already has its email / external_id. */
  private async create(w: UserWrite, email: string): Promise<Progress> {
    const { user } = w;
    let plan: PasswordPlan;
    try {
      plan = planPassword(w, this.options.passwordless);
    } catch (e) {
      throw new UserFailure((e as Error).message);
    }
    const base: Body = {
      email,
      email_verified: this.options.emailVerified === "always" || user.emailVerified,
      external_id: user.externalId,
      ...(user.profile.givenName ? { first_name: user.profile.givenName } : {}),
      ...(user.profile.familyName ? { last_name: user.profile.familyName } : {}),
    };
    let created: WorkosUser;
    try {
      created = await this.api.createUser({ ...base, ...plan.fields }, `user:${user.externalId}`);
    } catch (e) {
      if (isEmailTaken(e)) return this.link(await this.api.userByEmail(email), "exists_by_email");
      if (isExternalIdTaken(e)) return this.link(await this.api.userByExternalId(user.externalId), "exists_by_external_id");
      if (isInvalidEmail(e)) throw new UserFailure("invalid_email");
      if (!isPasswordHashRejected(e) || !plan.hasPassword) throw e;
      // "Invalid password hash type" (seed 002): create without it, then reset/lazy per config.
      plan = passwordlessPlan(user, this.options.passwordless, "invalid_hash");
      try {
        created = await this.api.createUser(base, `user:${user.externalId}:nopw`);
      } catch (e2) {
        if (isEmailTaken(e2)) return this.link(await this.api.userByEmail(email), "exists_by_email");
        throw e2;
      }
    }
    this.passwordSent.set(created.id, plan.hasPassword);
    if (plan.note?.endsWith("social_only")) this.noResetNeeded.set(created.id, "social_only");
    const p: Progress = { targetId: created.id, status: "created", notes: plan.note ? [plan.note] : [], membershipsDone: false, resetDone: !plan.reset, plan };
    this.progress.set(w, p);
    return p;
  }

  private link(existing: WorkosUser | undefined, reason: string): Progress {
    // Reported as a duplicate but not found: e.g. deleted meanwhile. Retry later.
    if (!existing) throw new AuthmigrateError("WORKOS_DUPLICATE_NOT_FOUND", "WorkOS reported a duplicate user that a lookup could not find", { retryable: true });
    return { targetId: existing.id, status: "skipped", reason, notes: [], membershipsDone: false, resetDone: true };
  }

  /** PUT the profile (and the password hash for native/re-encode strategies); memberships follow. */
  private async update(w: UserWrite, email: string, targetId: string): Promise<Progress> {
    const { user } = w;
    const base: Body = {
      email,
      email_verified: this.options.emailVerified === "always" || user.emailVerified,
      external_id: user.externalId,
      first_name: user.profile.givenName ?? "",
      last_name: user.profile.familyName ?? "",
    };
    // Only a carried hash is re-sent: resets and temporary passwords are a create-time thing.
    const plan = w.strategy === "temporary" || w.strategy === "reset" || w.strategy === "lazy" || w.strategy === "sso" ? undefined : planPassword(w, this.options.passwordless);
    const notes: string[] = [];
    try {
      await this.api.updateUser(targetId, { ...base, ...(plan?.hasPassword ? plan.fields : {}) });
      if (plan?.hasPassword) this.passwordSent.set(targetId, true);
    } catch (e) {
      if (isStatus(e, 404)) throw new UserFailure("not_found");
      if (isEmailTaken(e)) throw new UserFailure("email_taken", targetId);
      if (isExternalIdTaken(e)) throw new UserFailure("external_id_taken", targetId);
      if (isInvalidEmail(e)) throw new UserFailure("invalid_email", targetId);
      if (!isPasswordHashRejected(e)) throw e;
      await this.api.updateUser(targetId, base);
      notes.push("invalid_hash:password_unchanged");
    }
    const p: Progress = { targetId, status: "updated", notes, membershipsDone: false, resetDone: true };
    this.progress.set(w, p);
    return p;
  }

  /** Memberships and the password reset, each once; then the outcome. */
  private async finish(w: UserWrite, p: Progress): Promise<UserOutcome> {
    if (!this.progress.has(w)) this.progress.set(w, p);
    if (!p.membershipsDone) {
      const failure = await this.syncMemberships(p.targetId, w, p.status);
      p.membershipsDone = true;
      if (failure) p.failure = failure;
    }
    if (!p.resetDone) {
      try {
        await this.api.sendPasswordReset(normalEmail(w.user.email)!, `reset:${w.user.externalId}`);
        this.noResetNeeded.set(p.targetId, "already_sent");
        p.notes = p.notes.map((n) => n.replace(/password_reset$/, "password_reset_sent"));
      } catch (e) {
        if (!isAuthmigrateError(e) || e.retryable) throw e;
        p.notes = p.notes.map((n) => n.replace(/password_reset$/, "password_reset_failed"));
      }
      p.resetDone = true;
    }
    if (p.failure) return { externalId: w.user.externalId, status: "failed", targetId: p.targetId, reason: p.failure, retryable: false };
    const reason = [p.status === "skipped" ? p.reason : undefined, ...p.notes].filter(Boolean).join(";");
    return { externalId: w.user.externalId, status: p.status, targetId: p.targetId, ...(reason ? { reason } : {}) };
  }

  /** WorkOS role slugs for legacy roles: mapped by `roleSlugs`, several only with `multipleRoles`. */
  private slugsFor(roles: string[]): { body: Body; slugs: string[]; truncated: boolean } {
    const slugs = [...new Set(roles.map((r) => this.options.roleSlugs[r] ?? r))];
    if (slugs.length === 0) return { body: {}, slugs: ["member"], truncated: false };
    if (slugs.length > 1 && this.options.multipleRoles) return { body: { role_slugs: slugs }, slugs, truncated: false };
    return { body: { role_slug: slugs[0] }, slugs: [slugs[0]!], truncated: slugs.length > 1 };
  }

  /**
   * Adds missing memberships; `updateRoles` also corrects roles of existing ones (never for a
   * linked user: its WorkOS roles were set by someone else). "Already a member" is success.
   * Returns a failure reason (e.g. `membership_failed:workos_role_not_found`) or undefined.
   */
  private async syncMemberships(userId: string, w: UserWrite, status: Progress["status"]): Promise<string | undefined> {
    const updateRoles = status === "updated";
    const wanted = w.user.memberships.flatMap((m) => {
      const orgId = w.orgTargetIds[m.orgExternalId];
      return orgId ? [{ orgId, ...this.slugsFor(m.roles) }] : [];
    });
    if (wanted.length === 0) return undefined;
    let existing: Map<string, WorkosMembership> | undefined;
    const current = async () => (existing ??= new Map((await this.api.membershipsOf(userId)).map((m) => [m.organization_id, m])));
    // A brand-new user has no memberships: skip the list call.
    const fresh = status === "created";
    for (const m of wanted) {
      try {
        const have = fresh ? undefined : (await current()).get(m.orgId);
        if (!have) {
          try {
            await this.api.createMembership({ user_id: userId, organization_id: m.orgId, ...m.body });
          } catch (e) {
            if (!isAlreadyMember(e)) throw e;
          }
        } else if (updateRoles && !sameRoles(have, m.slugs)) {
          await this.api.updateMembership(have.id, m.body);
        }
      } catch (e) {
        if (!isAuthmigrateError(e) || e.retryable) throw e;
        return `membership_failed:${reasonOf(e)}`;
      }
    }
    return undefined;
  }

  // ------------------------------------------------------------------ reads

  async getUser(targetId: string): Promise<TargetUserView | undefined> {
    const user = await this.retry(() => this.api.getUser(targetId));
    if (!user) return undefined;
    const memberships: Record<string, string[]> = {};
    for (const m of await this.retry(() => this.api.membershipsOf(targetId))) {
      if (m.status === "inactive") continue;
      const slugs = m.roles?.length ? m.roles.map((r) => r.slug) : m.role ? [m.role.slug] : [];
      memberships[m.organization_id] = slugs.map((s) => this.reverseRoles.get(s) ?? s);
    }
    const name = [user.first_name, user.last_name].filter(Boolean).join(" ");
    return {
      targetId: user.id,
      email: user.email,
      ...(name ? { name } : {}),
      memberships,
      // WorkOS does not say whether a user has a password; the simulator does. Otherwise: what this
      // process sent, and `true` when unknown (use verify's pilot sign-ins for proof).
      hasPassword: user._simulator?.has_password ?? this.passwordSent.get(targetId) ?? true,
    };
  }

  /**
   * Every user, 100 per page (cursor `after`), plus each user's memberships: WorkOS has no bulk
   * membership read per user set, so this is 1 + n/100 + n requests, all through the run's limiter.
   * WorkOS stores neither phones nor social identities on the user: those are not compared.
   */
  async *listUsers(): AsyncGenerator<TargetUserRecord> {
    let after: string | undefined;
    do {
      const page = await this.retry(() => this.api.listUsersPage(after, 100));
      for (const u of page.data) {
        const memberships: Record<string, string[]> = {};
        for (const m of await this.retry(() => this.api.membershipsOf(u.id))) {
          if (m.status === "inactive") continue;
          memberships[m.organization_id] = [...new Set(m.roles?.length ? m.roles.map((r) => r.slug) : m.role ? [m.role.slug] : [])].sort();
        }
        yield {
          targetId: u.id,
          ...(u.external_id ? { externalId: u.external_id } : {}),
          emails: [u.email.trim().toLowerCase()],
          profile: { ...(u.first_name ? { first_name: u.first_name } : {}), ...(u.last_name ? { last_name: u.last_name } : {}) },
          memberships,
        };
      }
      after = page.list_metadata.after ?? undefined;
    } while (after);
  }

  /** What create/update send: email, first/last name, memberships with the mapped role slugs. */
  toTargetRecord(user: MigrationUser, orgTargetIds: Record<string, string>): Omit<TargetUserRecord, "targetId"> {
    const memberships: Record<string, string[]> = {};
    for (const m of user.memberships) {
      const org = orgTargetIds[m.orgExternalId] ?? `unknown-org:${m.orgExternalId}`;
      memberships[org] ??= [...this.slugsFor(m.roles).slugs].sort();
    }
    const email = user.email?.trim().toLowerCase();
    return {
      externalId: user.externalId,
      emails: email ? [email] : [],
      profile: { ...(user.profile.givenName ? { first_name: user.profile.givenName } : {}), ...(user.profile.familyName ? { last_name: user.profile.familyName } : {}) },
      memberships,
    };
  }

  /** By external_id, then by email: two reads per user at most. */
  async lookupUsers(users: MigrationUser[]): Promise<LookupResult> {
    const out: LookupResult = new Map();
    for (const u of users) {
      const byExt = await this.retry(() => this.api.userByExternalId(u.externalId));
      if (byExt) {
        out.set(u.externalId, { targetId: byExt.id, matchedBy: "externalId" });
        continue;
      }
      const email = normalEmail(u.email);
      if (!email) continue;
      const byEmail = await this.retry(() => this.api.userByEmail(email));
      if (byEmail) out.set(u.externalId, { targetId: byEmail.id, matchedBy: "email" });
    }
    return out;
  }

  /** WorkOS has no count endpoint: pages through the user list (100 per request). */
  async countUsers(): Promise<number> {
    let n = 0;
    let after: string | undefined;
    do {
      const page = await this.retry(() => this.api.listUsersPage(after));
      n += page.data.length;
      after = page.list_metadata.after ?? undefined;
    } while (after);
    return n;
  }

  async sendPasswordResets(targetIds: string[]): Promise<{ targetId: string; ok: boolean; reason?: string }[]> {
    const out: { targetId: string; ok: boolean; reason?: string }[] = [];
    for (const targetId of targetIds) {
      const skip = this.noResetNeeded.get(targetId);
      if (skip) {
        out.push({ targetId, ok: true, reason: skip });
        continue;
      }
      try {
        const user = await this.retry(() => this.api.getUser(targetId));
        if (!user) {
          out.push({ targetId, ok: false, reason: "not_found" });
          continue;
        }
        await this.retry(() => this.api.sendPasswordReset(user.email));
        this.noResetNeeded.set(targetId, "already_sent");
        out.push({ targetId, ok: true });
      } catch (e) {
        if (isAuthmigrateError(e) && e.code === "TARGET_ABORTED") throw e;
        out.push({ targetId, ok: false, reason: reasonOf(e) });
      }
    }
    return out;
  }

  /** Password grant of `POST /user_management/authenticate` (needs `clientId`). */
  async signIn(email: string, password: string): Promise<boolean> {
    const clientId = this.options.clientId;
    if (!clientId) {
      throw new AuthmigrateError("CONFIG_INVALID", "target.clientId is required to sign in to WorkOS", {
        hint: "Set target.clientId (client_…) of the WorkOS environment, e.g. clientId: ${WORKOS_CLIENT_ID}.",
      });
    }
    const e = normalEmail(email);
    if (!e) return false;
    return this.retry(() => this.api.authenticate(clientId, this.options.apiKey, e, password));
  }

  /** Rollback: already gone counts as done, so it can be re-run. */
  async deleteUsers(targetIds: string[]): Promise<DeleteOutcome[]> {
    const out: DeleteOutcome[] = [];
    for (const targetId of targetIds) {
      try {
        const deleted = await this.retry(() => this.api.deleteUser(targetId));
        out.push(deleted ? { targetId, ok: true } : { targetId, ok: true, reason: "not_found" });
        this.passwordSent.delete(targetId);
      } catch (e) {
        if (isAuthmigrateError(e) && e.code === "TARGET_ABORTED") throw e;
        out.push({ targetId, ok: false, reason: reasonOf(e) });
      }
    }
    return out;
  }

  // ------------------------------------------------------------------ mirror (authmigrate/mirror, ./mirror.ts)
  // One request each, no retry here: the mirror's outbox retries a failed change as a whole.

  async getIdentifiers(targetId: string): Promise<MirrorIdentifier[] | undefined> {
    return mirror.getIdentifiers(this.api, targetId);
  }

  async updateProfile(targetId: string, patch: MirrorProfilePatch): Promise<void> {
    await mirror.updateProfile(this.api, targetId, patch);
  }

  async addIdentifier(targetId: string, identifier: MirrorIdentifier): Promise<IdentifierOpResult> {
    return mirror.addIdentifier(this.api, targetId, identifier);
  }

  async removeIdentifier(targetId: string, identifier: MirrorIdentifier): Promise<IdentifierOpResult> {
    return mirror.removeIdentifier(this.api, targetId, identifier);
  }

  async setPassword(targetId: string, credential: HashCredential): Promise<void> {
    await mirror.setPassword(this.api, targetId, credential);
    this.passwordSent.set(targetId, true);
  }

  async close(): Promise<void> {
    this.progress = new WeakMap();
  }
}

function sameRoles(m: WorkosMembership, slugs: string[]): boolean {
  const have = m.roles?.length ? m.roles.map((r) => r.slug) : m.role ? [m.role.slug] : [];
  return [...have].sort().join(",") === [...slugs].sort().join(",");
}

/** Seed 002: `email.trim().toLowerCase()` — WorkOS matches emails case-insensitively. */
export function normalEmail(email: string | undefined): string | undefined {
  const e = email?.trim().toLowerCase();
  return e ? e : undefined;
}

/** The WorkOS id a dual-writing app stored in the legacy row (mapped into `metadata[targetIdField]`). */
function dualWriteId(user: MigrationUser, field: string): string | undefined {
  const v = user.metadata[field];
  return typeof v === "string" && v.trim() ? v.trim() : undefined;
}
