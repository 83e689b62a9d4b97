import { randomBytes } from "node:crypto";
import { checkPassword, hashPlain, isPasswordHashType, parseImportedHash, PASSWORD_HASH_TYPES, type PasswordHashType, type StoredPassword } from "./passwords.js";

/**
 * In-memory state of the WorkOS simulator, as plain functions over plain data: routes (./app.ts)
 * translate HTTP to these calls and `SimError`s back to WorkOS-shaped error bodies (targets.md §3.5).
 */

/** How a duplicate email is reported: 422 `user_creation_error` + `email_not_available` (AuthKit), or 409 `user_already_exists` (legacy API, workos/emulate). */
export type DuplicateEmailStyle = "422" | "409";

export interface StoreOptions {
  duplicateEmail?: DuplicateEmailStyle;
  /** Environment role slugs (WorkOS default: `member`, plus `admin`). */
  roles?: string[];
  /** Authenticate refuses users whose email is not verified (403 `email_verification_required`). */
  requireVerifiedEmail?: boolean;
  /** Organization memberships may carry several roles (`role_slugs`); else 422 `multiple_roles_not_enabled`. */
  multipleRoles?: boolean;
  /**
   * `password_hash_type`s this environment accepts (default all six). targets.md §3.3: pbkdf2 is in
   * the docs but not in workos-node's type union — narrow this to rehearse WorkOS refusing a type.
   */
  hashTypes?: PasswordHashType[];
}

export interface SimUser {
  object: "user";
  id: string;
  email: string;
  email_verified: boolean;
  first_name: string | null;
  last_name: string | null;
  name: string | null;
  profile_picture_url: string | null;
  last_sign_in_at: string | null;
  locale: string | null;
  external_id: string | null;
  metadata: Record<string, string>;
  created_at: string;
  updated_at: string;
}

export interface SimOrg {
  object: "organization";
  id: string;
  name: string;
  domains: { object: "organization_domain"; id: string; domain: string; state: "verified" | "pending" }[];
  external_id: string | null;
  metadata: Record<string, string>;
  created_at: string;
  updated_at: string;
}

export interface SimMembership {
  object: "organization_membership";
  id: string;
  user_id: string;
  organization_id: string;
  organization_name: string;
  status: "active" | "inactive" | "pending";
  role: { slug: string };
  roles: { slug: string }[];
  created_at: string;
  updated_at: string;
}

export interface OutboxEntry {
  kind: "password_reset";
  id: string;
  user_id: string;
  email: string;
  token: string;
  created_at: string;
}

export class SimError extends Error {
  constructor(
    readonly status: number,
    readonly body: { message: string; code?: string; errors?: { code: string; field?: string; message?: string }[] } & Record<string, unknown>,
  ) {
    super(body.message);
  }
}

const notFound = (what: string) => new SimError(404, { message: `${what} not found.`, code: "entity_not_found" });
const invalid = (field: string, code: string, message: string) =>
  new SimError(422, { message, code: "unprocessable_entity", errors: [{ code, field, message }] });

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
let lastTime = 0;
let seq = 0;
/** ULID-shaped ids (`user_01H…`), monotonic so that id order is creation order, as list cursors assume. */
export function newId(prefix: string): string {
  const now = Date.now();
  seq = now === lastTime ? seq + 1 : 0;
  lastTime = now;
  let time = "";
  for (let t = now, i = 0; i < 10; i++, t = Math.floor(t / 32)) time = CROCKFORD[t % 32] + time;
  let counter = "";
  for (let s = seq, i = 0; i < 6; i++, s = Math.floor(s / 32)) counter = CROCKFORD[s % 32] + counter;
  const rnd = [...randomBytes(10)].map((b) => CROCKFORD[b % 32]).join("");
  return `${prefix}_${time}${counter}${rnd}`;
}

// WorkOS-ish email check: one @, no whitespace, a dot in the domain.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

type Json = Record<string, unknown>;

function str(body: Json, key: string, max = 1000): string | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string" || v.length > max) throw invalid(key, `${key}_invalid`, `${key} must be a string.`);
  return v;
}

function bool(body: Json, key: string): boolean | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "boolean") throw invalid(key, `${key}_invalid`, `${key} must be a boolean.`);
  return v;
}

function metadataOf(v: unknown): Record<string, string> | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "object" || Array.isArray(v)) throw invalid("metadata", "metadata_invalid", "metadata must be an object.");
  const entries = Object.entries(v as Json);
  if (entries.length > 10) throw invalid("metadata", "metadata_too_many_keys", "metadata may have at most 10 keys.");
  for (const [k, val] of entries) {
    if (k.length > 40 || typeof val !== "string" || val.length > 600) throw invalid("metadata", "metadata_invalid", "metadata values must be strings of at most 600 characters.");
  }
  return Object.fromEntries(entries) as Record<string, string>;
}

export interface ListParams {
  limit?: number;
  before?: string;
  after?: string;
  order?: "asc" | "desc";
}

export interface ListPage<T> {
  object: "list";
  data: T[];
  list_metadata: { before: string | null; after: string | null };
}

/** Cursor pagination over items in creation order (cursor = an object id), like WorkOS lists. */
export function paginate<T extends { id: string }>(items: T[], p: ListParams): ListPage<T> {
  const limit = Math.min(100, Math.max(1, p.limit ?? 10));
  const ordered = (p.order ?? "desc") === "desc" ? [...items].reverse() : items;
  let start = 0;
  let end = ordered.length;
  if (p.after) {
    const i = ordered.findIndex((x) => x.id === p.after);
    start = i < 0 ? ordered.length : i + 1;
    end = Math.min(ordered.length, start + limit);
  } else if (p.before) {
    const i = ordered.findIndex((x) => x.id === p.before);
    end = i < 0 ? 0 : i;
    start = Math.max(0, end - limit);
  } else {
    end = Math.min(ordered.length, limit);
  }
  const data = ordered.slice(start, end);
  return {
    object: "list",
    data,
    list_metadata: {
      before: start > 0 && data.length ? data[0]!.id : null,
      after: end < ordered.length && data.length ? data[data.length - 1]!.id : null,
    },
  };
}

export class WorkosStore {
  readonly users = new Map<string, SimUser>();
  readonly passwords = new Map<string, StoredPassword>();
  readonly orgs = new Map<string, SimOrg>();
  readonly memberships = new Map<string, SimMembership>();
  readonly roles: Set<string>;
  readonly outbox: OutboxEntry[] = [];
  /** Count of firebase-scrypt imports per layout (targets.md §3.3 CONFLICT: both are accepted). */
  readonly firebaseLayouts = { "key-value": 0, "skill-doc": 0 };
  /** Successful and failed authenticate calls. */
  readonly signIns: { email: string; ok: boolean; at: string }[] = [];

  constructor(readonly options: StoreOptions = {}) {
    this.roles = new Set(options.roles ?? ["member", "admin"]);
  }

  // ------------------------------------------------------------------ users

  userByEmail(email: string): SimUser | undefined {
    const e = email.toLowerCase();
    for (const u of this.users.values()) if (u.email === e) return u;
    return undefined;
  }

  userByExternalId(externalId: string): SimUser | undefined {
    for (const u of this.users.values()) if (u.external_id === externalId) return u;
    return undefined;
  }

  getUser(id: string): SimUser {
    const u = this.users.get(id);
    if (!u) throw notFound("User");
    return u;
  }

  private emailOf(body: Json, required: boolean): string | undefined {
    const raw = body.email;
    if (raw === undefined || raw === null) {
      if (required) throw invalid("email", "email_required", "Email is required.");
      return undefined;
    }
    if (typeof raw !== "string" || !EMAIL.test(raw) || raw.length > 320) throw invalid("email", "email_invalid", "Email is invalid.");
    return raw.toLowerCase();
  }

  private duplicateEmail(): SimError {
    if (this.options.duplicateEmail === "409") {
      return new SimError(409, { message: "A user with this email already exists.", code: "user_already_exists" });
    }
    return new SimError(422, {
      message: "Could not create user.",
      code: "user_creation_error",
      errors: [{ code: "email_not_available", field: "email", message: "This email is not available." }],
    });
  }

  private externalIdTaken(): SimError {
    return new SimError(422, {
      message: "Could not create user.",
      code: "user_creation_error",
      errors: [{ code: "external_id_already_used", field: "external_id", message: "This external_id is already in use." }],
    });
  }

  /** `password` or `password_hash` + `password_hash_type`, validated; undefined = no password in the body. */
  private async passwordOf(body: Json): Promise<StoredPassword | undefined> {
    const plain = str(body, "password", 1000);
    const hash = str(body, "password_hash", 4096);
    const type = body.password_hash_type;
    if (plain !== undefined && hash !== undefined) throw invalid("password", "password_conflict", "Send either password or password_hash, not both.");
    if (plain !== undefined) {
      if (plain.length < 8) throw invalid("password", "password_too_short", "Password must be at least 8 characters.");
      return hashPlain(plain);
    }
    if (hash === undefined && (type === undefined || type === null)) return undefined;
    if (hash === undefined) throw invalid("password_hash", "password_hash_required", "password_hash is required with password_hash_type.");
    if (!isPasswordHashType(type) || (this.options.hashTypes && !this.options.hashTypes.includes(type))) {
      throw invalid("password_hash_type", "password_hash_type_invalid", `Invalid password hash type. Supported: ${PASSWORD_HASH_TYPES.join(", ")}.`);
    }
    const stored = parseImportedHash(type, hash);
    if (!stored) throw invalid("password_hash", "password_hash_invalid", `Invalid password hash for password_hash_type ${type}.`);
    if (stored.variant) this.firebaseLayouts[stored.variant]++;
    return stored;
  }

  async createUser(body: Json): Promise<SimUser> {
    const email = this.emailOf(body, true)!;
    const externalId = str(body, "external_id", 128);
    const first = str(body, "first_name", 200) ?? null;
    const last = str(body, "last_name", 200) ?? null;
    const name = str(body, "name", 400) ?? null;
    const verified = bool(body, "email_verified") ?? false;
    const metadata = metadataOf(body.metadata) ?? {};
    const locale = str(body, "locale", 20) ?? null;
    const password = await this.passwordOf(body);
    // Checked after the async hash: two concurrent creates for one email cannot both pass.
    if (this.userByEmail(email)) throw this.duplicateEmail();
    if (externalId !== undefined && this.userByExternalId(externalId)) throw this.externalIdTaken();
    const now = new Date().toISOString();
    const user: SimUser = {
      object: "user",
      id: newId("user"),
      email,
      email_verified: verified,
      first_name: first,
      last_name: last,
      name: name ?? ([first, last].filter(Boolean).join(" ") || null),
      profile_picture_url: null,
      last_sign_in_at: null,
      locale,
      external_id: externalId ?? null,
      metadata,
      created_at: now,
      updated_at: now,
    };
    this.users.set(user.id, user);
    if (password) this.passwords.set(user.id, password);
    return user;
  }

  async updateUser(id: string, body: Json): Promise<SimUser> {
    const user = this.getUser(id);
    const email = this.emailOf(body, false);
    const externalId = str(body, "external_id", 128);
    const password = await this.passwordOf(body);
    if (email !== undefined) {
      const owner = this.userByEmail(email);
      if (owner && owner.id !== id) throw this.duplicateEmail();
    }
    if (externalId !== undefined) {
      const owner = this.userByExternalId(externalId);
      if (owner && owner.id !== id) throw this.externalIdTaken();
    }
    const first = str(body, "first_name", 200);
    const last = str(body, "last_name", 200);
    const name = str(body, "name", 400);
    const verified = bool(body, "email_verified");
    const metadata = metadataOf(body.metadata);
    const locale = str(body, "locale", 20);
    const next: SimUser = {
      ...user,
      ...(email !== undefined ? { email } : {}),
      ...(externalId !== undefined ? { external_id: externalId } : {}),
      ...(first !== undefined ? { first_name: first } : {}),
      ...(last !== undefined ? { last_name: last } : {}),
      ...(name !== undefined ? { name } : {}),
      ...(verified !== undefined ? { email_verified: verified } : {}),
      ...(metadata !== undefined ? { metadata } : {}),
      ...(locale !== undefined ? { locale } : {}),
      updated_at: new Date().toISOString(),
    };
    if (first !== undefined || last !== undefined) next.name = name ?? ([next.first_name, next.last_name].filter(Boolean).join(" ") || null);
    this.users.set(id, next);
    if (password) this.passwords.set(id, password);
    return next;
  }

  deleteUser(id: string): void {
    this.getUser(id);
    this.users.delete(id);
    this.passwords.delete(id);
    for (const [mid, m] of this.memberships) if (m.user_id === id) this.memberships.delete(mid);
  }

  listUsers(q: ListParams & { email?: string; organization_id?: string }): ListPage<SimUser> {
    let items = [...this.users.values()];
    if (q.email !== undefined) items = items.filter((u) => u.email === q.email!.toLowerCase());
    if (q.organization_id !== undefined) {
      const ids = new Set([...this.memberships.values()].filter((m) => m.organization_id === q.organization_id).map((m) => m.user_id));
      items = items.filter((u) => ids.has(u.id));
    }
    return paginate(items, q);
  }

  hasPassword(id: string): boolean {
    return this.passwords.has(id);
  }

  // ------------------------------------------------------------------ password reset, sign-in

  sendPasswordReset(body: Json): OutboxEntry {
    const email = this.emailOf(body, true)!;
    const user = this.userByEmail(email);
    if (!user) throw notFound("User");
    const entry: OutboxEntry = {
      kind: "password_reset",
      id: newId("password_reset"),
      user_id: user.id,
      email: user.email,
      token: randomBytes(16).toString("hex"),
      created_at: new Date().toISOString(),
    };
    this.outbox.push(entry);
    return entry;
  }

  /** Applies a reset token (what the hosted reset page does). */
  async resetPassword(token: string, newPassword: string): Promise<SimUser> {
    const entry = this.outbox.find((e) => e.token === token);
    if (!entry) throw new SimError(400, { message: "Invalid password reset token.", code: "password_reset_token_invalid" });
    this.passwords.set(entry.user_id, await hashPlain(newPassword));
    return this.getUser(entry.user_id);
  }

  async authenticatePassword(email: string, password: string): Promise<SimUser> {
    const user = this.userByEmail(email);
    const stored = user ? this.passwords.get(user.id) : undefined;
    const ok = !!(user && stored && (await checkPassword(stored, password)));
    this.signIns.push({ email: email.toLowerCase(), ok, at: new Date().toISOString() });
    if (!ok || !user) throw new SimError(400, { message: "Invalid credentials.", code: "invalid_credentials" });
    if (this.options.requireVerifiedEmail && !user.email_verified) {
      throw new SimError(403, {
        message: "Email ownership must be verified before authentication.",
        code: "email_verification_required",
        email: user.email,
        pending_authentication_token: randomBytes(12).toString("hex"),
      });
    }
    const next = { ...user, last_sign_in_at: new Date().toISOString() };
    this.users.set(user.id, next);
    return next;
  }

  // ------------------------------------------------------------------ organizations

  getOrg(id: string): SimOrg {
    const o = this.orgs.get(id);
    if (!o) throw notFound("Organization");
    return o;
  }

  orgByExternalId(externalId: string): SimOrg | undefined {
    for (const o of this.orgs.values()) if (o.external_id === externalId) return o;
    return undefined;
  }

  private domainsOf(body: Json): SimOrg["domains"] | undefined {
    const out: SimOrg["domains"] = [];
    const push = (domain: unknown, state: unknown) => {
      if (typeof domain !== "string" || !/^[a-z0-9.-]+\.[a-z]{2,}$/i.test(domain)) throw invalid("domain_data", "domain_invalid", "Domain is invalid.");
      if (state !== "verified" && state !== "pending") throw invalid("domain_data", "domain_state_invalid", "Domain state must be verified or pending.");
      out.push({ object: "organization_domain", id: newId("org_domain"), domain: domain.toLowerCase(), state });
    };
    if (Array.isArray(body.domain_data)) {
      for (const d of body.domain_data as Json[]) push(d?.domain, d?.state);
    } else if (Array.isArray(body.domains)) {
      // Deprecated `domains: string[]`: added as pending.
      for (const d of body.domains) push(d, "pending");
    } else if (body.domain_data !== undefined || body.domains !== undefined) {
      throw invalid("domain_data", "domain_data_invalid", "domain_data must be an array.");
    } else return undefined;
    return out;
  }

  createOrg(body: Json): SimOrg {
    const name = str(body, "name", 200);
    if (!name) throw invalid("name", "name_required", "Name is required.");
    const externalId = str(body, "external_id", 128);
    if (externalId !== undefined && this.orgByExternalId(externalId)) {
      throw new SimError(422, {
        message: "Could not create organization.",
        code: "unprocessable_entity",
        errors: [{ code: "external_id_already_used", field: "external_id", message: "This external_id is already in use." }],
      });
    }
    const now = new Date().toISOString();
    const org: SimOrg = {
      object: "organization",
      id: newId("org"),
      name,
      domains: this.domainsOf(body) ?? [],
      external_id: externalId ?? null,
      metadata: metadataOf(body.metadata) ?? {},
      created_at: now,
      updated_at: now,
    };
    this.orgs.set(org.id, org);
    return org;
  }

  updateOrg(id: string, body: Json): SimOrg {
    const org = this.getOrg(id);
    const name = str(body, "name", 200);
    const externalId = str(body, "external_id", 128);
    if (externalId !== undefined) {
      const owner = this.orgByExternalId(externalId);
      if (owner && owner.id !== id) throw invalid("external_id", "external_id_already_used", "This external_id is already in use.");
    }
    const domains = this.domainsOf(body);
    const metadata = metadataOf(body.metadata);
    const next: SimOrg = {
      ...org,
      ...(name ? { name } : {}),
      ...(externalId !== undefined ? { external_id: externalId } : {}),
      ...(domains ? { domains } : {}),
      ...(metadata ? { metadata } : {}),
      updated_at: new Date().toISOString(),
    };
    this.orgs.set(id, next);
    for (const m of this.memberships.values()) if (m.organization_id === id) m.organization_name = next.name;
    return next;
  }

  deleteOrg(id: string): void {
    this.getOrg(id);
    this.orgs.delete(id);
    for (const [mid, m] of this.memberships) if (m.organization_id === id) this.memberships.delete(mid);
  }

  listOrgs(q: ListParams & { domains?: string[] }): ListPage<SimOrg> {
    let items = [...this.orgs.values()];
    if (q.domains?.length) items = items.filter((o) => o.domains.some((d) => q.domains!.includes(d.domain)));
    return paginate(items, q);
  }

  // ------------------------------------------------------------------ memberships

  private roleSlugs(body: Json): string[] {
    const many = body.role_slugs;
    const one = body.role_slug;
    let slugs: string[];
    if (many !== undefined && many !== null) {
      if (!Array.isArray(many) || !many.every((s) => typeof s === "string")) throw invalid("role_slugs", "role_slugs_invalid", "role_slugs must be an array of strings.");
      if (many.length > 1 && !this.options.multipleRoles) {
        throw new SimError(422, { message: "Multiple roles are not enabled for this environment.", code: "multiple_roles_not_enabled" });
      }
      slugs = many as string[];
    } else if (one !== undefined && one !== null) {
      if (typeof one !== "string") throw invalid("role_slug", "role_slug_invalid", "role_slug must be a string.");
      slugs = [one];
    } else slugs = ["member"];
    for (const s of slugs) {
      if (!this.roles.has(s)) throw new SimError(422, { message: `Role "${s}" does not exist.`, code: "role_not_found", errors: [{ code: "role_not_found", field: "role_slug" }] });
    }
    return slugs.length ? slugs : ["member"];
  }

  getMembership(id: string): SimMembership {
    const m = this.memberships.get(id);
    if (!m) throw notFound("Organization membership");
    return m;
  }

  createMembership(body: Json): SimMembership {
    const userId = str(body, "user_id", 100);
    const orgId = str(body, "organization_id", 100);
    if (!userId) throw invalid("user_id", "user_id_required", "user_id is required.");
    if (!orgId) throw invalid("organization_id", "organization_id_required", "organization_id is required.");
    this.getUser(userId);
    const org = this.getOrg(orgId);
    const slugs = this.roleSlugs(body);
    for (const m of this.memberships.values()) {
      if (m.user_id === userId && m.organization_id === orgId) {
        throw new SimError(422, { message: "The user is already a member of the organization.", code: "organization_membership_already_exists" });
      }
    }
    const now = new Date().toISOString();
    const m: SimMembership = {
      object: "organization_membership",
      id: newId("om"),
      user_id: userId,
      organization_id: orgId,
      organization_name: org.name,
      status: "active",
      role: { slug: slugs[0]! },
      roles: slugs.map((slug) => ({ slug })),
      created_at: now,
      updated_at: now,
    };
    this.memberships.set(m.id, m);
    return m;
  }

  updateMembership(id: string, body: Json): SimMembership {
    const m = this.getMembership(id);
    const slugs = this.roleSlugs(body);
    const next: SimMembership = { ...m, role: { slug: slugs[0]! }, roles: slugs.map((slug) => ({ slug })), updated_at: new Date().toISOString() };
    this.memberships.set(id, next);
    return next;
  }

  deleteMembership(id: string): void {
    this.getMembership(id);
    this.memberships.delete(id);
  }

  listMemberships(q: ListParams & { user_id?: string; organization_id?: string; statuses?: string[] }): ListPage<SimMembership> {
    if (!q.user_id && !q.organization_id) {
      throw new SimError(422, { message: "Either user_id or organization_id is required.", code: "unprocessable_entity" });
    }
    let items = [...this.memberships.values()];
    if (q.user_id) items = items.filter((m) => m.user_id === q.user_id);
    if (q.organization_id) items = items.filter((m) => m.organization_id === q.organization_id);
    if (q.statuses?.length) items = items.filter((m) => q.statuses!.includes(m.status));
    return paginate(items, q);
  }

  // ------------------------------------------------------------------ roles

  createRole(body: Json): { object: "role"; slug: string; name: string } {
    const slug = str(body, "slug", 100);
    const name = str(body, "name", 200) ?? slug;
    if (!slug || !/^[a-z0-9_-]+$/.test(slug)) throw invalid("slug", "slug_invalid", "slug is invalid.");
    if (this.roles.has(slug)) throw new SimError(422, { message: "A role with this slug already exists.", code: "role_slug_already_exists" });
    this.roles.add(slug);
    return { object: "role", slug, name: name! };
  }
}

export { checkPassword };
