/**
 * In-memory state of the Auth0 simulator: one tenant, its database connections, users and bulk
 * import jobs (targets.md §5). Jobs run asynchronously (pending → processing → completed) on timers.
 */
import { randomBytes } from "node:crypto";
import { hash as bcryptHash } from "@node-rs/bcrypt";
import { BCRYPT_PASSWORD_HASH, checkPassword, validateCustomHash, type FieldError } from "./passwords.js";

export const IMPORT_FILE_MAX = 500_000;
export const MAX_CONCURRENT_JOBS = 2;

/** app_metadata keys the import schema rejects. */
export const RESERVED_APP_METADATA = [
  "__tenant", "_id", "blocked", "clientID", "created_at", "email_verified", "email", "globalClientID", "global_client_id", "identities",
  "lastIP", "lastLogin", "loginsCount", "metadata", "multifactor_last_modified", "multifactor", "updated_at", "user_id",
];

const STRING_FIELDS = ["user_id", "username", "given_name", "family_name", "name", "nickname", "picture", "phone_number"] as const;
const KNOWN_FIELDS = new Set<string>([
  "email", "email_verified", "phone_verified", "blocked", "app_metadata", "user_metadata", "password_hash", "custom_password_hash", "mfa_factors", ...STRING_FIELDS,
]);

export interface Connection {
  id: string;
  name: string;
}

export interface SimUser {
  user_id: string;
  connection: string;
  email: string;
  email_verified: boolean;
  username?: string;
  phone_number?: string;
  given_name?: string;
  family_name?: string;
  name: string;
  nickname: string;
  picture?: string;
  blocked: boolean;
  app_metadata: Record<string, unknown>;
  user_metadata: Record<string, unknown>;
  created_at: string;
  updated_at: string;
  logins_count: number;
  last_login?: string;
  /** Credential (never returned by the API). */
  password: { bcrypt?: string; custom?: Record<string, unknown> };
  /** Social identities of users seeded by tests (linked accounts). */
  extraIdentities?: Record<string, unknown>[];
}

export interface JobErrorRow {
  user: unknown;
  errors: FieldError[];
}

export interface ImportJob {
  id: string;
  type: "users_import";
  status: "pending" | "processing" | "completed" | "failed";
  connection_id: string;
  connection: string;
  external_id?: string;
  upsert: boolean;
  send_completion_email: boolean;
  created_at: string;
  users: unknown[];
  summary?: { total: number; inserted: number; updated: number; failed: number };
  errors: JobErrorRow[];
}

export class SimError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
  ) {
    super(message);
  }
  body(): Record<string, unknown> {
    const error = { 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 409: "Conflict", 413: "Payload Too Large", 429: "Too Many Requests" }[this.status] ?? "Internal Server Error";
    return { statusCode: this.status, error, message: this.message, errorCode: this.errorCode };
  }
}

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object" && !Array.isArray(v);
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export interface Auth0StoreOptions {
  /** Delay before a job moves to processing, and again before it completes; default 20 ms. */
  jobDelayMs?: number;
  maxConcurrentJobs?: number;
  /** bcrypt cost used when a custom hash is upgraded at first login (as Auth0 does); default 4. */
  bcryptCost?: number;
}

export class Auth0Store {
  readonly connections: Connection[] = [{ id: "con_" + randomBytes(8).toString("hex"), name: "Username-Password-Authentication" }];
  readonly users = new Map<string, SimUser>();
  readonly jobs = new Map<string, ImportJob>();
  /** Largest number of jobs seen pending/processing at once (tests assert the 2-job limit). */
  maxActiveJobsSeen = 0;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly jobDelayMs: number;
  readonly maxConcurrentJobs: number;
  private readonly bcryptCost: number;

  constructor(opts: Auth0StoreOptions = {}) {
    this.jobDelayMs = opts.jobDelayMs ?? 20;
    this.maxConcurrentJobs = opts.maxConcurrentJobs ?? MAX_CONCURRENT_JOBS;
    this.bcryptCost = opts.bcryptCost ?? 4;
  }

  get defaultConnection(): Connection {
    return this.connections[0]!;
  }

  connectionById(id: string): Connection | undefined {
    return this.connections.find((c) => c.id === id);
  }

  findByEmail(email: string, connection?: string): SimUser[] {
    const e = email.toLowerCase();
    return [...this.users.values()].filter((u) => u.email === e && (!connection || u.connection === connection));
  }

  activeJobs(): number {
    return [...this.jobs.values()].filter((j) => j.status === "pending" || j.status === "processing").length;
  }

  /** Seeds a user directly (tests: a user that existed before the migration). */
  addUser(u: Partial<SimUser> & { email: string }): SimUser {
    const now = new Date().toISOString();
    const user: SimUser = {
      user_id: u.user_id ?? `auth0|${randomBytes(12).toString("hex")}`,
      connection: u.connection ?? this.defaultConnection.name,
      email_verified: false,
      name: u.email,
      nickname: u.email.split("@")[0]!,
      blocked: false,
      app_metadata: {},
      user_metadata: {},
      created_at: now,
      updated_at: now,
      logins_count: 0,
      password: {},
      ...u,
      email: u.email.toLowerCase(),
    };
    this.users.set(user.user_id, user);
    return user;
  }

  createJob(init: { users: unknown[]; connection: Connection; upsert: boolean; externalId?: string; sendCompletionEmail: boolean }): ImportJob {
    if (this.activeJobs() >= this.maxConcurrentJobs) {
      // The docs do not name the rejection of a third concurrent job; simulated as 429 (targets.md §5.2).
      throw new SimError(429, "too_many_requests", `There are already ${this.maxConcurrentJobs} pending import jobs for this tenant; wait for one to finish`);
    }
    const job: ImportJob = {
      id: `job_${randomBytes(8).toString("hex")}`,
      type: "users_import",
      status: "pending",
      connection_id: init.connection.id,
      connection: init.connection.name,
      ...(init.externalId !== undefined ? { external_id: init.externalId } : {}),
      upsert: init.upsert,
      send_completion_email: init.sendCompletionEmail,
      created_at: new Date().toISOString(),
      users: init.users,
      errors: [],
    };
    this.jobs.set(job.id, job);
    this.maxActiveJobsSeen = Math.max(this.maxActiveJobsSeen, this.activeJobs());
    this.later(() => {
      job.status = "processing";
      this.later(() => void this.process(job).catch(() => (job.status = "failed")));
    });
    return job;
  }

  jobView(job: ImportJob): Record<string, unknown> {
    const done = job.status === "completed" || job.status === "failed";
    return {
      type: job.type,
      status: job.status,
      connection_id: job.connection_id,
      connection: job.connection,
      created_at: job.created_at,
      id: job.id,
      ...(job.external_id !== undefined ? { external_id: job.external_id } : {}),
      ...(done ? { summary: job.summary } : { percentage_done: job.status === "processing" ? 50 : 0, time_left_seconds: 1 }),
    };
  }

  private later(fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, this.jobDelayMs);
    this.timers.add(t);
  }

  close(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private async process(job: ImportJob): Promise<void> {
    const summary = { total: job.users.length, inserted: 0, updated: 0, failed: 0 };
    const seenEmails = new Set<string>();
    const seenIds = new Set<string>();
    for (const raw of job.users) {
      const errors = validateUser(raw);
      const u = raw as Record<string, unknown>;
      if (!errors.length) {
        const email = (u.email as string).toLowerCase();
        const userId = typeof u.user_id === "string" ? `auth0|${u.user_id}` : undefined;
        if (seenEmails.has(email) || (userId && seenIds.has(userId))) {
          errors.push({ code: "DUPLICATED_USER", message: "Duplicated user in the import file", path: "email" });
        } else {
          seenEmails.add(email);
          if (userId) seenIds.add(userId);
          const existing = this.findByEmail(email, job.connection)[0];
          const idTaken = userId ? this.users.get(userId) : undefined;
          const usernameTaken = typeof u.username === "string" ? [...this.users.values()].find((x) => x.connection === job.connection && x.username === u.username && x.email !== email) : undefined;
          if (existing && !job.upsert) errors.push({ code: "DUPLICATED_USER", message: "The user already exists.", path: "email" });
          else if (idTaken && idTaken !== existing) errors.push({ code: "CONFLICT", message: `A user with user_id ${userId} already exists.`, path: "user_id" });
          else if (usernameTaken) errors.push({ code: "CONFLICT_USERNAME", message: "The username is already taken.", path: "username" });
          else if (existing) {
            this.update(existing, u);
            summary.updated++;
            continue;
          } else {
            this.insert(job.connection, u, userId);
            summary.inserted++;
            continue;
          }
        }
      }
      summary.failed++;
      job.errors.push({ user: raw, errors });
    }
    job.summary = summary;
    job.status = "completed";
  }

  private insert(connection: string, u: Record<string, unknown>, userId: string | undefined): void {
    const email = (u.email as string).toLowerCase();
    const now = new Date().toISOString();
    const user: SimUser = {
      user_id: userId ?? `auth0|${randomBytes(12).toString("hex")}`,
      connection,
      email,
      // "email_verified becomes false on add/update unless supplied true"
      email_verified: u.email_verified === true,
      name: (u.name as string | undefined) ?? email,
      nickname: (u.nickname as string | undefined) ?? email.split("@")[0]!,
      blocked: u.blocked === true,
      app_metadata: (u.app_metadata as Record<string, unknown> | undefined) ?? {},
      user_metadata: (u.user_metadata as Record<string, unknown> | undefined) ?? {},
      created_at: now,
      updated_at: now,
      logins_count: 0,
      password: typeof u.password_hash === "string" ? { bcrypt: u.password_hash } : isObj(u.custom_password_hash) ? { custom: u.custom_password_hash } : {},
    };
    for (const k of ["username", "phone_number", "given_name", "family_name", "picture"] as const) if (typeof u[k] === "string") user[k] = u[k];
    this.users.set(user.user_id, user);
  }

  /** upsert: profile fields overwritten, metadata replaced (not merged); passwords only apply on creation. */
  private update(existing: SimUser, u: Record<string, unknown>): void {
    existing.email_verified = u.email_verified === true;
    for (const k of ["username", "phone_number", "given_name", "family_name", "picture", "name", "nickname"] as const) if (typeof u[k] === "string") existing[k] = u[k];
    if (typeof u.blocked === "boolean") existing.blocked = u.blocked;
    if (isObj(u.app_metadata)) existing.app_metadata = u.app_metadata;
    if (isObj(u.user_metadata)) existing.user_metadata = u.user_metadata;
    existing.updated_at = new Date().toISOString();
  }

  /** Password sign-in against one connection; upgrades a custom hash to bcrypt on success (as Auth0 does). */
  async signIn(email: string, password: string, connection: string): Promise<SimUser | "blocked" | undefined> {
    const u = this.findByEmail(email, connection)[0];
    if (!u || !(await checkPassword(u.password, password))) return undefined;
    if (u.blocked) return "blocked";
    if (u.password.custom) u.password = { bcrypt: await bcryptHash(password, this.bcryptCost) };
    u.logins_count++;
    u.last_login = new Date().toISOString();
    return u;
  }

  /** The Management API's user object. */
  view(u: SimUser): Record<string, unknown> {
    const bare = u.user_id.includes("|") ? u.user_id.slice(u.user_id.indexOf("|") + 1) : u.user_id;
    const out: Record<string, unknown> = {
      user_id: u.user_id,
      email: u.email,
      email_verified: u.email_verified,
      name: u.name,
      nickname: u.nickname,
      created_at: u.created_at,
      updated_at: u.updated_at,
      identities: [{ connection: u.connection, provider: "auth0", user_id: bare, isSocial: false }, ...(u.extraIdentities ?? [])],
      app_metadata: u.app_metadata,
      user_metadata: u.user_metadata,
      logins_count: u.logins_count,
    };
    for (const k of ["username", "phone_number", "given_name", "family_name", "picture", "last_login"] as const) if (u[k] !== undefined) out[k] = u[k];
    if (u.blocked) out.blocked = true;
    return out;
  }
}

/** Schema errors of one import record (empty = valid). */
export function validateUser(raw: unknown): FieldError[] {
  if (!isObj(raw)) return [{ code: "INVALID_TYPE", message: "Expected type object", path: "" }];
  const errors: FieldError[] = [];
  for (const k of Object.keys(raw)) {
    // z-schema's additionalProperties error code [mem]: the import schema is closed.
    if (!KNOWN_FIELDS.has(k)) errors.push({ code: "OBJECT_ADDITIONAL_PROPERTIES", message: `Additional properties not allowed: ${k}`, path: k });
  }
  if (raw.email === undefined) errors.push({ code: "OBJECT_REQUIRED", message: "Missing required property: email", path: "email" });
  else if (typeof raw.email !== "string") errors.push({ code: "INVALID_TYPE", message: `Expected type string but found type ${typeof raw.email}`, path: "email" });
  else if (!EMAIL.test(raw.email)) errors.push({ code: "FORMAT", message: `Object didn't pass validation for format email: ${raw.email}`, path: "email" });
  for (const k of ["email_verified", "phone_verified", "blocked"]) {
    if (raw[k] !== undefined && typeof raw[k] !== "boolean") errors.push({ code: "INVALID_TYPE", message: `Expected type boolean but found type ${typeof raw[k]}`, path: k });
  }
  for (const k of STRING_FIELDS) {
    if (raw[k] !== undefined && typeof raw[k] !== "string") errors.push({ code: "INVALID_TYPE", message: `Expected type string but found type ${typeof raw[k]}`, path: k });
    else if (typeof raw[k] === "string" && (raw[k] as string).length === 0) errors.push({ code: "MIN_LENGTH", message: "String is too short (0 chars), minimum 1", path: k });
  }
  if (typeof raw.phone_number === "string" && !/^\+[1-9]\d{1,14}$/.test(raw.phone_number)) errors.push({ code: "PATTERN", message: "phone_number must be E.164", path: "phone_number" });
  for (const k of ["app_metadata", "user_metadata"]) {
    if (raw[k] !== undefined && !isObj(raw[k])) errors.push({ code: "INVALID_TYPE", message: `Expected type object`, path: k });
  }
  if (isObj(raw.app_metadata)) {
    for (const k of Object.keys(raw.app_metadata)) if (RESERVED_APP_METADATA.includes(k)) errors.push({ code: "NOT_PASSED", message: `app_metadata must not contain the reserved key ${k}`, path: `app_metadata.${k}` });
  }
  if (raw.password_hash !== undefined && raw.custom_password_hash !== undefined)
    errors.push({ code: "NOT_PASSED", message: "password_hash and custom_password_hash are mutually exclusive", path: "custom_password_hash" });
  if (raw.password_hash !== undefined && (typeof raw.password_hash !== "string" || !BCRYPT_PASSWORD_HASH.test(raw.password_hash)))
    errors.push({ code: "PATTERN", message: "password_hash must be a bcrypt ($2a$/$2b$) hash", path: "password_hash" });
  if (raw.custom_password_hash !== undefined) errors.push(...validateCustomHash(raw.custom_password_hash));
  if (raw.mfa_factors !== undefined) {
    if (!Array.isArray(raw.mfa_factors)) errors.push({ code: "INVALID_TYPE", message: "Expected type array", path: "mfa_factors" });
    else if (raw.mfa_factors.length < 1) errors.push({ code: "ARRAY_LENGTH_SHORT", message: "Array is too short", path: "mfa_factors" });
    else if (raw.mfa_factors.length > 10) errors.push({ code: "ARRAY_LENGTH_LONG", message: "Array is too long", path: "mfa_factors" });
  }
  return errors;
}
