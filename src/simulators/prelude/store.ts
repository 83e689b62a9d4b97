import { randomBytes } from "node:crypto";

/**
 * In-memory state of the Prelude Session/Auth simulator (targets.md §4, seed 003): users with an
 * `external_id`, a profile and typed identifiers, unique across the app. Route handlers in ./app.ts
 * call these methods; tests read and seed the maps directly or through `lazyMigrate()`.
 *
 * ASSUMED (not public): error wire format `{code, message}` (targets.md §4.3), the statuses in
 * `ErrorStatuses`, the OAuth identifier shape `{type: "oauth", value: "provider:provider_user_id"}`
 * (lazy-migration-contracts.md §5.2), the list-users query/pagination, the delete-user verb.
 */

export type IdentifierType = "email_address" | "phone_number" | "oauth";

export interface SimIdentifier {
  type: IdentifierType;
  value: string;
}

export interface SimProfile {
  first_name?: string;
  last_name?: string;
  picture?: string;
  locale?: string;
  [k: string]: unknown;
}

export interface SimUser {
  id: string;
  status: "active";
  external_id: string | null;
  profile: SimProfile;
  identifiers: SimIdentifier[];
  scopes: string[];
  created_at: string;
  updated_at: string;
  /** How the user came to be (not part of Prelude's API; for tests). */
  source: "api" | "migration" | "signup";
}

/** Error names of seed 003 plus the simulator's own validation names. */
export type SimErrorName =
  | "NotFound"
  | "AlreadyExists"
  | "IdentifierAlreadyExists"
  | "ExternalIDAlreadyExists"
  | "InvalidIdentifier"
  | "InvalidRequest"
  | "Unauthenticated";

/** HTTP status per error kind. The real statuses are not public: configurable (targets.md §4.3 suggests 404/409). */
export interface ErrorStatuses {
  notFound: number;
  conflict: number;
  invalid: number;
}

export const DEFAULT_ERROR_STATUSES: ErrorStatuses = { notFound: 404, conflict: 409, invalid: 400 };

export class SimError extends Error {
  constructor(
    readonly kind: keyof ErrorStatuses | "unauthenticated",
    readonly code: SimErrorName,
    message: string,
  ) {
    super(message);
  }
}

export const MAX_EXTERNAL_ID = 128;
export const MAX_BATCH_LOOKUP = 100;
export const MAX_LIST_LIMIT = 100;
/** OAuth providers the simulated app has configured (an unknown provider is rejected, seed 003 / §4.2). */
export const DEFAULT_OAUTH_PROVIDERS = ["google", "github", "microsoft", "apple", "facebook", "linkedin", "gitlab", "discord", "slack", "twitter"];

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const E164 = /^\+[1-9]\d{1,14}$/;

export interface PreludeStoreOptions {
  oauthProviders?: readonly string[];
  now?: () => Date;
}

export interface CreateUserBody {
  external_id?: unknown;
  profile?: unknown;
  identifiers?: unknown;
}

export class PreludeStore {
  readonly users = new Map<string, SimUser>();
  /** Every create-user body as received (tests assert on what the target sent). */
  readonly creates: CreateUserBody[] = [];
  /**
   * Test hook run at the start of every create-user request, before any check: lets a test make
   * "lazy migration" provision the same user between the target's lookup and its create.
   */
  beforeCreate: ((body: CreateUserBody) => void) | undefined;
  readonly oauthProviders: Set<string>;
  private readonly now: () => Date;
  private seq = 0;

  constructor(opts: PreludeStoreOptions = {}) {
    this.oauthProviders = new Set(opts.oauthProviders ?? DEFAULT_OAUTH_PROVIDERS);
    this.now = opts.now ?? (() => new Date());
  }

  clear(): void {
    this.users.clear();
    this.creates.length = 0;
    this.beforeCreate = undefined;
  }

  private newId(): string {
    // ULID-like: time part + counter + random, so ids sort by creation.
    this.seq++;
    return `usr_${Date.now().toString(36).padStart(10, "0")}${this.seq.toString(36).padStart(4, "0")}${randomBytes(5).toString("hex")}`;
  }

  // ------------------------------------------------------------------ validation

  /** A valid identifier, normalised (emails lower-cased, OAuth provider lower-cased); throws InvalidIdentifier. */
  parseIdentifier(raw: unknown): SimIdentifier {
    const o = obj(raw);
    const type = o.type;
    const value = typeof o.value === "string" ? o.value.trim() : "";
    if (!value) throw new SimError("invalid", "InvalidIdentifier", "identifier value is required");
    if (type === "email_address") {
      if (!EMAIL.test(value)) throw new SimError("invalid", "InvalidIdentifier", "invalid email address");
      return { type, value: value.toLowerCase() };
    }
    if (type === "phone_number") {
      if (!E164.test(value)) throw new SimError("invalid", "InvalidIdentifier", "phone number must be E.164");
      return { type, value };
    }
    if (type === "oauth") {
      const i = value.indexOf(":");
      const provider = i > 0 ? value.slice(0, i).toLowerCase() : "";
      const subject = i > 0 ? value.slice(i + 1) : "";
      if (!provider || !subject) throw new SimError("invalid", "InvalidIdentifier", "oauth identifier must be provider:provider_user_id");
      if (!this.oauthProviders.has(provider)) throw new SimError("invalid", "InvalidIdentifier", `unknown oauth provider "${provider}"`);
      return { type, value: `${provider}:${subject}` };
    }
    throw new SimError("invalid", "InvalidIdentifier", `unsupported identifier type "${String(type)}"`);
  }

  private parseExternalId(v: unknown, required: boolean): string | null {
    if (v === undefined || v === null || v === "") {
      if (required) throw new SimError("invalid", "InvalidRequest", "external_id is required");
      return null;
    }
    if (typeof v !== "string") throw new SimError("invalid", "InvalidRequest", "external_id must be a string");
    if (v.length > MAX_EXTERNAL_ID) throw new SimError("invalid", "InvalidRequest", `external_id must be at most ${MAX_EXTERNAL_ID} characters`);
    return v;
  }

  private parseProfile(v: unknown): SimProfile {
    if (v === undefined || v === null) return {};
    if (typeof v !== "object" || Array.isArray(v)) throw new SimError("invalid", "InvalidRequest", "profile must be an object");
    const p = v as Record<string, unknown>;
    for (const k of ["first_name", "last_name", "picture", "locale"]) {
      if (p[k] !== undefined && p[k] !== null && typeof p[k] !== "string") throw new SimError("invalid", "InvalidRequest", `profile.${k} must be a string`);
    }
    const out: SimProfile = {};
    for (const [k, val] of Object.entries(p)) if (val !== undefined && val !== null) out[k] = val;
    return out;
  }

  // ------------------------------------------------------------------ lookups

  findByExternalId(externalId: string): SimUser | undefined {
    for (const u of this.users.values()) if (u.external_id === externalId) return u;
    return undefined;
  }

  findByIdentifier(id: SimIdentifier): SimUser | undefined {
    for (const u of this.users.values()) if (u.identifiers.some((x) => x.type === id.type && x.value === id.value)) return u;
    return undefined;
  }

  get(id: string): SimUser {
    const u = this.users.get(id);
    if (!u) throw new SimError("notFound", "NotFound", "user not found");
    return u;
  }

  /** `POST /users/batch_lookup`: ≤100 external ids and/or ≤100 emails; each user once. */
  batchLookup(body: unknown): SimUser[] {
    const b = obj(body);
    const ids = b.external_ids;
    const emails = b.emails;
    if (ids === undefined && emails === undefined) throw new SimError("invalid", "InvalidRequest", "external_ids or emails is required");
    for (const [name, list] of [["external_ids", ids], ["emails", emails]] as const) {
      if (list === undefined) continue;
      if (!Array.isArray(list) || list.some((x) => typeof x !== "string")) throw new SimError("invalid", "InvalidRequest", `${name} must be an array of strings`);
      if (list.length > MAX_BATCH_LOOKUP) throw new SimError("invalid", "InvalidRequest", `${name} must hold at most ${MAX_BATCH_LOOKUP} values`);
    }
    const out = new Map<string, SimUser>();
    for (const x of (ids as string[] | undefined) ?? []) {
      const u = this.findByExternalId(x);
      if (u) out.set(u.id, u);
    }
    for (const x of (emails as string[] | undefined) ?? []) {
      const u = this.findByIdentifier({ type: "email_address", value: x.trim().toLowerCase() });
      if (u) out.set(u.id, u);
    }
    return [...out.values()];
  }

  /** `GET /users`: filters (external_id, identifier_type + identifier_value), id-ordered, cursor = last id seen. */
  list(q: { external_id?: string; identifier_type?: string; identifier_value?: string; limit?: number; cursor?: string }): { users: SimUser[]; next_cursor: string | null } {
    const limit = q.limit ?? 50;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) throw new SimError("invalid", "InvalidRequest", `limit must be between 1 and ${MAX_LIST_LIMIT}`);
    let all = [...this.users.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    if (q.external_id !== undefined) all = all.filter((u) => u.external_id === q.external_id);
    if (q.identifier_type !== undefined || q.identifier_value !== undefined) {
      const id = this.parseIdentifier({ type: q.identifier_type, value: q.identifier_value });
      all = all.filter((u) => u.identifiers.some((x) => x.type === id.type && x.value === id.value));
    }
    if (q.cursor) all = all.filter((u) => u.id > q.cursor!);
    const page = all.slice(0, limit);
    return { users: page, next_cursor: all.length > limit ? page[page.length - 1]!.id : null };
  }

  // ------------------------------------------------------------------ writes

  /**
   * `POST /users` (create-user). Checks in order: body → ExternalIDAlreadyExists → IdentifierAlreadyExists.
   * Nothing is written unless everything passes (one atomic call, seed 003 step 5).
   */
  createUser(body: unknown, source: SimUser["source"] = "api"): SimUser {
    const b = obj(body) as CreateUserBody;
    if (source === "api") {
      this.beforeCreate?.(b);
      this.creates.push(structuredClone(b));
    }
    const externalId = this.parseExternalId(b.external_id, false);
    const profile = this.parseProfile(b.profile);
    if (!Array.isArray(b.identifiers) || b.identifiers.length === 0) throw new SimError("invalid", "InvalidRequest", "at least one identifier is required");
    const identifiers: SimIdentifier[] = [];
    for (const raw of b.identifiers) {
      const id = this.parseIdentifier(raw);
      if (!identifiers.some((x) => x.type === id.type && x.value === id.value)) identifiers.push(id);
    }
    if (externalId !== null && this.findByExternalId(externalId)) throw new SimError("conflict", "ExternalIDAlreadyExists", "a user with this external_id already exists");
    for (const id of identifiers) {
      if (this.findByIdentifier(id)) throw new SimError("conflict", "IdentifierAlreadyExists", `identifier ${id.type} already belongs to another user`);
    }
    const at = this.now().toISOString();
    const user: SimUser = { id: this.newId(), status: "active", external_id: externalId, profile, identifiers, scopes: [], created_at: at, updated_at: at, source };
    this.users.set(user.id, user);
    return user;
  }

  /**
   * What `session.migrate()` does after the hook answered (lazy-migration-contracts.md §5.1): the
   * user with that external_id, else a new one. For tests of the backfill ⇄ lazy-migration race.
   */
  lazyMigrate(payload: { external_id: string; identifiers: SimIdentifier[]; profile?: SimProfile }): SimUser {
    return this.findByExternalId(payload.external_id) ?? this.createUser(payload, "migration");
  }

  /** `PUT /users/{id}/external_id` (≤128 chars, unique). */
  setExternalId(id: string, body: unknown): void {
    const user = this.get(id);
    const externalId = this.parseExternalId(obj(body).external_id, true)!;
    const other = this.findByExternalId(externalId);
    if (other && other.id !== id) throw new SimError("conflict", "ExternalIDAlreadyExists", "a user with this external_id already exists");
    user.external_id = externalId;
    user.updated_at = this.now().toISOString();
  }

  /** `PATCH /users/{id}/profile`: merges the given fields; `null` removes one. */
  patchProfile(id: string, body: unknown): SimUser {
    const user = this.get(id);
    const b = obj(body);
    const patch = this.parseProfile(Object.fromEntries(Object.entries(b).filter(([, v]) => v !== null)));
    const next: SimProfile = { ...user.profile, ...patch };
    for (const [k, v] of Object.entries(b)) if (v === null) delete next[k];
    user.profile = next;
    user.updated_at = this.now().toISOString();
    return user;
  }

  /** `POST /users/{id}/identifiers`: AlreadyExists on this user, IdentifierAlreadyExists on another. */
  addIdentifier(id: string, body: unknown): SimIdentifier {
    const user = this.get(id);
    const ident = this.parseIdentifier(body);
    const owner = this.findByIdentifier(ident);
    if (owner?.id === id) throw new SimError("conflict", "AlreadyExists", "identifier already exists on this user");
    if (owner) throw new SimError("conflict", "IdentifierAlreadyExists", `identifier ${ident.type} already belongs to another user`);
    user.identifiers.push(ident);
    user.updated_at = this.now().toISOString();
    return ident;
  }

  /** `DELETE /users/{id}/identifiers` with `{type, value}` in the body. */
  deleteIdentifier(id: string, body: unknown): void {
    const user = this.get(id);
    const ident = this.parseIdentifier(body);
    const i = user.identifiers.findIndex((x) => x.type === ident.type && x.value === ident.value);
    if (i < 0) throw new SimError("notFound", "NotFound", "identifier not found");
    user.identifiers.splice(i, 1);
    user.updated_at = this.now().toISOString();
  }

  deleteUser(id: string): void {
    this.get(id);
    this.users.delete(id);
  }

  /** The user object as the API returns it (batch-lookup docs shape). */
  view(u: SimUser): Record<string, unknown> {
    return {
      id: u.id,
      status: u.status,
      identifiers: u.identifiers.map((x) => ({ ...x })),
      scopes: [...u.scopes],
      profile: { ...u.profile },
      external_id: u.external_id ?? "",
      created_at: u.created_at,
      updated_at: u.updated_at,
    };
  }
}

function obj(v: unknown): Record<string, unknown> {
  return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}
