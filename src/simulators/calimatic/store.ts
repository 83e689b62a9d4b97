import { randomBytes, randomUUID } from "node:crypto";
import { bcryptOf, parsePasswordHash, verifyStored, type StoredPassword } from "./passwords.js";

/**
 * In-memory state of the Calimatic simulator, and the business rules of seed 000's endpoints as
 * plain functions (routes.ts only does HTTP). Tests read and seed it directly.
 */

export type UserSource = "provisioning" | "keycloak_sync" | "self_registration";
export type UserStatus = "active" | "pending_verification" | "disabled";

export interface SimOrg {
  id: string;
  name: string;
  slug: string;
  domain: string | null;
  type: string | null;
  plan: string | null;
  createdAt: string;
}

export interface SimUser {
  id: string;
  /** Lower-cased, trimmed. */
  email: string;
  firstName: string;
  lastName: string;
  organizationId: string | null;
  role: string;
  externalId: string | null;
  metadata: Record<string, unknown>;
  /** Application keys this user holds a license for (`defaultApplications`). */
  applications: string[];
  password: StoredPassword | null;
  /** Set by `temporaryPassword`: the next sign-in must change it. */
  mustChangePassword: boolean;
  status: UserStatus;
  source: UserSource;
  emailVerified: boolean;
  createdAt: string;
  updatedAt: string;
  lastLoginAt: string | null;
}

export interface OutboxMail {
  kind: "password_reset" | "invite";
  to: string;
  userId: string;
  token: string;
  at: string;
}

export interface SimSession {
  token: string;
  userId: string;
  createdAt: string;
}

export interface ImportItemError {
  email: string;
  error: string;
  index: number;
}

export type ImportStatus = "user_created" | "user_updated" | "skipped";

export interface ImportResult {
  total: number;
  created: number;
  updated: number;
  skipped: number;
  failed: number;
  message: string;
  errors: ImportItemError[];
  users: { email: string; userId: string; status: ImportStatus }[];
}

export interface ImportRequest {
  users: unknown[];
  defaultApplications?: unknown;
  sendInviteEmails?: unknown;
  skipExisting?: unknown;
  defaultOrganizationId?: unknown;
}

/** A request-level problem: the route answers `status` with `{success:false, error:{code, message}}`. */
export class SimError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409,
    readonly code: string,
    message: string,
    readonly data?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export const MAX_IMPORT_USERS = 500;
export const MAX_NAME_LENGTH = 100;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

export interface StoreOptions {
  /** bcrypt cost used when the simulator hashes (temporary passwords, PBKDF2 upgrade). Default 10. */
  bcryptCost?: number;
  now?: () => Date;
  /**
   * Keep a copy of every import request body in `imports` (tests assert on what the target sent).
   * Off by default: a rehearsal of a million users (`authmigrate simulate calimatic`) would keep
   * every body it ever received.
   */
  recordImports?: boolean;
}

export class CalimaticStore {
  readonly orgs = new Map<string, SimOrg>();
  readonly users = new Map<string, SimUser>();
  readonly sessions = new Map<string, SimSession>();
  /** Emails the platform "sent" (reset-password, invites). */
  readonly outbox: OutboxMail[] = [];
  /** Every import request body as received, with `recordImports` (tests assert on what the target sent). */
  readonly imports: ImportRequest[] = [];
  private readonly recordImports: boolean;
  private readonly bcryptCost: number;
  private readonly now: () => Date;

  constructor(opts: StoreOptions = {}) {
    this.bcryptCost = opts.bcryptCost ?? 10;
    this.recordImports = opts.recordImports ?? false;
    this.now = opts.now ?? (() => new Date());
  }

  private iso(): string {
    return this.now().toISOString();
  }

  // ------------------------------------------------------------------ organizations

  createOrg(body: unknown): SimOrg {
    const b = asObject(body);
    const name = str(b.name)?.trim();
    const slug = str(b.slug)?.trim().toLowerCase();
    if (!name) throw new SimError(400, "VALIDATION_ERROR", "name is required");
    if (!slug || !SLUG.test(slug)) throw new SimError(400, "VALIDATION_ERROR", "slug must be lower-case letters, digits and dashes");
    const existing = this.findOrgBySlug(slug);
    if (existing) {
      throw new SimError(409, "ORGANIZATION_EXISTS", `An organization with slug "${slug}" already exists`, { id: existing.id, slug: existing.slug });
    }
    const org: SimOrg = { id: randomUUID(), name, slug, domain: str(b.domain) ?? null, type: str(b.type) ?? null, plan: str(b.plan) ?? null, createdAt: this.iso() };
    this.orgs.set(org.id, org);
    return org;
  }

  findOrgBySlug(slug: string): SimOrg | undefined {
    const s = slug.trim().toLowerCase();
    for (const o of this.orgs.values()) if (o.slug === s) return o;
    return undefined;
  }

  // ------------------------------------------------------------------ users

  /** email → user id; rebuilt when `users` was changed behind the store's back (tests seed it directly). */
  private emailIndex = new Map<string, string>();
  private indexedSize = -1;

  private insertUser(user: SimUser): void {
    const inSync = this.indexedSize === this.users.size;
    this.users.set(user.id, user);
    if (inSync) {
      this.emailIndex.set(user.email, user.id);
      this.indexedSize = this.users.size;
    }
  }

  findUserByEmail(email: string): SimUser | undefined {
    const e = email.trim().toLowerCase();
    if (this.indexedSize !== this.users.size) {
      this.emailIndex = new Map([...this.users.values()].map((u) => [u.email, u.id]));
      this.indexedSize = this.users.size;
    }
    const u = this.users.get(this.emailIndex.get(e) ?? "");
    return u && u.email === e ? u : undefined;
  }

  findUsersByExternalId(externalId: string): SimUser[] {
    return [...this.users.values()].filter((u) => u.externalId === externalId);
  }

  /** Seeds a user that did not come through the import (e.g. a native self-registered user). */
  async addUser(u: Partial<Omit<SimUser, "password">> & { email: string; password?: string }): Promise<SimUser> {
    const at = this.iso();
    const user: SimUser = {
      id: randomUUID(),
      firstName: "Native",
      lastName: "User",
      organizationId: null,
      role: "member",
      externalId: null,
      metadata: {},
      applications: [],
      mustChangePassword: false,
      status: "active",
      source: "self_registration",
      emailVerified: true,
      createdAt: at,
      updatedAt: at,
      lastLoginAt: null,
      ...u,
      email: u.email.trim().toLowerCase(),
      password: u.password === undefined ? null : await bcryptOf(u.password, this.bcryptCost),
    };
    this.insertUser(user);
    return user;
  }

  /**
   * `POST /users/import`. Whole-request problems throw SimError(400); per-user problems land in
   * `errors[]` by index and the rest of the batch still goes in.
   */
  async importUsers(body: unknown): Promise<ImportResult> {
    const b = asObject(body);
    if (!Array.isArray(b.users)) throw new SimError(400, "VALIDATION_ERROR", "users must be an array");
    if (b.users.length === 0) throw new SimError(400, "VALIDATION_ERROR", "users must contain at least 1 user");
    if (b.users.length > MAX_IMPORT_USERS) {
      throw new SimError(400, "VALIDATION_ERROR", `users must contain at most ${MAX_IMPORT_USERS} users per request (got ${b.users.length})`);
    }
    const apps = b.defaultApplications === undefined ? [] : b.defaultApplications;
    if (!Array.isArray(apps) || apps.some((a) => typeof a !== "string" || !a)) throw new SimError(400, "VALIDATION_ERROR", "defaultApplications must be an array of application keys");
    const defaultOrg = b.defaultOrganizationId;
    if (defaultOrg !== undefined && defaultOrg !== null && (typeof defaultOrg !== "string" || !this.orgs.has(defaultOrg))) {
      throw new SimError(400, "VALIDATION_ERROR", "defaultOrganizationId does not name an existing organization");
    }
    // Import defaults (seed: "migration-friendly defaults (sendInviteEmails: false, skipExisting: true)").
    const skipExisting = b.skipExisting === undefined ? true : b.skipExisting === true;
    const sendInvites = b.sendInviteEmails === true;
    if (this.recordImports) this.imports.push(structuredClone(b) as unknown as ImportRequest);

    const result: ImportResult = { total: b.users.length, created: 0, updated: 0, skipped: 0, failed: 0, message: "", errors: [], users: [] };
    for (const [index, raw] of b.users.entries()) {
      const item = asObject(raw);
      const email = (str(item.email) ?? "").trim().toLowerCase();
      const fail = (error: string): void => {
        result.failed++;
        result.errors.push({ email: str(item.email) ?? "", error, index });
      };
      const problem = this.validateItem(item, email);
      if (problem) {
        fail(problem);
        continue;
      }
      const password = str(item.passwordHash) !== undefined ? parsePasswordHash(str(item.passwordHash)!) : undefined;
      if (item.passwordHash !== undefined && item.passwordHash !== null && !password) {
        fail("Unsupported password hash format");
        continue;
      }
      const temp = str(item.temporaryPassword);
      const orgId = str(item.organizationId) ?? (typeof defaultOrg === "string" ? defaultOrg : null);
      const existing = this.findUserByEmail(email);
      const at = this.iso();
      if (existing && skipExisting) {
        result.skipped++;
        result.users.push({ email, userId: existing.id, status: "skipped" });
        continue;
      }
      const fields = {
        firstName: str(item.firstName)!.trim(),
        lastName: str(item.lastName)!.trim(),
        ...(orgId ? { organizationId: orgId } : {}),
        ...(str(item.role) ? { role: str(item.role)! } : {}),
        ...(str(item.externalId) ? { externalId: str(item.externalId)! } : {}),
        ...(item.status === "disabled" || item.status === "active" ? { status: item.status as UserStatus } : {}),
      };
      const pw = password ?? (temp !== undefined ? await bcryptOf(temp, this.bcryptCost) : undefined);
      if (existing) {
        Object.assign(existing, fields, {
          metadata: { ...existing.metadata, ...asObject(item.metadata) },
          applications: [...new Set([...existing.applications, ...(apps as string[])])],
          updatedAt: at,
          ...(pw ? { password: pw, mustChangePassword: temp !== undefined } : {}),
        });
        result.updated++;
        result.users.push({ email, userId: existing.id, status: "user_updated" });
        continue;
      }
      const user: SimUser = {
        id: randomUUID(),
        email,
        organizationId: null,
        role: "member",
        externalId: null,
        status: "active",
        ...fields,
        metadata: { ...asObject(item.metadata) },
        applications: [...new Set(apps as string[])],
        password: pw ?? null,
        mustChangePassword: temp !== undefined && !password,
        source: "provisioning",
        emailVerified: false,
        createdAt: at,
        updatedAt: at,
        lastLoginAt: null,
      };
      this.insertUser(user);
      if (sendInvites) this.outbox.push({ kind: "invite", to: email, userId: user.id, token: token(), at });
      result.created++;
      result.users.push({ email, userId: user.id, status: "user_created" });
    }
    result.message = `Import complete: ${result.created} created, ${result.updated} updated, ${result.skipped ? `${result.skipped} skipped, ` : ""}${result.failed} failed`;
    return result;
  }

  private validateItem(item: Record<string, unknown>, email: string): string | undefined {
    if (!EMAIL.test(email)) return "Must be a valid email address";
    for (const field of ["firstName", "lastName"] as const) {
      const v = str(item[field])?.trim();
      if (!v) return `${field} is required`;
      if (v.length > MAX_NAME_LENGTH) return `${field} must be at most ${MAX_NAME_LENGTH} characters`;
    }
    const org = item.organizationId;
    if (org !== undefined && org !== null && (typeof org !== "string" || !this.orgs.has(org))) return "Organization not found";
    if (item.role !== undefined && item.role !== null && (typeof item.role !== "string" || !item.role.trim())) return "role must be a non-empty string";
    if (item.externalId !== undefined && item.externalId !== null && typeof item.externalId !== "string") return "externalId must be a string";
    if (item.metadata !== undefined && item.metadata !== null && (typeof item.metadata !== "object" || Array.isArray(item.metadata))) return "metadata must be an object";
    if (item.passwordHash !== undefined && item.passwordHash !== null && typeof item.passwordHash !== "string") return "Unsupported password hash format";
    if (item.temporaryPassword !== undefined && item.temporaryPassword !== null) {
      if (typeof item.temporaryPassword !== "string" || item.temporaryPassword.length < 8) return "temporaryPassword must be at least 8 characters";
      if (item.passwordHash !== undefined && item.passwordHash !== null) return "Provide either passwordHash or temporaryPassword, not both";
    }
    return undefined;
  }

  deleteUser(id: string): boolean {
    const had = this.users.delete(id);
    for (const [t, s] of this.sessions) if (s.userId === id) this.sessions.delete(t);
    return had;
  }

  resetPassword(id: string): OutboxMail {
    const user = this.users.get(id);
    if (!user) throw new SimError(404, "USER_NOT_FOUND", "User not found");
    const mail: OutboxMail = { kind: "password_reset", to: user.email, userId: user.id, token: token(), at: this.iso() };
    this.outbox.push(mail);
    return mail;
  }

  /** `POST /auth/sign-in`: verifies, upgrades PBKDF2 to bcrypt, opens a session. */
  async signIn(email: unknown, password: unknown): Promise<{ session: SimSession; user: SimUser }> {
    if (typeof email !== "string" || typeof password !== "string") throw new SimError(400, "VALIDATION_ERROR", "email and password are required");
    const user = this.findUserByEmail(email);
    if (!user?.password || !(await verifyStored(password, user.password))) throw new SimError(401, "INVALID_CREDENTIALS", "Invalid email or password");
    if (user.status === "disabled") throw new SimError(403, "ACCOUNT_DISABLED", "This account is disabled");
    if (user.password.kind === "pbkdf2") user.password = await bcryptOf(password, this.bcryptCost);
    const at = this.iso();
    user.lastLoginAt = at;
    const session: SimSession = { token: token(), userId: user.id, createdAt: at };
    this.sessions.set(session.token, session);
    return { session, user };
  }

  /** The seed's migration-status shape, computed from the store. */
  migrationStatus(): Record<string, unknown> {
    const all = [...this.users.values()];
    const total = all.length;
    const pct = (n: number): number => (total === 0 ? 0 : Math.round((n / total) * 100));
    const groups = <K extends string>(key: (u: SimUser) => K, name: string) => {
      const m = new Map<K, number>();
      for (const u of all) m.set(key(u), (m.get(key(u)) ?? 0) + 1);
      return [...m].sort((a, b) => b[1] - a[1]).map(([k, count]) => ({ [name]: k, count }));
    };
    const migrated = all.filter((u) => u.source === "provisioning").length;
    const verified = all.filter((u) => u.emailVerified).length;
    const loggedIn = all.filter((u) => u.lastLoginAt !== null).length;
    const withOrg = all.filter((u) => u.organizationId !== null).length;
    return {
      totalUsers: total,
      migrationProgress: { migratedUsers: migrated, nativeUsers: total - migrated, migrationPercentage: pct(migrated) },
      bySource: groups((u) => u.source, "source"),
      byStatus: groups((u) => u.status, "status"),
      health: {
        emailVerified: verified,
        emailVerifiedPercentage: pct(verified),
        hasLoggedIn: loggedIn,
        hasLoggedInPercentage: pct(loggedIn),
        hasOrganization: withOrg,
        hasOrganizationPercentage: pct(withOrg),
      },
    };
  }

  /** The user as `resolve` (and the by-id / by-externalId extensions) return it. */
  view(user: SimUser): Record<string, unknown> {
    const org = user.organizationId ? this.orgs.get(user.organizationId) : undefined;
    return {
      id: user.id,
      email: user.email,
      firstName: user.firstName,
      lastName: user.lastName,
      externalId: user.externalId,
      status: user.status,
      source: user.source,
      emailVerified: user.emailVerified,
      organization: org ? { id: org.id, name: org.name, slug: org.slug } : null,
      role: user.role,
      licenses: user.applications.map((application) => ({ application, status: "active" })),
      metadata: user.metadata,
      hasPassword: user.password !== null,
      mustChangePassword: user.mustChangePassword,
      createdAt: user.createdAt,
      lastLoginAt: user.lastLoginAt,
    };
  }
}

function token(): string {
  return randomBytes(24).toString("base64url");
}

function asObject(v: unknown): Record<string, unknown> {
  return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}
