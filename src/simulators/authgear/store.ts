import { randomBytes, randomUUID } from "node:crypto";
import { compare as bcryptCompare } from "@node-rs/bcrypt";

/**
 * In-memory state of the Authgear simulator and the business rules of the User Import API
 * (authgear-server `pkg/lib/userimport`) as plain functions; routes.ts only does HTTP.
 * Tests read and seed it directly.
 */

export type Identifier = "email" | "phone_number" | "preferred_username";
export type Outcome = "inserted" | "updated" | "skipped" | "failed";

export interface APIError {
  name: string;
  reason: string;
  message: string;
  code: number;
  info?: Record<string, unknown>;
}

export interface SimUser {
  /** Raw UUID (what the import API returns as `user_id`); GraphQL uses the global node id. */
  id: string;
  createdAt: string;
  updatedAt: string;
  email: string | null;
  phoneNumber: string | null;
  preferredUsername: string | null;
  emailVerified: boolean;
  phoneNumberVerified: boolean;
  /** Non-identity standard attributes (name, given_name, …, address). */
  standardAttributes: Record<string, unknown>;
  customAttributes: Record<string, unknown>;
  roles: string[];
  groups: string[];
  disabled: boolean;
  /** Primary password authenticator (bcrypt). Never returned by any API. */
  passwordHash: string | null;
  passwordExpireAfter: string | null;
  mfa: Record<string, unknown> | null;
}

export interface Detail {
  index: number;
  record?: Record<string, unknown>;
  outcome: Outcome;
  user_id?: string;
  warnings?: { message: string }[];
  errors?: APIError[];
}

export interface Summary {
  total: number;
  inserted: number;
  updated: number;
  skipped: number;
  failed: number;
}

export interface ImportTask {
  records: unknown[];
  /** Index of this task's first record in the request. */
  offset: number;
  completedAt: string | null;
  summary: Summary | null;
  details: Detail[];
}

export interface ImportJob {
  id: string;
  createdAt: string;
  identifier: Identifier;
  upsert: boolean;
  tasks: ImportTask[];
}

export const IDENTIFIERS: readonly Identifier[] = ["email", "phone_number", "preferred_username"];
/** authgear-server `userimport.BodyMaxSize`: 500 KB. */
export const BODY_MAX_SIZE = 500 * 1000;
/** Records per task (the server splits one request into tasks of this size). */
export const TASK_SIZE = 100;

const NON_IDENTITY_ATTRS = ["name", "given_name", "family_name", "middle_name", "nickname", "profile", "picture", "website", "gender", "birthdate", "zoneinfo", "locale", "address"];
const RECORD_KEYS = new Set([
  "email",
  "phone_number",
  "preferred_username",
  "disabled",
  "email_verified",
  "phone_number_verified",
  ...NON_IDENTITY_ATTRS,
  "custom_attributes",
  "roles",
  "groups",
  "password",
  "mfa",
]);
/** bcrypt as Go's x/crypto/bcrypt parses it. */
const BCRYPT = /^\$2[abxy]?\$\d\d\$[./A-Za-z0-9]{53}$/;
const E164 = /^\+[1-9]\d{1,14}$/;
const EMAIL = /^[^\s@]+@[^\s@]+$/;

export function apiError(name: string, reason: string, message: string, code: number, info?: Record<string, unknown>): APIError {
  return { name, reason, message, code, ...(info ? { info } : {}) };
}

function invalid(causes: { location: string; kind: string; details?: Record<string, unknown> }[]): APIError {
  return apiError("Invalid", "ValidationFailed", "invalid value", 400, { causes });
}

/** Global node id of a user, as the Admin API GraphQL uses them: base64url("User:<uuid>"). */
export function userNodeId(id: string): string {
  return Buffer.from(`User:${id}`, "utf8").toString("base64url");
}

/** The raw id behind a node id (also accepts a raw id). Undefined for other node types. */
export function userIdFromNode(nodeId: string): string | undefined {
  const decoded = Buffer.from(nodeId, "base64url").toString("utf8");
  if (decoded.startsWith("User:")) return decoded.slice(5);
  return /^[0-9a-f-]{36}$/.test(nodeId) ? nodeId : undefined;
}

const now = (): string => new Date().toISOString();

/** JSON-schema-like validation of one record for the request's identifier (additionalProperties: false). */
export function validateRecord(record: unknown, identifier: Identifier): APIError | undefined {
  const causes: { location: string; kind: string; details?: Record<string, unknown> }[] = [];
  if (!record || typeof record !== "object" || Array.isArray(record)) return invalid([{ location: "", kind: "type", details: { expected: ["object"] } }]);
  const r = record as Record<string, unknown>;
  for (const k of Object.keys(r)) if (!RECORD_KEYS.has(k)) causes.push({ location: "", kind: "additionalProperties", details: { token: k } });
  if (r[identifier] === undefined || r[identifier] === null) causes.push({ location: "", kind: "required", details: { missing: [identifier] } });
  const str = (k: string, re?: RegExp, format?: string) => {
    const v = r[k];
    if (v === undefined || v === null) return;
    if (typeof v !== "string" || v.length === 0) causes.push({ location: `/${k}`, kind: "type", details: { expected: ["string"] } });
    else if (re && !re.test(v)) causes.push({ location: `/${k}`, kind: "format", details: { format } });
  };
  str("email", EMAIL, "email");
  str("phone_number", E164, "phone");
  str("preferred_username");
  for (const k of ["disabled", "email_verified", "phone_number_verified"]) {
    if (r[k] !== undefined && typeof r[k] !== "boolean") causes.push({ location: `/${k}`, kind: "type", details: { expected: ["boolean"] } });
  }
  for (const k of NON_IDENTITY_ATTRS) if (k !== "address") str(k);
  for (const k of ["roles", "groups"]) {
    const v = r[k];
    if (v !== undefined && (!Array.isArray(v) || v.some((x) => typeof x !== "string" || !x))) causes.push({ location: `/${k}`, kind: "type", details: { expected: ["array"] } });
  }
  const pw = (p: unknown, at: string) => {
    if (p === undefined) return;
    if (!p || typeof p !== "object") return void causes.push({ location: at, kind: "type", details: { expected: ["object"] } });
    const o = p as Record<string, unknown>;
    for (const k of Object.keys(o)) if (!["type", "password_hash", "expire_after"].includes(k)) causes.push({ location: at, kind: "additionalProperties", details: { token: k } });
    if (o.type !== "bcrypt") causes.push({ location: `${at}/type`, kind: "enum", details: { enum: ["bcrypt"] } });
    if (typeof o.password_hash !== "string" || !o.password_hash) causes.push({ location: `${at}/password_hash`, kind: "required", details: { missing: ["password_hash"] } });
  };
  pw(r.password, "/password");
  if (r.mfa !== undefined) pw((r.mfa as Record<string, unknown> | null)?.password, "/mfa/password");
  return causes.length ? invalid(causes) : undefined;
}

export interface SignInResult {
  ok: boolean;
  user?: SimUser;
  error?: APIError;
}

export class AuthgearStore {
  readonly users = new Map<string, SimUser>();
  readonly jobs = new Map<string, ImportJob>();
  /** Delay between a task being queued and completing (ms); tasks of one job run one after another. */
  taskDelayMs: number;
  private queue: Promise<void> = Promise.resolve();
  private timers = new Set<NodeJS.Timeout>();

  constructor(opts: { taskDelayMs?: number } = {}) {
    this.taskDelayMs = opts.taskDelayMs ?? 20;
  }

  // ------------------------------------------------------------------ identities

  findBy(key: Identifier, value: string): SimUser | undefined {
    const v = key === "email" ? value.trim().toLowerCase() : value.trim();
    for (const u of this.users.values()) {
      const have = key === "email" ? u.email : key === "phone_number" ? u.phoneNumber : u.preferredUsername;
      if (have !== null && have === v) return u;
    }
    return undefined;
  }

  // ------------------------------------------------------------------ import

  /** Queue a job (the request is already validated). Tasks complete asynchronously, in order. */
  createJob(identifier: Identifier, upsert: boolean, records: unknown[]): ImportJob {
    const job: ImportJob = { id: `userimport_${randomBytes(12).toString("hex")}`, createdAt: now(), identifier, upsert, tasks: [] };
    for (let i = 0; i < records.length; i += TASK_SIZE) {
      job.tasks.push({ records: records.slice(i, i + TASK_SIZE), offset: i, completedAt: null, summary: null, details: [] });
    }
    this.jobs.set(job.id, job);
    for (const task of job.tasks) {
      this.queue = this.queue.then(
        () =>
          new Promise<void>((resolve) => {
            const t = setTimeout(() => {
              this.timers.delete(t);
              this.runTask(job, task);
              resolve();
            }, this.taskDelayMs);
            this.timers.add(t);
          }),
      );
    }
    return job;
  }

  /** Run every queued task now (tests). */
  async drain(): Promise<void> {
    await this.queue;
  }

  close(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private runTask(job: ImportJob, task: ImportTask): void {
    const summary: Summary = { total: task.records.length, inserted: 0, updated: 0, skipped: 0, failed: 0 };
    task.records.forEach((raw, i) => {
      const d = this.importRecord(job.identifier, job.upsert, raw, task.offset + i);
      summary[d.outcome]++;
      task.details.push(d);
    });
    task.summary = summary;
    task.completedAt = now();
  }

  /** One record, all-or-nothing (Authgear runs each record in its own transaction). */
  importRecord(identifier: Identifier, upsert: boolean, raw: unknown, index: number): Detail {
    const detail: Detail = { index, outcome: "failed" };
    const record = raw && typeof raw === "object" ? structuredClone(raw as Record<string, unknown>) : undefined;
    const err = validateRecord(raw, identifier);
    if (record) detail.record = redact(record);
    if (err) return { ...detail, errors: [err] };
    const r = raw as Record<string, unknown>;
    const warnings: { message: string }[] = [];
    const existing = this.findBy(identifier, r[identifier] as string);
    try {
      if (!existing) {
        const u = this.insert(r, warnings);
        Object.assign(detail, { outcome: "inserted", user_id: u.id });
      } else if (!upsert) {
        warnings.push({ message: "skipping because upsert = false and user exists" });
        Object.assign(detail, { outcome: "skipped", user_id: existing.id });
      } else {
        this.update(existing, r, warnings);
        Object.assign(detail, { outcome: "updated", user_id: existing.id });
      }
    } catch (e) {
      if (e instanceof RecordError) return { ...detail, errors: [e.apiError] };
      throw e;
    }
    if (warnings.length) detail.warnings = warnings;
    return detail;
  }

  private checkDuplicate(r: Record<string, unknown>, self: SimUser | undefined): void {
    for (const key of IDENTIFIERS) {
      const v = r[key];
      if (typeof v !== "string") continue;
      const other = this.findBy(key, v);
      if (other && other !== self) throw new RecordError(apiError("AlreadyExists", "DuplicatedIdentity", "identity already exists", 409, { IdentityTypeExisting: "login_id", LoginIDTypeExisting: key }));
    }
  }

  private insert(r: Record<string, unknown>, warnings: { message: string }[]): SimUser {
    this.checkDuplicate(r, undefined);
    const pw = r.password as { password_hash: string; expire_after?: string } | undefined;
    if (pw && !BCRYPT.test(pw.password_hash)) throw new RecordError(invalid([{ location: "/password/password_hash", kind: "format", details: { format: "bcrypt" } }]));
    for (const k of IDENTIFIERS) if (r[k] === null) warnings.push({ message: `${k} = null has no effect in insert.` });
    const email = typeof r.email === "string" ? r.email.trim().toLowerCase() : null;
    const phone = typeof r.phone_number === "string" ? r.phone_number : null;
    if (r.email_verified === false) warnings.push({ message: "email_verified = false has no effect in insert." });
    if (r.email_verified === true && !email) warnings.push({ message: "email_verified = true has no effect when email is absent." });
    if (r.phone_number_verified === false) warnings.push({ message: "phone_number_verified = false has no effect in insert." });
    if (r.disabled === false) warnings.push({ message: "disabled = false has no effect in insert." });
    const t = now();
    const u: SimUser = {
      id: randomUUID(),
      createdAt: t,
      updatedAt: t,
      email,
      phoneNumber: phone,
      preferredUsername: typeof r.preferred_username === "string" ? r.preferred_username.trim() : null,
      emailVerified: r.email_verified === true && !!email,
      phoneNumberVerified: r.phone_number_verified === true && !!phone,
      standardAttributes: Object.fromEntries(NON_IDENTITY_ATTRS.filter((k) => r[k] !== undefined && r[k] !== null).map((k) => [k, r[k]])),
      customAttributes: (r.custom_attributes as Record<string, unknown> | undefined) ?? {},
      roles: (r.roles as string[] | undefined) ?? [],
      groups: (r.groups as string[] | undefined) ?? [],
      disabled: r.disabled === true,
      passwordHash: pw?.password_hash ?? null,
      passwordExpireAfter: pw?.expire_after ?? null,
      mfa: (r.mfa as Record<string, unknown> | undefined) ?? null,
    };
    this.users.set(u.id, u);
    return u;
  }

  /** upsert = true on an existing user: profile fields overwritten, password / MFA secrets never. */
  private update(u: SimUser, r: Record<string, unknown>, warnings: { message: string }[]): void {
    this.checkDuplicate(r, u);
    if (r.email !== undefined) u.email = typeof r.email === "string" ? r.email.trim().toLowerCase() : null;
    if (r.phone_number !== undefined) u.phoneNumber = (r.phone_number as string | null) ?? null;
    if (r.preferred_username !== undefined) u.preferredUsername = (r.preferred_username as string | null) ?? null;
    if (typeof r.email_verified === "boolean") u.emailVerified = r.email_verified && !!u.email;
    if (typeof r.phone_number_verified === "boolean") u.phoneNumberVerified = r.phone_number_verified && !!u.phoneNumber;
    for (const k of NON_IDENTITY_ATTRS) {
      if (r[k] === undefined) continue;
      if (r[k] === null) delete u.standardAttributes[k];
      else u.standardAttributes[k] = r[k];
    }
    if (r.custom_attributes !== undefined) u.customAttributes = { ...u.customAttributes, ...(r.custom_attributes as Record<string, unknown>) };
    if (r.roles !== undefined) u.roles = r.roles as string[];
    if (r.groups !== undefined) u.groups = r.groups as string[];
    if (typeof r.disabled === "boolean") u.disabled = r.disabled;
    if (r.password !== undefined) warnings.push({ message: "password is ignored because the user exists." });
    u.updatedAt = now();
  }

  /** GET /_api/admin/users/import/{id}: aggregated over tasks; pending until every task completed. */
  jobResponse(job: ImportJob): Record<string, unknown> {
    const pending = job.tasks.some((t) => !t.completedAt);
    if (pending) return { id: job.id, created_at: job.createdAt, status: "pending" };
    const summary: Summary = { total: 0, inserted: 0, updated: 0, skipped: 0, failed: 0 };
    const details: Detail[] = [];
    let completedAt = job.createdAt;
    for (const t of job.tasks) {
      for (const k of Object.keys(summary) as (keyof Summary)[]) summary[k] += t.summary![k];
      details.push(...t.details);
      if (t.completedAt! > completedAt) completedAt = t.completedAt!;
    }
    return { id: job.id, created_at: job.createdAt, completed_at: completedAt, status: "completed", summary, details };
  }

  // ------------------------------------------------------------------ users

  deleteUser(id: string): boolean {
    return this.users.delete(id);
  }

  /** Password sign-in as the Authentication Flow's `primary_password` step checks it. */
  async checkPassword(u: SimUser, password: string): Promise<SignInResult> {
    if (!u.passwordHash) return { ok: false, error: apiError("Invalid", "NoAuthenticator", "no password authenticator", 400) };
    // Go's bcrypt treats $2y$ like $2b$; normalise for the verifier.
    const hash = u.passwordHash.replace(/^\$2y\$/, "$2b$");
    const ok = await bcryptCompare(password, hash).catch(() => false);
    if (!ok) return { ok: false, error: apiError("Unauthorized", "InvalidCredentials", "invalid credentials", 401) };
    if (u.disabled) return { ok: false, error: apiError("Forbidden", "DisabledUser", "user is disabled", 403) };
    return { ok: true, user: u };
  }
}

export class RecordError extends Error {
  constructor(readonly apiError: APIError) {
    super(apiError.message);
  }
}

/** Records echoed in `details` never carry secrets (authgear-server `Record.Redact`). */
function redact(r: Record<string, unknown>): Record<string, unknown> {
  const red = (p: unknown): unknown => (p && typeof p === "object" ? { ...(p as object), password_hash: "REDACTED" } : "REDACTED");
  if (r.password !== undefined) r.password = red(r.password);
  if (r.mfa && typeof r.mfa === "object") {
    const m = r.mfa as Record<string, unknown>;
    if (m.password !== undefined) m.password = red(m.password);
    if (m.totp && typeof m.totp === "object") m.totp = { ...(m.totp as object), secret: "REDACTED" };
  }
  return r;
}
