import { AuthmigrateError, errorMessage, isAuthmigrateError } from "../../errors.js";
import { retryRead } from "../../engine/retry.js";
import type { MigrationOrg, MigrationUser } from "../../model/user.js";
import type { IdentifierOpResult, MirrorIdentifier, MirrorProfilePatch, OrgOutcome, TargetContext, TargetInstance, TargetUserRecord, TargetUserView, UserOutcome, UserWrite } from "../types.js";
import { BATCH_LOOKUP_MAX, PreludeApi, isPreludeError, isStatus } from "./client.js";
import { identifierKey, toCreateBody, toView, type PreludeIdentifier, type PreludeProfile, type PreludeUser } from "./map.js";
import * as mirror from "./mirror.js";
import { preludeExpected, preludeRecord } from "./records.js";
import type { PreludeTargetOptions } from "./options.js";

type LookupResult = Map<string, { targetId: string; matchedBy: "externalId" | "email" }>;
type PerId = { targetId: string; ok: boolean; reason?: string };

/** Consecutive retryable failures (429/5xx/timeouts) after which writeUsers stops sending for this call. */
export const BREAKER_STREAK = 3;

/** `http_409:IdentifierAlreadyExists:…` — status, provider code and message, one line. */
export function reasonOf(e: unknown): string {
  if (isAuthmigrateError(e)) {
    const status = e.meta.status;
    const parts = [status !== undefined ? `http_${String(status)}` : e.code.toLowerCase()];
    if (typeof e.meta.providerCode === "string") parts.push(e.meta.providerCode);
    if (typeof e.meta.providerMessage === "string") parts.push(e.meta.providerMessage);
    else if (status === undefined) parts.push(e.message);
    return parts.join(":").slice(0, 240);
  }
  return errorMessage(e).slice(0, 240);
}

/** A per-user, final failure inside writeOne (becomes a `failed` outcome). */
class UserFailure extends Error {
  constructor(
    readonly reason: string,
    readonly retryable = false,
    readonly targetId?: string,
  ) {
    super(reason);
  }
}

const chunks = <T>(xs: readonly T[], n: number): T[][] => Array.from({ length: Math.ceil(xs.length / n) }, (_, i) => xs.slice(i * n, i * n + n));

export class PreludeInstance implements TargetInstance {
  readonly api: PreludeApi;
  /** Final outcomes by write object: a re-sent batch (engine retry after a throw) is answered from here. */
  private done = new WeakMap<UserWrite, UserOutcome>();
  /** External ids whose create got no clear answer (timeout, 5xx…): a later ExternalIDAlreadyExists is our own user. */
  private readonly uncertain = new Set<string>();

  constructor(
    private readonly options: PreludeTargetOptions,
    private readonly ctx: TargetContext,
    fetchImpl?: typeof fetch,
  ) {
    this.api = new PreludeApi(options, ctx.limiter, ctx.signal, fetchImpl);
  }

  /** Reads outside writeUsers retry here (the engine does not retry them). */
  private retry<T>(fn: () => Promise<T>): Promise<T> {
    return retryRead(fn, this.ctx.signal);
  }

  /** One list call: checks the management key and the application id. */
  async prepare(): Promise<void> {
    try {
      await this.retry(() => this.api.listUsers(undefined, 1));
    } catch (e) {
      if (isStatus(e, 401) || isStatus(e, 403)) {
        throw new AuthmigrateError("TARGET_AUTH_FAILED", "Prelude rejected the management API key", {
          hint: "set target.apiKey to the application's Management API key, e.g. apiKey: ${PRELUDE_API_KEY}",
          meta: { status: (e as AuthmigrateError).meta.status },
          cause: e,
        });
      }
      if (isStatus(e, 404)) {
        throw new AuthmigrateError("CONFIG_INVALID", `Prelude application "${this.options.appId}" not found`, { hint: "check target.appId ($APP_ID) and target.baseUrl", cause: e });
      }
      throw e;
    }
  }

  /** Prelude has no organizations (capabilities.orgs = false: the engine never calls this). */
  async upsertOrgs(orgs: MigrationOrg[]): Promise<OrgOutcome[]> {
    return orgs.map((o) => ({ externalId: o.externalId, status: "failed", reason: "orgs_unsupported" }));
  }

  // ------------------------------------------------------------------ writes

  /**
   * One create-user POST per user, paced by the run's shared limiter. Outcomes:
   * - `created`; `skipped` + the existing id for ExternalIDAlreadyExists / IdentifierAlreadyExists
   *   (seed 003: benign race with lazy `migrate()`);
   * - other 4xx → `failed` with the provider's message (never thrown for one user);
   * - 429/5xx/timeouts → `failed`, `retryable: true` (the engine retries that user). After
   *   BREAKER_STREAK in a row the call stops sending: it throws when nothing succeeded in it yet
   *   (the engine backs off and re-sends; finished users answer from memory), else the rest are
   *   deferred as retryable failures. A call in which nothing went through throws the last error.
   * Thrown: abort, 401/403 (bad key), 404 on create (unknown app).
   */
  async writeUsers(batch: UserWrite[]): Promise<UserOutcome[]> {
    const out: UserOutcome[] = [];
    let streak = 0;
    let progressed = false;
    let breaker: unknown;
    let last: unknown;
    for (const w of batch) {
      const externalId = w.user.externalId;
      const memo = this.done.get(w);
      if (memo) {
        out.push(memo);
        progressed = true;
        continue;
      }
      if (breaker !== undefined) {
        out.push({ externalId, status: "failed", reason: `deferred:${reasonOf(breaker)}`, retryable: true });
        continue;
      }
      this.ctx.signal?.throwIfAborted();
      let o: UserOutcome;
      try {
        o = await this.writeOne(w);
      } catch (e) {
        if (e instanceof UserFailure) {
          o = { externalId, status: "failed", reason: e.reason, retryable: e.retryable, ...(e.targetId ? { targetId: e.targetId } : {}) };
        } else if (isFatal(e)) {
          throw e;
        } else if (isAuthmigrateError(e) && e.retryable) {
          o = { externalId, status: "failed", reason: reasonOf(e), retryable: true };
          last = e;
          if (++streak >= BREAKER_STREAK) {
            if (!progressed) throw e;
            breaker = e;
          }
          out.push(o);
          continue;
        } else {
          o = { externalId, status: "failed", reason: reasonOf(e), retryable: false };
        }
      }
      streak = 0;
      progressed = true;
      if (!(o.status === "failed" && o.retryable)) this.done.set(w, o);
      out.push(o);
    }
    // Nothing in this call went through (every user hit 429/5xx/timeout): the call as a whole
    // could not proceed — throw, so the engine backs off (honouring Retry-After) and re-sends.
    if (!progressed && last !== undefined) throw last;
    return out;
  }

  private async writeOne(w: UserWrite): Promise<UserOutcome> {
    const { user } = w;
    if (user.status === "disabled" && this.options.disabledUsers === "fail") throw new UserFailure("disabled_unsupported");
    const mapped = toCreateBody(user, this.options);
    if (!mapped.ok) throw new UserFailure(mapped.reason);
    if (w.action === "update" && w.targetId) return this.update(w, w.targetId, mapped.body.profile, mapped.body.identifiers);

    try {
      const { id } = await this.api.createUser(mapped.body);
      this.uncertain.delete(user.externalId);
      return { externalId: user.externalId, status: "created", targetId: id };
    } catch (e) {
      if (isPreludeError(e, "ExternalIDAlreadyExists")) return this.linkByExternalId(user.externalId);
      if (isPreludeError(e, "IdentifierAlreadyExists")) return this.linkByIdentifier(user, mapped.body.identifiers);
      if (isStatus(e, 404)) {
        throw new AuthmigrateError("CONFIG_INVALID", `Prelude answered 404 to create-user: application "${this.options.appId}" not found`, { hint: "check target.appId and target.baseUrl", cause: e });
      }
      if (!isAuthmigrateError(e) || e.retryable) this.uncertain.add(user.externalId);
      throw e;
    }
  }

  /** ExternalIDAlreadyExists: the user lazy migration (or an earlier run) created; ours only if our own create went unanswered. */
  private async linkByExternalId(externalId: string): Promise<UserOutcome> {
    const existing = await this.byExternalId(externalId);
    if (!existing) throw new UserFailure("exists_but_not_found", true);
    if (this.uncertain.delete(externalId)) return { externalId, status: "created", targetId: existing.id, reason: "recovered_after_retry" };
    return { externalId, status: "skipped", targetId: existing.id, reason: "exists_by_external_id" };
  }

  /**
   * IdentifierAlreadyExists. By external_id first (lazy migration won the race); else the owner of
   * one of our identifiers: without an external_id (an Auth-native sign-up) it is linked and given
   * ours (seed 003 step 4.5, update-external-id); with another one it belongs to another legacy
   * user → failed.
   */
  private async linkByIdentifier(user: MigrationUser, identifiers: PreludeIdentifier[]): Promise<UserOutcome> {
    const externalId = user.externalId;
    const mine = await this.byExternalId(externalId);
    if (mine) return this.linkByExternalId(externalId);
    const emails = identifiers.filter((i) => i.type === "email_address").map((i) => i.value);
    let owner: PreludeUser | undefined;
    if (emails.length) owner = (await this.api.batchLookup({ emails })).find((u) => u.identifiers?.some((i) => emails.includes(i.value.toLowerCase())));
    for (const i of identifiers) {
      if (owner) break;
      if (i.type === "email_address") continue;
      owner = await this.api.findByIdentifier(i).catch((e: unknown) => {
        if (isFatal(e) || (isAuthmigrateError(e) && e.retryable)) throw e;
        return undefined; // the list filter is not in the public reference
      });
    }
    if (!owner) throw new UserFailure("identifier_exists_owner_unknown", false);
    const ownerExt = owner.external_id ?? "";
    if (ownerExt === externalId) return this.linkByExternalId(externalId);
    if (ownerExt) throw new UserFailure("identifier_owned_by_other_user");
    try {
      await this.api.setExternalId(owner.id, externalId);
    } catch (e) {
      if (isPreludeError(e, "ExternalIDAlreadyExists")) return this.linkByExternalId(externalId);
      throw e;
    }
    return { externalId, status: "skipped", targetId: owner.id, reason: "exists_by_email" };
  }

  private async byExternalId(externalId: string): Promise<PreludeUser | undefined> {
    return (await this.api.batchLookup({ external_ids: [externalId] })).find((u) => u.external_id === externalId);
  }

  /**
   * A user this tool created before: patch the profile, add missing identifiers (AlreadyExists =
   * done), with `identifierSync: diff` remove the ones no longer wanted (NotFound = done). Every op
   * runs; failures are joined at the end (seed 003 step 1).
   */
  private async update(w: UserWrite, targetId: string, profile: PreludeProfile, wanted: PreludeIdentifier[]): Promise<UserOutcome> {
    const externalId = w.user.externalId;
    const current = await this.api.getUser(targetId);
    if (!current) throw new UserFailure("not_found");
    const errors: string[] = [];
    const attempt = async (label: string, fn: () => Promise<unknown>, ok: (e: unknown) => boolean): Promise<void> => {
      try {
        await fn();
      } catch (e) {
        if (ok(e)) return;
        if (isFatal(e) || (isAuthmigrateError(e) && e.retryable)) throw e;
        errors.push(`${label}:${reasonOf(e)}`);
      }
    };
    if (Object.keys(profile).length) await attempt("profile", () => this.api.patchProfile(targetId, profile), () => false);
    if (!current.external_id) await attempt("external_id", () => this.api.setExternalId(targetId, externalId), () => false);
    const have = new Map((current.identifiers ?? []).map((i) => [identifierKey(i), i]));
    const want = new Set(wanted.map(identifierKey));
    for (const i of wanted) {
      if (!have.has(identifierKey(i))) await attempt(`add_${i.type}`, () => this.api.addIdentifier(targetId, i), (e) => isPreludeError(e, "AlreadyExists"));
    }
    if (this.options.identifierSync === "diff") {
      for (const [k, i] of have) {
        if (!want.has(k)) await attempt(`delete_${i.type}`, () => this.api.deleteIdentifier(targetId, i), (e) => isStatus(e, 404) || isPreludeError(e, "NotFound"));
      }
    }
    if (errors.length) throw new UserFailure(`partial:${errors.join(";")}`.slice(0, 400), false, targetId);
    return { externalId, status: "updated", targetId };
  }

  // ------------------------------------------------------------------ reads

  /** Seed 003 step 3.3: by external_id through batch_lookup (100 per call), then by email (100 per call). */
  async lookupUsers(users: MigrationUser[]): Promise<LookupResult> {
    const out: LookupResult = new Map();
    for (const chunk of chunks(users.map((u) => u.externalId), BATCH_LOOKUP_MAX)) {
      const found = await this.retry(() => this.api.batchLookup({ external_ids: chunk }));
      for (const u of found) if (u.external_id && chunk.includes(u.external_id)) out.set(u.external_id, { targetId: u.id, matchedBy: "externalId" });
    }
    const byEmail = new Map<string, MigrationUser[]>();
    for (const u of users) {
      const e = u.email?.trim().toLowerCase();
      if (!out.has(u.externalId) && e) byEmail.set(e, [...(byEmail.get(e) ?? []), u]);
    }
    for (const chunk of chunks([...byEmail.keys()], BATCH_LOOKUP_MAX)) {
      const found = await this.retry(() => this.api.batchLookup({ emails: chunk }));
      for (const p of found) {
        for (const i of p.identifiers ?? []) {
          if (i.type !== "email_address") continue;
          for (const u of byEmail.get(i.value.toLowerCase()) ?? []) {
            // An account that carries another legacy id is someone else's: not a link (the create reports it).
            if (p.external_id && p.external_id !== u.externalId) continue;
            if (!out.has(u.externalId)) out.set(u.externalId, { targetId: p.id, matchedBy: "email" });
          }
        }
      }
    }
    return out;
  }

  async getUser(targetId: string): Promise<TargetUserView | undefined> {
    const u = await this.retry(() => this.api.getUser(targetId));
    return u ? toView(u) : undefined;
  }

  /** Every user, through list-users (100 per page, cursor = last id); each page through the run's limiter. */
  async *listUsers(): AsyncGenerator<TargetUserRecord> {
    let cursor: string | undefined;
    do {
      const page = await this.retry(() => this.api.listUsers(cursor));
      for (const u of page.users) yield preludeRecord(u);
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
  }

  toTargetRecord(user: MigrationUser): Omit<TargetUserRecord, "targetId"> {
    return preludeExpected(user, this.options);
  }

  /** No count endpoint: pages through list-users (100 per call). */
  async countUsers(): Promise<number> {
    let n = 0;
    let cursor: string | undefined;
    do {
      const page = await this.retry(() => this.api.listUsers(cursor));
      n += page.users.length;
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    return n;
  }

  /** Rollback: delete-user; NotFound counts as done (seed 003: "already gone"). */
  async deleteUsers(targetIds: string[]): Promise<PerId[]> {
    const out: PerId[] = [];
    for (const targetId of targetIds) {
      try {
        const existed = await this.retry(() => this.api.deleteUser(targetId));
        out.push(existed ? { targetId, ok: true } : { targetId, ok: true, reason: "not_found" });
      } catch (e) {
        if (isAuthmigrateError(e) && e.code === "TARGET_ABORTED") throw e;
        out.push({ targetId, ok: false, reason: reasonOf(e) });
      }
    }
    return out;
  }

  // ------------------------------------------------------------------ mirror (authmigrate/mirror)
  // One request each, no retry here: the mirror's outbox retries failed changes as a whole.

  async getIdentifiers(targetId: string): Promise<MirrorIdentifier[] | undefined> {
    return mirror.getIdentifiers(this.api, targetId);
  }

  async updateProfile(targetId: string, patch: MirrorProfilePatch): Promise<void> {
    const body = mirror.toProfilePatch(patch);
    if (Object.keys(body).length) await this.api.patchProfile(targetId, body as PreludeProfile);
  }

  async addIdentifier(targetId: string, identifier: MirrorIdentifier): Promise<IdentifierOpResult> {
    return mirror.addIdentifier(this.api, targetId, mirror.toPreludeIdentifier(identifier, this.options.providerNames));
  }

  async removeIdentifier(targetId: string, identifier: MirrorIdentifier): Promise<IdentifierOpResult> {
    return mirror.removeIdentifier(this.api, targetId, mirror.toPreludeIdentifier(identifier, this.options.providerNames));
  }

  async close(): Promise<void> {
    this.done = new WeakMap();
  }
}

/** Errors that stop the whole call: abort, bad credentials, unknown application. */
function isFatal(e: unknown): boolean {
  if (!isAuthmigrateError(e)) return e instanceof Error && e.name === "AbortError";
  return e.code === "TARGET_ABORTED" || e.code === "CONFIG_INVALID" || e.meta.status === 401 || e.meta.status === 403;
}
