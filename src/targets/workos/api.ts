import { randomUUID } from "node:crypto";
import { isAuthmigrateError, type AuthmigrateError } from "../../errors.js";
import type { HttpClient } from "../http/client.js";
import { responseBody } from "../http/errors.js";

/**
 * The slice of the WorkOS REST API the target uses (targets.md §3), typed, plus the predicates that
 * read WorkOS error bodies (`{message, code, errors:[{code, field}]}`, §3.5). No method logs or
 * returns a request body: bodies carry password hashes.
 */

export interface WorkosUser {
  id: string;
  email: string;
  email_verified: boolean;
  first_name: string | null;
  last_name: string | null;
  external_id?: string | null;
  /** Simulator only (see src/simulators/workos): WorkOS never says whether a user has a password. */
  _simulator?: { has_password?: boolean };
}

export interface WorkosOrg {
  id: string;
  name: string;
  external_id?: string | null;
}

export interface WorkosMembership {
  id: string;
  user_id: string;
  organization_id: string;
  status: string;
  role?: { slug: string } | null;
  roles?: { slug: string }[] | null;
}

interface List<T> {
  data: T[];
  list_metadata: { before: string | null; after: string | null };
}

export type Body = Record<string, unknown>;

const seg = (s: string) => encodeURIComponent(s);

export class WorkosApi {
  /** Per-instance prefix of Idempotency-Keys: a retried POST replays, a later run does not. */
  private readonly keyPrefix = randomUUID();

  constructor(readonly http: HttpClient) {}

  private idem(key: string | undefined): Record<string, string> {
    return key ? { "idempotency-key": `${this.keyPrefix}:${key}` } : {};
  }

  // ------------------------------------------------------------------ users
  async createUser(body: Body, idempotencyKey?: string): Promise<WorkosUser> {
    return (await this.http.post<WorkosUser>("/user_management/users", body, { headers: this.idem(idempotencyKey) })).body;
  }

  async updateUser(id: string, body: Body): Promise<WorkosUser> {
    return (await this.http.put<WorkosUser>(`/user_management/users/${seg(id)}`, body)).body;
  }

  async getUser(id: string): Promise<WorkosUser | undefined> {
    return orUndefined(async () => (await this.http.get<WorkosUser>(`/user_management/users/${seg(id)}`)).body);
  }

  async userByExternalId(externalId: string): Promise<WorkosUser | undefined> {
    return orUndefined(async () => (await this.http.get<WorkosUser>(`/user_management/users/external_id/${seg(externalId)}`)).body);
  }

  /** WorkOS matches emails case-insensitively; the first match is the user. */
  async userByEmail(email: string): Promise<WorkosUser | undefined> {
    const r = await this.http.get<List<WorkosUser>>("/user_management/users", { query: { email, limit: 1 } });
    return r.body.data[0];
  }

  async listUsersPage(after: string | undefined, limit = 100): Promise<List<WorkosUser>> {
    return (await this.http.get<List<WorkosUser>>("/user_management/users", { query: { limit, order: "asc", ...(after ? { after } : {}) } })).body;
  }

  /** true = deleted, false = was not there. */
  async deleteUser(id: string): Promise<boolean> {
    try {
      await this.http.delete(`/user_management/users/${seg(id)}`);
      return true;
    } catch (e) {
      if (isStatus(e, 404)) return false;
      throw e;
    }
  }

  async sendPasswordReset(email: string, idempotencyKey?: string): Promise<void> {
    await this.http.post("/user_management/password_reset", { email }, { headers: this.idem(idempotencyKey) });
  }

  /** Password grant; true on success, false on any 4xx (wrong password, unverified email, unknown user). */
  async authenticate(clientId: string, clientSecret: string, email: string, password: string): Promise<boolean> {
    try {
      await this.http.post("/user_management/authenticate", { client_id: clientId, client_secret: clientSecret, grant_type: "password", email, password });
      return true;
    } catch (e) {
      const status = isAuthmigrateError(e) ? Number(e.meta.status) : NaN;
      if (status >= 400 && status < 500 && status !== 429) return false;
      throw e;
    }
  }

  // ------------------------------------------------------------------ organizations
  async createOrg(body: Body, idempotencyKey?: string): Promise<WorkosOrg> {
    return (await this.http.post<WorkosOrg>("/organizations", body, { headers: this.idem(idempotencyKey) })).body;
  }

  async orgByExternalId(externalId: string): Promise<WorkosOrg | undefined> {
    return orUndefined(async () => (await this.http.get<WorkosOrg>(`/organizations/external_id/${seg(externalId)}`)).body);
  }

  // ------------------------------------------------------------------ memberships
  async createMembership(body: Body): Promise<WorkosMembership> {
    return (await this.http.post<WorkosMembership>("/user_management/organization_memberships", body)).body;
  }

  async updateMembership(id: string, body: Body): Promise<WorkosMembership> {
    return (await this.http.put<WorkosMembership>(`/user_management/organization_memberships/${seg(id)}`, body)).body;
  }

  async membershipsOf(userId: string): Promise<WorkosMembership[]> {
    const out: WorkosMembership[] = [];
    let after: string | undefined;
    do {
      const r = await this.http.get<List<WorkosMembership>>("/user_management/organization_memberships", {
        query: { user_id: userId, limit: 100, order: "asc", ...(after ? { after } : {}) },
      });
      out.push(...r.body.data);
      after = r.body.list_metadata.after ?? undefined;
    } while (after);
    return out;
  }
}

async function orUndefined<T>(fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (e) {
    if (isStatus(e, 404)) return undefined;
    throw e;
  }
}

export function isStatus(e: unknown, status: number): e is AuthmigrateError {
  return isAuthmigrateError(e) && e.code === "TARGET_HTTP_ERROR" && e.meta.status === status;
}

/** `errors[]` of a WorkOS error body, with fields (the HttpClient keeps only codes in meta). */
export function errorItems(e: unknown): { code?: string; field?: string }[] {
  const body = responseBody(e) as { errors?: unknown } | undefined;
  return Array.isArray(body?.errors) ? (body.errors as { code?: string; field?: string }[]).filter((x) => x && typeof x === "object") : [];
}

function codes(e: AuthmigrateError): string[] {
  return [e.meta.providerCode, ...((e.meta.providerCodes as string[] | undefined) ?? []), ...errorItems(e).map((x) => x.code)].filter((c): c is string => typeof c === "string");
}

function clientError(e: unknown): e is AuthmigrateError {
  return isAuthmigrateError(e) && e.code === "TARGET_HTTP_ERROR" && (e.meta.status === 400 || e.meta.status === 409 || e.meta.status === 422);
}

/** Duplicate email: 409 `user_already_exists` (legacy API) or 422 `email_not_available` (AuthKit). */
export function isEmailTaken(e: unknown): boolean {
  if (!clientError(e)) return false;
  const c = codes(e);
  return c.includes("user_already_exists") || c.includes("email_not_available") || (e.meta.status === 409 && !c.includes("external_id_already_used"));
}

export function isExternalIdTaken(e: unknown): boolean {
  return clientError(e) && codes(e).includes("external_id_already_used");
}

/** WorkOS refused `password_hash` / `password_hash_type` ("Invalid password hash type", seed 002). */
export function isPasswordHashRejected(e: unknown): boolean {
  if (!clientError(e)) return false;
  if (errorItems(e).some((x) => x.field === "password_hash" || x.field === "password_hash_type")) return true;
  if (codes(e).some((c) => c.startsWith("password_hash"))) return true;
  return /password[ _]hash/i.test(String(e.meta.providerMessage ?? ""));
}

export function isInvalidEmail(e: unknown): boolean {
  if (!clientError(e)) return false;
  return errorItems(e).some((x) => x.field === "email") || codes(e).some((c) => c === "email_invalid" || c === "invalid_email");
}

/** "already a member" (message-matched as workos-migrations does) or a membership-exists code. */
export function isAlreadyMember(e: unknown): boolean {
  if (!clientError(e)) return false;
  return codes(e).some((c) => c.includes("membership_already_exists") || c === "already_member") || /already a member/i.test(String(e.meta.providerMessage ?? ""));
}

/** Short machine reason for a non-retryable WorkOS error: `workos_<code>` or `workos_http_<status>`. */
export function reasonOf(e: unknown): string {
  if (!isAuthmigrateError(e)) return "workos_error";
  if (e.code !== "TARGET_HTTP_ERROR") return e.code.toLowerCase();
  const items = errorItems(e).map((x) => x.code).filter(Boolean);
  const code = items[0] ?? (e.meta.providerCode as string | undefined);
  return code ? `workos_${String(code).replace(/[^a-z0-9_]/gi, "_").toLowerCase()}` : `workos_http_${String(e.meta.status)}`;
}
