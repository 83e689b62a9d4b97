import type { ControlledTransaction, Kysely } from "kysely";
import { hashPassword, verifyPassword as verifyBetterAuthPassword } from "better-auth/crypto";
import { getMigrations } from "better-auth/db/migration";
import { AuthmigrateError, errorMessage, isAuthmigrateError } from "../../errors.js";
import { verifyPassword as verifyLegacyPassword } from "../../hashes/index.js";
import { isValidEmail } from "../../mapping/normalize.js";
import type { Identity, MigrationOrg, MigrationUser } from "../../model/user.js";
import type { HashCredential } from "../../model/user.js";
import type { IdentifierOpResult, MirrorIdentifier, MirrorProfilePatch, OrgOutcome, TargetContext, TargetInstance, TargetUserRecord, TargetUserView, UserOutcome, UserWrite } from "../types.js";
import * as mirror from "./mirror.js";
import {
  newId,
  openDatabase,
  schemaOptions,
  tableColumns,
  type AccountRow,
  type BetterAuthDb,
  type BetterAuthTables,
  type IdFormat,
  type MemberRow,
  type UserRow,
} from "./db.js";
import { engineKnows, isBetterAuthHash, toPasswordColumn } from "./password.js";
import { betterAuthRecord, displayName, listBetterAuthUsers, roleOf } from "./records.js";
import { totpSecret, TwoFactorSecretError, twoFactorRow, type TwoFactorRow } from "./two-factor.js";

export interface BetterAuthTargetOptions {
  database: string;
  organizations: boolean;
  admin: boolean;
  idFormat: IdFormat;
  twoFactor?: { secret: string } | undefined;
}

/** `banReason` we set for users disabled in the legacy system; only bans carrying it are lifted on update. */
export const DISABLED_BAN_REASON = "authmigrate: disabled in the legacy system";
/** `banReason` of users banned by `rollback --mode disable` (a later run's update never lifts it). */
export const ROLLBACK_BAN_REASON = "authmigrate: rolled back";

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
  /** The admin plugin's `role` column (global roles, comma-separated). */
  private hasRole = false;
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
    const columns = await tableColumns(this.h, "user");
    this.hasBanned = columns.has("banned");
    this.hasRole = columns.has("role");
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

  /**
   * One transaction per batch. Creates are checked against the database in two queries, then
   * inserted in bulk; if the bulk insert hits a constraint (e.g. a concurrent writer), every create
   * is redone one by one under its own savepoint so only the offending users fail. Updates always
   * go one by one.
   */
  async writeUsers(batch: UserWrite[]): Promise<UserOutcome[]> {
    await this.ensureInspected();
    if (batch.length === 0) return [];
    const failed = (w: UserWrite, e: unknown): UserOutcome => ({ externalId: w.user.externalId, status: "failed", ...failureOf(e) });
    return this.transaction(async (trx) => {
      const out = new Array<UserOutcome>(batch.length);
      const creates = batch.flatMap((w, i) => (w.action === "update" ? [] : [i]));
      const known = await this.lookup(trx, creates.map((i) => batch[i]!.user));
      const planned: { i: number; plan: CreatePlan }[] = [];
      for (const i of creates) {
        const w = batch[i]!;
        try {
          const plan = await this.planCreate(w, known);
          if (plan.rows) planned.push({ i, plan });
          else out[i] = plan.outcome;
        } catch (e) {
          out[i] = failed(w, e);
        }
      }
      const bulk = planned.length === 0 || await this.savepointed(trx, "bulk", async () => {
        await this.insertPlans(trx, planned.map((p) => p.plan));
        return true;
      }, () => false);
      if (bulk) {
        for (const p of planned) out[p.i] = p.plan.outcome;
      } else {
        for (const i of creates) {
          const w = batch[i]!;
          out[i] = await this.savepointed(trx, `create_${i}`, async () => {
            const plan = await this.planCreate(w, await this.lookup(trx, [w.user]));
            if (plan.rows) await this.insertPlans(trx, [plan]);
            return plan.outcome;
          }, (e) => failed(w, e));
        }
      }
      for (const [i, w] of batch.entries()) {
        if (w.action !== "update") continue;
        this.ctx.signal?.throwIfAborted();
        out[i] = await this.savepointed(trx, `update_${i}`, () => this.updateUser(trx, w), (e) => failed(w, e));
      }
      return out;
    });
  }

  /** Runs `fn` in one transaction: committed when it returns, rolled back (and reported retryable) when it throws. */
  private async transaction<R>(fn: (trx: Trx) => Promise<R>): Promise<R> {
    this.ctx.signal?.throwIfAborted();
    const trx = await this.h.db.startTransaction().execute();
    try {
      const r = await fn(trx);
      await trx.commit().execute();
      return r;
    } catch (e) {
      await trx.rollback().execute().catch(() => {});
      if (isAuthmigrateError(e) || (e instanceof Error && e.name === "AbortError")) throw e;
      throw new AuthmigrateError("TARGET_WRITE_FAILED", `better-auth batch write failed: ${errorMessage(e)}`, { retryable: true, cause: e });
    }
  }

  /**
   * `write` under a savepoint: when it throws, only its changes are rolled back (PostgreSQL would
   * abort the whole transaction otherwise) and `fail` turns the error into a result.
   */
  private async savepointed<R>(trx: Trx, name: string, write: () => Promise<R>, fail: (e: unknown) => R): Promise<R> {
    const sp = await (trx as ControlledTransaction<BetterAuthTables>).savepoint(name).execute();
    try {
      const r = await write();
      await sp.releaseSavepoint(name).execute();
      return r;
    } catch (e) {
      await sp.rollbackToSavepoint(name).execute();
      return fail(e);
    }
  }

  /** One transaction, one savepoint per item. */
  private async perItem<T, R>(items: T[], write: (trx: Trx, item: T) => Promise<R>, fail: (item: T, reason: string, retryable: boolean) => R): Promise<R[]> {
    if (items.length === 0) return [];
    return this.transaction(async (trx) => {
      const out: R[] = [];
      for (const [i, item] of items.entries()) {
        out.push(await this.savepointed(trx, `item_${i}`, () => write(trx, item), (e) => {
          const { reason, retryable } = failureOf(e);
          return fail(item, reason, retryable);
        }));
      }
      return out;
    });
  }

  /** Who already holds the emails and social identities of `users` (two queries per chunk). */
  private async lookup(trx: Trx, users: MigrationUser[]): Promise<Known> {
    const known: Known = { emails: new Map(), identities: new Map() };
    const emails = [...new Set(users.map((u) => normalEmail(u.email)).filter((e): e is string => !!e))];
    for (const part of chunks(emails, 500)) {
      const rows = await trx.selectFrom("user").select(["id", "email"]).where("email", "in", part).execute();
      for (const r of rows) known.emails.set(r.email, r.id);
    }
    const subjects = [...new Set(users.flatMap((u) => u.identities.map((i) => i.providerUserId)))];
    for (const part of chunks(subjects, 500)) {
      const rows = await trx.selectFrom("account").select(["providerId", "accountId", "userId"]).where("accountId", "in", part).execute();
      for (const r of rows) known.identities.set(identityKey(r.providerId, r.accountId), r.userId);
    }
    return known;
  }

  /**
   * Decides a create without touching the database: skip (email taken), throw a UserFailure, or the
   * rows to insert. Records what it plans in `known`, so a batch cannot create the same email twice.
   */
  private async planCreate(w: UserWrite, known: Known): Promise<CreatePlan> {
    const { user } = w;
    const h = this.h;
    const email = normalEmail(user.email);
    if (!email) throw new UserFailure("no_email");
    // better-auth's own API refuses such an address: an account created with it could never sign in.
    if (!isValidEmail(email)) throw new UserFailure("invalid_email");
    const existing = known.emails.get(email);
    if (existing) return { outcome: { externalId: user.externalId, status: "skipped", targetId: existing, reason: "exists_by_email" } };
    const ban = this.banColumns(user);
    const totp = this.totpOf(user);
    const password = await passwordFor(w);
    const orgIds = this.resolveOrgs(w);
    for (const identity of user.identities) {
      if (known.identities.has(identityKey(identity.provider, identity.providerUserId))) throw new UserFailure("identity_in_use");
    }

    const id = newId(this.options.idFormat);
    const now = new Date();
    const account = (providerId: string, accountId: string, pw: string | null): AccountRow => ({
      id: newId(this.options.idFormat),
      accountId,
      providerId,
      userId: id,
      password: pw,
      createdAt: h.date(now),
      updatedAt: h.date(now),
    });
    const accounts: AccountRow[] = [];
    if (password !== undefined) accounts.push(account(CREDENTIAL, id, password));
    for (const identity of user.identities) {
      const key = identityKey(identity.provider, identity.providerUserId);
      if (known.identities.has(key)) continue; // the same identity listed twice
      known.identities.set(key, id);
      accounts.push(account(identity.provider, identity.providerUserId, null));
    }
    const members: MemberRow[] = [];
    for (const m of user.memberships) {
      const organizationId = orgIds.get(m.orgExternalId);
      if (!organizationId || members.some((x) => x.organizationId === organizationId)) continue;
      members.push({ id: newId(this.options.idFormat), organizationId, userId: id, role: roleOf(m.roles), createdAt: h.date(now) });
    }
    known.emails.set(email, id);
    return {
      outcome: { externalId: user.externalId, status: "created", targetId: id },
      rows: {
        user: {
          id,
          name: displayName(user),
          email,
          emailVerified: h.bool(user.emailVerified),
          image: user.profile.picture ?? null,
          createdAt: h.date(user.createdAt ?? now),
          updatedAt: h.date(now),
          ...ban,
          ...(this.hasRole ? { role: globalRoles(user) ?? null } : {}),
          // Same keys on every row of a multi-row insert: the column is there whenever twoFactor is.
          ...(this.options.twoFactor ? { twoFactorEnabled: h.bool(totp !== undefined) } : {}),
        },
        accounts,
        members,
        ...(totp ? { twoFactor: await twoFactorRow(this.options.twoFactor!.secret, newId(this.options.idFormat), id, totp, h.bool) } : {}),
      },
    };
  }

  /** The user's TOTP secret when this target imports them (`twoFactor`); a secret that is not base32 fails the user. */
  private totpOf(user: MigrationUser): string | undefined {
    if (!this.options.twoFactor) return undefined;
    try {
      return totpSecret(user);
    } catch (e) {
      if (e instanceof TwoFactorSecretError) throw new UserFailure(e.reason);
      throw e;
    }
  }

  /** Update: a TOTP secret is added when the user has none in the app; one the user enrolled there is kept. */
  private async syncTwoFactor(trx: Trx, userId: string, user: MigrationUser): Promise<void> {
    const totp = this.totpOf(user);
    if (!totp) return;
    const has = await trx.selectFrom("twoFactor").select("id").where("userId", "=", userId).executeTakeFirst();
    if (has) return;
    await trx.insertInto("twoFactor").values(await twoFactorRow(this.options.twoFactor!.secret, newId(this.options.idFormat), userId, totp, this.h.bool)).execute();
    await trx.updateTable("user").set({ twoFactorEnabled: this.h.bool(true) }).where("id", "=", userId).execute();
  }

  /** Multi-row inserts, users before the rows that reference them. */
  private async insertPlans(trx: Trx, plans: CreatePlan[]): Promise<void> {
    const rows = plans.flatMap((p) => (p.rows ? [p.rows] : []));
    for (const part of chunks(rows.map((r) => r.user), 100)) await trx.insertInto("user").values(part).execute();
    for (const part of chunks(rows.flatMap((r) => r.accounts), 100)) await trx.insertInto("account").values(part).execute();
    for (const part of chunks(rows.flatMap((r) => r.members), 100)) await trx.insertInto("member").values(part).execute();
    for (const part of chunks(rows.flatMap((r) => (r.twoFactor ? [r.twoFactor] : [])), 100)) await trx.insertInto("twoFactor").values(part).execute();
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
    const password = await passwordFor(w);
    const ban = await this.banUpdate(trx, targetId, user);
    const roles = this.hasRole ? globalRoles(user) : undefined;

    await trx
      .updateTable("user")
      .set({
        name: displayName(user),
        ...(email ? { email } : {}),
        emailVerified: h.bool(user.emailVerified),
        image: user.profile.picture ?? null,
        updatedAt: h.date(new Date()),
        ...ban,
        ...(roles ? { role: roles } : {}),
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
    await this.syncTwoFactor(trx, targetId, user);
    return { externalId: user.externalId, status: "updated", targetId };
  }

  /**
   * Ban columns for a user (the same keys for every row of a multi-row insert). Disabled users need
   * the admin plugin's `banned` column: they are never created able to sign in.
   */
  private banColumns(user: MigrationUser): BanColumns {
    const disabled = user.status === "disabled";
    if (disabled && !this.hasBanned) throw new UserFailure("disabled_unsupported");
    if (!this.hasBanned) return {};
    return { banned: this.h.bool(disabled), banReason: disabled ? DISABLED_BAN_REASON : null };
  }

  /** On update: ban when disabled; lift only a ban we set ourselves. A ban set in the app keeps its reason and stays. */
  private async banUpdate(trx: Trx, id: string, user: MigrationUser): Promise<BanColumns> {
    const disabled = user.status === "disabled";
    if (!this.hasBanned) return this.banColumns(user);
    const row = await trx.selectFrom("user").select(["banned", "banReason"]).where("id", "=", id).executeTakeFirst();
    if (row?.banned) return !disabled && row.banReason === DISABLED_BAN_REASON ? { banned: this.h.bool(false), banReason: null } : {};
    return disabled ? this.banColumns(user) : {};
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
      const role = roleOf(m.roles);
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

  /** Existing users by email (better-auth has no external-id column; the ledger keeps that link). */
  async lookupUsers(users: MigrationUser[]): Promise<Map<string, { targetId: string; matchedBy: "externalId" | "email" }>> {
    // A dry run against a database better-auth has not been set up in yet: nobody exists there.
    if (!this.prepared && (await tableColumns(this.h, "user")).size === 0) return new Map();
    const { emails } = await this.lookup(this.h.db, users);
    const out = new Map<string, { targetId: string; matchedBy: "externalId" | "email" }>();
    for (const u of users) {
      const targetId = emails.get(normalEmail(u.email) ?? "");
      if (targetId) out.set(u.externalId, { targetId, matchedBy: "email" });
    }
    return out;
  }

  /**
   * Would this email + password sign in to an app using the legacyPasswords() plugin? Same checks,
   * no session and no hash upgrade: better-auth's scrypt for native hashes, the hash engine for
   * legacy ones; a banned user or an unknown/malformed hash is false.
   */
  async signIn(email: string, password: string): Promise<boolean> {
    await this.ensureInspected();
    const e = normalEmail(email);
    if (!e) return false;
    const user = await this.h.db.selectFrom("user").selectAll().where("email", "=", e).executeTakeFirst();
    if (!user || (this.hasBanned && user.banned)) return false;
    const account = await this.h.db
      .selectFrom("account")
      .select("password")
      .where("userId", "=", user.id)
      .where("providerId", "=", CREDENTIAL)
      .where("accountId", "=", user.id)
      .executeTakeFirst();
    const hash = account?.password;
    if (!hash) return false;
    try {
      if (isBetterAuthHash(hash)) return await verifyBetterAuthPassword({ hash, password });
      return engineKnows(hash) && (await verifyLegacyPassword(password, { format: "auto", value: hash }));
    } catch {
      return false;
    }
  }

  async *listUsers(): AsyncGenerator<TargetUserRecord> {
    await this.ensureInspected();
    yield* listBetterAuthUsers(this.h, { organizations: this.options.organizations, hasBanned: this.hasBanned });
  }

  /** Before listUsers()/prepare() the admin columns are unknown: disabled is then left out of the comparison. */
  toTargetRecord(user: MigrationUser, orgTargetIds: Record<string, string>): Omit<TargetUserRecord, "targetId"> {
    return betterAuthRecord(user, orgTargetIds, { organizations: this.options.organizations, hasBanned: this.prepared && this.hasBanned });
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
        if (this.options.twoFactor) await trx.deleteFrom("twoFactor").where("userId", "=", targetId).execute();
        const r = await trx.deleteFrom("user").where("id", "=", targetId).executeTakeFirst();
        // Already gone is success: rollback must be re-runnable.
        return Number(r.numDeletedRows) > 0 ? { targetId, ok: true } : { targetId, ok: true, reason: "not_found" };
      },
      (targetId, reason): DeleteOutcome => ({ targetId, ok: false, reason }),
    );
  }

  /** Rollback by ban (admin plugin columns): sessions are revoked so nobody stays signed in. */
  async disableUsers(targetIds: string[]): Promise<DeleteOutcome[]> {
    await this.ensureInspected();
    if (!this.hasBanned) {
      return targetIds.map((targetId) => ({ targetId, ok: false, reason: "disable_unsupported: the user table has no `banned` column (set target.admin: true, or use the admin plugin)" }));
    }
    return this.perItem(
      targetIds,
      async (trx, targetId): Promise<DeleteOutcome> => {
        const r = await trx.updateTable("user").set({ banned: this.h.bool(true), banReason: ROLLBACK_BAN_REASON }).where("id", "=", targetId).executeTakeFirst();
        await trx.deleteFrom("session").where("userId", "=", targetId).execute();
        return Number(r.numUpdatedRows) > 0 ? { targetId, ok: true } : { targetId, ok: true, reason: "not_found" };
      },
      (targetId, reason): DeleteOutcome => ({ targetId, ok: false, reason }),
    );
  }

  // ------------------------------------------------------------------ mirror (authmigrate/mirror, ./mirror.ts)

  async getIdentifiers(targetId: string): Promise<MirrorIdentifier[] | undefined> {
    return mirror.getIdentifiers(this.h, targetId);
  }

  async updateProfile(targetId: string, patch: MirrorProfilePatch): Promise<void> {
    await mirror.updateProfile(this.h, targetId, patch);
  }

  async addIdentifier(targetId: string, identifier: MirrorIdentifier): Promise<IdentifierOpResult> {
    return mirror.addIdentifier(this.h, this.options.idFormat, targetId, identifier);
  }

  async removeIdentifier(targetId: string, identifier: MirrorIdentifier): Promise<IdentifierOpResult> {
    return mirror.removeIdentifier(this.h, targetId, identifier);
  }

  async setPassword(targetId: string, credential: HashCredential): Promise<void> {
    await mirror.setPassword(this.h, this.options.idFormat, targetId, credential);
  }

  async close(): Promise<void> {
    const h = this.handle;
    this.handle = undefined;
    this.prepared = false;
    await h?.close();
  }
}

interface Known {
  /** email → user id */
  emails: Map<string, string>;
  /** identityKey → user id */
  identities: Map<string, string>;
}

/** A create decided in memory: `rows` to insert, or none when the outcome is a skip. */
interface CreatePlan {
  outcome: UserOutcome;
  rows?: { user: UserRow; accounts: AccountRow[]; members: MemberRow[]; twoFactor?: TwoFactorRow };
}

type BanColumns = { banned?: number | boolean; banReason?: string | null };

const identityKey = (providerId: string, accountId: string): string => `${providerId}\u0000${accountId}`;

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * What goes into `account.password` for this write, or undefined for no credential account:
 * the legacy hash (strategies native / re-encode / lazy, or none chosen), a better-auth hash of
 * the generated temporary password, nothing for reset / sso.
 */
async function passwordFor(w: UserWrite): Promise<string | undefined> {
  const { credential } = w.user;
  switch (w.strategy) {
    case "temporary":
      if (!w.temporaryPassword) throw new UserFailure("missing_temporary_password");
      return hashPassword(w.temporaryPassword);
    case "reset":
    case "sso":
      return undefined;
    default:
      return credential.kind === "hash" ? toPasswordColumn(credential) : undefined;
  }
}

function normalEmail(email: string | undefined): string | undefined {
  const e = email?.trim().toLowerCase();
  return e ? e : undefined;
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

/**
 * The user's global roles for the admin plugin's `role` column (comma-separated, as the plugin
 * stores several): `metadata.roles` / `metadata.role`, where presets and `mapping.roles` put them
 * (already mapped to your app's role names). Org roles go to `member.role` instead.
 */
function globalRoles(user: MigrationUser): string | undefined {
  const m = user.metadata;
  const list = Array.isArray(m.roles) ? m.roles.filter((r): r is string => typeof r === "string" && r.length > 0) : typeof m.role === "string" && m.role ? [m.role] : [];
  return list.length ? [...new Set(list)].join(",") : undefined;
}
