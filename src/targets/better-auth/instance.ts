import type { ControlledTransaction, Kysely } from "kysely";
import { getMigrations } from "better-auth/db/migration";
import { AuthmigrateError, errorMessage, isAuthmigrateError } from "../../errors.js";
import type { Identity, MigrationOrg, MigrationUser } from "../../model/user.js";
import type { OrgOutcome, TargetContext, TargetInstance, TargetUserView, UserOutcome, UserWrite } from "../types.js";
import { newId, openDatabase, schemaOptions, tableColumns, type BetterAuthDb, type BetterAuthTables, type IdFormat } from "./db.js";
import { isBetterAuthHash, toPasswordColumn } from "./password.js";

export interface BetterAuthTargetOptions {
  database: string;
  organizations: boolean;
  admin: boolean;
  idFormat: IdFormat;
}

/** `banReason` we set for users disabled in the legacy system; only bans carrying it are lifted on update. */
export const DISABLED_BAN_REASON = "authmigrate: disabled in the legacy system";

const CREDENTIAL = "credential";

type DeleteOutcome = Awaited<ReturnType<TargetInstance["deleteUsers"]>>[number];

type Trx = Kysely<BetterAuthTables>;

/** A per-user failure: rolled back to the user's savepoint and reported, never thrown out of the batch. */
class UserFailure extends Error {
  constructor(
    readonly reason: string,
    readonly retryable = false,
  ) {
    super(reason);
  }
}

export class BetterAuthInstance implements TargetInstance {
  private handle: BetterAuthDb | undefined;
  /** Optional columns found at prepare(): admin plugin's `banned`. */
  private hasBanned = false;
  private prepared = false;

  constructor(
    private readonly options: BetterAuthTargetOptions,
    private readonly ctx: TargetContext,
  ) {}

  private get h(): BetterAuthDb {
    this.handle ??= openDatabase(this.options.database, this.ctx.cwd);
    return this.handle;
  }

  async prepare(): Promise<void> {
    const h = this.h;
    try {
      const migrations = await getMigrations(await schemaOptions(h, this.options));
      await migrations.runMigrations();
    } catch (e) {
      throw new AuthmigrateError("TARGET_SCHEMA_FAILED", `Could not create the better-auth schema in ${h.describe}: ${errorMessage(e)}`, {
        hint: "Check the database is reachable and writable; the schema is what better-auth's own migrate creates.",
        retryable: true,
        cause: e,
      });
    }
    await this.inspect();
  }

  private async inspect(): Promise<void> {
    this.hasBanned = (await tableColumns(this.h, "user")).has("banned");
    this.prepared = true;
  }

  private async ensureInspected(): Promise<void> {
    if (!this.prepared) await this.inspect();
  }

  async upsertOrgs(orgs: MigrationOrg[]): Promise<OrgOutcome[]> {
    if (!this.options.organizations) {
      return orgs.map((o) => ({ externalId: o.externalId, status: "failed", reason: "organizations_disabled" }));
    }
    const h = this.h;
    return this.perItem(orgs, async (trx, org): Promise<OrgOutcome> => {
      const existing = await trx.selectFrom("organization").select("id").where("slug", "=", org.slug).executeTakeFirst();
      if (existing) return { externalId: org.externalId, status: "skipped", targetId: existing.id, reason: "exists_by_slug" };
      const id = newId(this.options.idFormat);
      await trx
        .insertInto("organization")
        .values({ id, name: org.name, slug: org.slug, logo: null, metadata: JSON.stringify(orgMetadata(org)), createdAt: h.date(new Date()) })
        .execute();
      return { externalId: org.externalId, status: "created", targetId: id };
    }, (org, reason) => ({ externalId: org.externalId, status: "failed", reason }));
  }

  async writeUsers(batch: UserWrite[]): Promise<UserOutcome[]> {
    await this.ensureInspected();
    return this.perItem(
      batch,
      (trx, w) => (w.action === "update" ? this.updateUser(trx, w) : this.createUser(trx, w)),
      (w, reason, retryable) => ({ externalId: w.user.externalId, status: "failed", reason, retryable }),
    );
  }

  /**
   * One transaction for all items, one savepoint per item: a failing item is rolled back alone
   * (PostgreSQL aborts the whole transaction on an error otherwise) and reported via `fail`.
   */
  private async perItem<T, R>(
    items: T[],
    write: (trx: Trx, item: T) => Promise<R>,
    fail: (item: T, reason: string, retryable: boolean) => R,
  ): Promise<R[]> {
    if (items.length === 0) return [];
    this.ctx.signal?.throwIfAborted();
    const trx = await this.h.db.startTransaction().execute();
    const out: R[] = [];
    try {
      for (const [i, item] of items.entries()) {
        const sp = `item_${i}`;
        const spTrx: ControlledTransaction<BetterAuthTables, [string]> = await trx.savepoint(sp).execute();
        try {
          out.push(await write(spTrx, item));
          await spTrx.releaseSavepoint(sp).execute();
        } catch (e) {
          await spTrx.rollbackToSavepoint(sp).execute();
          const { reason, retryable } = failureOf(e);
          out.push(fail(item, reason, retryable));
        }
      }
      await trx.commit().execute();
    } catch (e) {
      await trx.rollback().execute().catch(() => {});
      throw new AuthmigrateError("TARGET_WRITE_FAILED", `better-auth batch write failed: ${errorMessage(e)}`, {
        retryable: true,
        cause: e,
      });
    }
    return out;
  }

  private async createUser(trx: Trx, w: UserWrite): Promise<UserOutcome> {
    const { user } = w;
    const h = this.h;
    const email = normalEmail(user.email);
    if (!email) throw new UserFailure("no_email");
    const existing = await trx.selectFrom("user").select("id").where("email", "=", email).executeTakeFirst();
    if (existing) return { externalId: user.externalId, status: "skipped", targetId: existing.id, reason: "exists_by_email" };
    const ban = this.banColumns(user);
    const password = user.credential.kind === "hash" ? passwordColumn(user) : undefined;
    const orgIds = this.resolveOrgs(w);

    const id = newId(this.options.idFormat);
    const now = new Date();
    await trx
      .insertInto("user")
      .values({
        id,
        name: displayName(user),
        email,
        emailVerified: h.bool(user.emailVerified),
        image: user.profile.picture ?? null,
        createdAt: h.date(user.createdAt ?? now),
        updatedAt: h.date(now),
        ...ban,
      })
      .execute();
    if (password !== undefined) await this.insertAccount(trx, id, CREDENTIAL, id, password);
    await this.addIdentities(trx, id, user.identities);
    await this.syncMemberships(trx, id, user, orgIds);
    return { externalId: user.externalId, status: "created", targetId: id };
  }

  private async updateUser(trx: Trx, w: UserWrite): Promise<UserOutcome> {
    const { user, targetId } = w;
    const h = this.h;
    if (!targetId) throw new UserFailure("missing_target_id");
    const row = await trx.selectFrom("user").select(["id", "email"]).where("id", "=", targetId).executeTakeFirst();
    if (!row) throw new UserFailure("not_found");
    const email = normalEmail(user.email);
    if (email && email !== row.email) {
      const owner = await trx.selectFrom("user").select("id").where("email", "=", email).executeTakeFirst();
      if (owner && owner.id !== targetId) throw new UserFailure("email_taken");
    }
    const orgIds = this.resolveOrgs(w);
    const password = user.credential.kind === "hash" ? passwordColumn(user) : undefined;
    const ban = await this.banUpdate(trx, targetId, user);

    await trx
      .updateTable("user")
      .set({
        name: displayName(user),
        ...(email ? { email } : {}),
        emailVerified: h.bool(user.emailVerified),
        image: user.profile.picture ?? null,
        updatedAt: h.date(new Date()),
        ...ban,
      })
      .where("id", "=", targetId)
      .execute();

    if (password !== undefined) {
      const account = await trx
        .selectFrom("account")
        .select(["id", "password"])
        .where("userId", "=", targetId)
        .where("providerId", "=", CREDENTIAL)
        .executeTakeFirst();
      if (!account) {
        await this.insertAccount(trx, targetId, CREDENTIAL, targetId, password);
      } else if (account.password !== password && !(account.password && isBetterAuthHash(account.password))) {
        // A native hash means the user signed in (upgrade) or set a password in the app: the app owns it now.
        await trx.updateTable("account").set({ password, updatedAt: h.date(new Date()) }).where("id", "=", account.id).execute();
      }
    }
    await this.addIdentities(trx, targetId, user.identities);
    await this.syncMemberships(trx, targetId, user, orgIds);
    return { externalId: user.externalId, status: "updated", targetId };
  }

  /** Ban columns for a new user. Disabled users need the admin plugin's `banned` column: never create them sign-in-able. */
  private banColumns(user: MigrationUser): { banned?: number | boolean; banReason?: string | null } {
    if (user.status === "disabled") {
      if (!this.hasBanned) throw new UserFailure("disabled_unsupported");
      return { banned: this.h.bool(true), banReason: DISABLED_BAN_REASON };
    }
    return {};
  }

  /** On update: ban when disabled; lift only a ban we set ourselves (an admin's ban in the app stays). */
  private async banUpdate(trx: Trx, id: string, user: MigrationUser): Promise<{ banned?: number | boolean; banReason?: string | null }> {
    if (user.status === "disabled") return this.banColumns(user);
    if (!this.hasBanned) return {};
    const row = await trx.selectFrom("user").select("banReason").where("id", "=", id).executeTakeFirst();
    return row?.banReason === DISABLED_BAN_REASON ? { banned: this.h.bool(false), banReason: null } : {};
  }

  /** orgExternalId → organization id for the user's memberships; memberships are ignored when orgs are off. */
  private resolveOrgs(w: UserWrite): Map<string, string> {
    const out = new Map<string, string>();
    if (!this.options.organizations) return out;
    for (const m of w.user.memberships) {
      const orgId = w.orgTargetIds[m.orgExternalId];
      if (!orgId) throw new UserFailure("unknown_org");
      out.set(m.orgExternalId, orgId);
    }
    return out;
  }

  private async insertAccount(trx: Trx, userId: string, providerId: string, accountId: string, password: string | null): Promise<void> {
    const now = this.h.date(new Date());
    await trx
      .insertInto("account")
      .values({ id: newId(this.options.idFormat), accountId, providerId, userId, password, createdAt: now, updatedAt: now })
      .execute();
  }

  /** Social identities become `account` rows (providerId = provider, accountId = subject); one already linked elsewhere fails the user. */
  private async addIdentities(trx: Trx, userId: string, identities: Identity[]): Promise<void> {
    for (const identity of identities) {
      const linked = await trx
        .selectFrom("account")
        .select("userId")
        .where("providerId", "=", identity.provider)
        .where("accountId", "=", identity.providerUserId)
        .executeTakeFirst();
      if (linked?.userId === userId) continue;
      if (linked) throw new UserFailure("identity_in_use");
      await this.insertAccount(trx, userId, identity.provider, identity.providerUserId, null);
    }
  }

  /** Adds missing memberships and updates roles of existing ones; memberships made in the app are left alone. */
  private async syncMemberships(trx: Trx, userId: string, user: MigrationUser, orgIds: Map<string, string>): Promise<void> {
    for (const m of user.memberships) {
      const organizationId = orgIds.get(m.orgExternalId);
      if (!organizationId) continue;
      // better-auth stores several roles as one comma-separated string; its default role is "member".
      const role = m.roles.length > 0 ? m.roles.join(",") : "member";
      const existing = await trx
        .selectFrom("member")
        .select(["id", "role"])
        .where("userId", "=", userId)
        .where("organizationId", "=", organizationId)
        .executeTakeFirst();
      if (!existing) {
        await trx
          .insertInto("member")
          .values({ id: newId(this.options.idFormat), organizationId, userId, role, createdAt: this.h.date(new Date()) })
          .execute();
      } else if (existing.role !== role) {
        await trx.updateTable("member").set({ role }).where("id", "=", existing.id).execute();
      }
    }
  }

  async getUser(targetId: string): Promise<TargetUserView | undefined> {
    await this.ensureInspected();
    const db = this.h.db;
    const row = await db.selectFrom("user").selectAll().where("id", "=", targetId).executeTakeFirst();
    if (!row) return undefined;
    const members = this.options.organizations
      ? await db.selectFrom("member").select(["organizationId", "role"]).where("userId", "=", targetId).execute()
      : [];
    const credential = await db
      .selectFrom("account")
      .select("password")
      .where("userId", "=", targetId)
      .where("providerId", "=", CREDENTIAL)
      .executeTakeFirst();
    const memberships: Record<string, string[]> = {};
    for (const m of members) memberships[m.organizationId] = m.role.split(",").map((r) => r.trim()).filter(Boolean);
    return {
      targetId: row.id,
      email: row.email,
      name: row.name,
      disabled: this.hasBanned ? Boolean(row.banned) : false,
      memberships,
      hasPassword: Boolean(credential?.password),
    };
  }

  async countUsers(): Promise<number> {
    const r = await this.h.db.selectFrom("user").select((eb) => eb.fn.countAll<number | string | bigint>().as("n")).executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async deleteUsers(targetIds: string[]): Promise<DeleteOutcome[]> {
    return this.perItem(
      targetIds,
      async (trx, targetId): Promise<DeleteOutcome> => {
        // Explicit deletes so rollback works even where foreign keys do not cascade.
        if (this.options.organizations) {
          await trx.deleteFrom("member").where("userId", "=", targetId).execute();
          await trx.deleteFrom("invitation").where("inviterId", "=", targetId).execute();
        }
        await trx.deleteFrom("session").where("userId", "=", targetId).execute();
        await trx.deleteFrom("account").where("userId", "=", targetId).execute();
        const r = await trx.deleteFrom("user").where("id", "=", targetId).executeTakeFirst();
        // Already gone is success: rollback must be re-runnable.
        return Number(r.numDeletedRows) > 0 ? { targetId, ok: true } : { targetId, ok: true, reason: "not_found" };
      },
      (targetId, reason): DeleteOutcome => ({ targetId, ok: false, reason }),
    );
  }

  async close(): Promise<void> {
    const h = this.handle;
    this.handle = undefined;
    this.prepared = false;
    await h?.close();
  }
}

function normalEmail(email: string | undefined): string | undefined {
  const e = email?.trim().toLowerCase();
  return e ? e : undefined;
}

/** better-auth requires a name: display name, else "given family", else username, else "". */
function displayName(user: MigrationUser): string {
  const p = user.profile;
  const full = [p.givenName, p.familyName].filter((x) => x && x.trim()).join(" ").trim();
  return p.displayName?.trim() || full || user.username || "";
}

function passwordColumn(user: MigrationUser): string {
  if (user.credential.kind !== "hash") throw new Error("unreachable");
  return toPasswordColumn(user.credential);
}

function orgMetadata(org: MigrationOrg): Record<string, unknown> {
  return {
    ...org.metadata,
    ...(org.domain ? { domain: org.domain } : {}),
    ...(org.type ? { type: org.type } : {}),
    ...(org.plan ? { plan: org.plan } : {}),
    externalId: org.externalId,
  };
}

/** Machine-readable reason for a per-item failure; DB error text is not a reason (it may quote values). */
function failureOf(e: unknown): { reason: string; retryable: boolean } {
  if (e instanceof UserFailure) return { reason: e.reason, retryable: e.retryable };
  if (isAuthmigrateError(e)) return { reason: e.code.toLowerCase(), retryable: e.retryable };
  const code = (e as { code?: unknown })?.code;
  // PostgreSQL class 23 / SQLite SQLITE_CONSTRAINT_*: a unique/foreign-key clash, e.g. a concurrent writer.
  if (typeof code === "string" && (code.startsWith("23") || code.startsWith("SQLITE_CONSTRAINT"))) {
    return { reason: "constraint_violation", retryable: true };
  }
  return { reason: "db_error", retryable: true };
}
