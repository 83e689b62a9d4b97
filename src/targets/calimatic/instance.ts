import { AuthmigrateError, errorMessage, isAuthmigrateError } from "../../errors.js";
import type { MigrationOrg, MigrationUser } from "../../model/user.js";
import { responseBody } from "../http/errors.js";
import type { OrgOutcome, TargetContext, TargetInstance, TargetUserView, UserOutcome, UserWrite } from "../types.js";
import { CalimaticApi, type CalimaticUser, type ImportItem } from "./client.js";
import { MIGRATED_BY, isOurs, mapImportResponse, toImportItem, toOutcome, toView, type RawOutcome } from "./map.js";
import type { CalimaticTargetOptions } from "./options.js";
import { mapLimit } from "../../util/map-limit.js";
import { retryRead } from "../../engine/retry.js";

export const CALIMATIC_MAX_BATCH = 500;

/** Metadata without authmigrate's `migratedBy` mark. */
function withoutMark(metadata: Record<string, unknown> | undefined): Record<string, unknown> {
  const rest = { ...metadata };
  if (rest.migratedBy === MIGRATED_BY) delete rest.migratedBy;
  return rest;
}

type PerId = { targetId: string; ok: boolean; reason?: string };


const reasonOf = (e: unknown): string => {
  if (isAuthmigrateError(e)) {
    const status = e.meta.status;
    const msg = typeof e.meta.providerMessage === "string" ? e.meta.providerMessage : e.message;
    return status !== undefined ? `http_${String(status)}:${msg}` : msg;
  }
  return errorMessage(e);
};

export class CalimaticInstance implements TargetInstance {
  readonly api: CalimaticApi;

  constructor(
    private readonly options: CalimaticTargetOptions,
    private readonly ctx: TargetContext,
    fetchImpl?: typeof fetch,
  ) {
    this.api = new CalimaticApi(options, ctx.signal, fetchImpl, ctx.limiter);
  }

  /** Checks the client credentials (and the API key when set) with read-only calls. */
  async prepare(): Promise<void> {
    try {
      await this.api.migrationStatus();
      if (this.options.apiKey) await this.api.findOrgBySlug("authmigrate-credential-check");
    } catch (e) {
      if (isAuthmigrateError(e) && (e.meta.status === 401 || e.meta.status === 403)) {
        throw new AuthmigrateError("TARGET_AUTH_FAILED", `Calimatic rejected the credentials: ${e.message}`, {
          hint: "check target.clientId / clientSecret (x-client-id/x-client-secret), target.apiKey (x-api-key) and target.sessionCookie; they need org:users:manage",
          meta: { status: e.meta.status },
          cause: e,
        });
      }
      throw e;
    }
  }

  /** POST /organizations; 409 (slug taken) → link to the existing org (`skipped`, `exists_by_slug`). */
  async upsertOrgs(orgs: MigrationOrg[]): Promise<OrgOutcome[]> {
    const defaults = this.options.orgDefaults;
    return mapLimit(orgs, 1, async (org): Promise<OrgOutcome> => {
      const body = {
        name: org.name,
        slug: org.slug,
        ...(org.domain ? { domain: org.domain } : {}),
        ...((org.type ?? defaults.type) ? { type: org.type ?? defaults.type } : {}),
        ...((org.plan ?? defaults.plan) ? { plan: org.plan ?? defaults.plan } : {}),
      };
      try {
        const created = await this.api.createOrg(body);
        return { externalId: org.externalId, status: "created", targetId: created.id };
      } catch (e) {
        if (isAuthmigrateError(e) && e.meta.status === 409) {
          const data = (responseBody(e) as { data?: { id?: unknown } } | undefined)?.data;
          const id = typeof data?.id === "string" ? data.id : (await this.api.findOrgBySlug(org.slug).catch(() => undefined))?.id;
          if (id) return { externalId: org.externalId, status: "skipped", targetId: id, reason: "exists_by_slug" };
          return { externalId: org.externalId, status: "failed", reason: "exists_by_slug_but_not_found" };
        }
        if (isAuthmigrateError(e) && e.code === "CONFIG_INVALID") return { externalId: org.externalId, status: "failed", reason: "api_key_missing" };
        return { externalId: org.externalId, status: "failed", reason: reasonOf(e) };
      }
    });
  }

  /**
   * One `POST /users/import` per batch (two when it mixes creates and updates: updates always go
   * with `skipExisting: false`). Per-user validation errors are `failed` with the provider's
   * message; whole-request failures throw (retryable for 429/5xx/network).
   */
  async writeUsers(batch: UserWrite[]): Promise<UserOutcome[]> {
    const out = new Array<UserOutcome>(batch.length);
    const groups: Record<"create" | "update", { i: number; item: ImportItem }[]> = { create: [], update: [] };
    for (const [i, w] of batch.entries()) {
      const m = toImportItem(w, this.options);
      if (!m.ok) out[i] = { externalId: w.user.externalId, status: "failed", reason: m.reason, retryable: false };
      else groups[w.action === "update" ? "update" : "create"].push({ i, item: m.item });
    }
    for (const action of ["create", "update"] as const) {
      const group = groups[action];
      for (let start = 0; start < group.length; start += CALIMATIC_MAX_BATCH) {
        this.ctx.signal?.throwIfAborted();
        const chunk = group.slice(start, start + CALIMATIC_MAX_BATCH);
        const sent = chunk.map((c) => c.item);
        // Creates always go with skipExisting:true first, so an existing user can be told apart
        // (ours from a crashed run, or there before) before anything overwrites it.
        const raw = mapImportResponse(sent, await this.import(sent, action === "update" ? false : true));
        const owned = await mapLimit(raw, this.options.concurrency, async (r: RawOutcome, k) =>
          r.kind === "existing" && action === "create" ? isOurs(await this.api.resolve(sent[k]!.email), batch[chunk[k]!.i]!.user.externalId) : false,
        );
        if (action === "create" && !this.options.skipExisting) {
          // skipExisting:false → overwrite the existing ones; they stay links (or ours) either way.
          const again = raw.flatMap((r, k) => (r.kind === "existing" ? [k] : []));
          if (again.length) {
            // A user that was there before never gets our `migratedBy` mark (it would look like ours on the next run).
            const items = again.map((k) => (owned[k] ? sent[k]! : { ...sent[k]!, metadata: withoutMark(sent[k]!.metadata) }));
            const second = mapImportResponse(items, await this.import(items, false));
            for (const [j, k] of again.entries()) if (second[j]!.kind === "failed") raw[k] = second[j]!;
          }
        }
        for (const [k, c] of chunk.entries()) out[c.i] = toOutcome(batch[c.i]!, raw[k]!, owned[k]!);
      }
    }
    return out;
  }

  private import(users: ImportItem[], skipExisting: boolean) {
    return this.api.importUsers({
      users,
      defaultApplications: this.options.defaultApplications,
      sendInviteEmails: this.options.sendInviteEmails,
      skipExisting,
      ...(this.options.defaultOrganizationId ? { defaultOrganizationId: this.options.defaultOrganizationId } : {}),
    });
  }

  /** One read request, retried on its own (429, 5xx, timeouts): see READ_RETRY. */
  private read<T>(fn: () => Promise<T>): Promise<T> {
    return retryRead(fn, this.ctx.signal);
  }

  /** By externalId (simulator extension `GET /users?externalId=`; skipped when the API has no such list), then by email (seed's resolve). */
  private externalIdLookup = true;

  async lookupUsers(users: MigrationUser[]): Promise<Map<string, { targetId: string; matchedBy: "externalId" | "email" }>> {
    const found = new Map<string, { targetId: string; matchedBy: "externalId" | "email" }>();
    await mapLimit(users, this.options.concurrency, async (u) => {
      if (this.externalIdLookup) {
        try {
          const hits = await this.read(() => this.api.findByExternalId(u.externalId));
          if (hits.length === 1) return void found.set(u.externalId, { targetId: hits[0]!.id, matchedBy: "externalId" });
        } catch (e) {
          if (!(isAuthmigrateError(e) && (e.meta.status === 404 || e.meta.status === 405))) throw e;
          this.externalIdLookup = false;
        }
      }
      if (!u.email) return;
      const hit = await this.read(() => this.api.resolve(u.email!));
      if (hit) found.set(u.externalId, { targetId: hit.id, matchedBy: "email" });
    });
    return found;
  }

  async getUser(targetId: string): Promise<TargetUserView | undefined> {
    const u: CalimaticUser | undefined = await this.api.getUser(targetId);
    return u ? toView(u, this.options.defaultApplications) : undefined;
  }

  /** `totalUsers` of `/tools/migration-status` (includes users that were there before the migration). */
  async countUsers(): Promise<number> {
    return (await this.api.migrationStatus()).totalUsers;
  }

  /** Strategy B: `POST /users/{id}/reset-password` per user. */
  async sendPasswordResets(targetIds: string[]): Promise<PerId[]> {
    return mapLimit(targetIds, this.options.concurrency, async (targetId) => {
      try {
        await this.api.resetPassword(targetId);
        return { targetId, ok: true };
      } catch (e) {
        return { targetId, ok: false, reason: reasonOf(e) };
      }
    });
  }

  async signIn(email: string, password: string): Promise<boolean> {
    return this.api.signIn(email, password);
  }

  /** Rollback: `DELETE /users/{id}`; already gone counts as done. */
  async deleteUsers(targetIds: string[]): Promise<PerId[]> {
    return mapLimit(targetIds, this.options.concurrency, async (targetId) => {
      try {
        const existed = await this.api.deleteUser(targetId);
        return existed ? { targetId, ok: true } : { targetId, ok: true, reason: "not_found" };
      } catch (e) {
        return { targetId, ok: false, reason: reasonOf(e) };
      }
    });
  }

  async close(): Promise<void> {}
}
