import { AuthmigrateError } from "../../errors.js";
import { AdaptiveRateLimiter } from "../../engine/rate-limiter.js";
import { HttpClient, type RateLimiter, type RequestOptions } from "../http/client.js";
import type { CalimaticTargetOptions } from "./options.js";

/**
 * Typed calls of the Calimatic Auth API (seed 000 + the simulator extensions listed in
 * docs/targets/calimatic.md). Every call goes through HttpClient: failures are AuthmigrateErrors
 * with `retryable`, `meta.status` and `meta.retryAfterMs`.
 */

/** Seed: "Rate limit: wait between batches" — 2 s. */
export const DEFAULT_IMPORTS_PER_SECOND = 0.5;

export interface Envelope<T> {
  success: boolean;
  data?: T;
  error?: unknown;
}

export interface CalimaticOrg {
  id: string;
  name?: string;
  slug: string;
}

export interface ImportItem {
  email: string;
  firstName: string;
  lastName: string;
  organizationId?: string;
  role?: string;
  externalId?: string;
  metadata?: Record<string, unknown>;
  passwordHash?: string;
  temporaryPassword?: string;
  /** Assumption (not in the seed): carries legacy-disabled users. */
  status?: "disabled";
}

export interface ImportRequestBody {
  users: ImportItem[];
  defaultApplications: string[];
  sendInviteEmails: boolean;
  skipExisting: boolean;
  defaultOrganizationId?: string;
}

export interface ImportResponse {
  total: number;
  created: number;
  updated: number;
  skipped: number;
  failed: number;
  message?: string;
  errors?: { email?: string; error?: string; index?: number }[];
  users?: { email?: string; userId?: string; status?: string }[];
}

/** The user as `resolve` returns it (seed: "organization, role, and license assignments"). */
export interface CalimaticUser {
  id: string;
  email?: string;
  firstName?: string;
  lastName?: string;
  externalId?: string | null;
  status?: string;
  organization?: { id: string; name?: string; slug?: string } | null;
  organizationId?: string | null;
  role?: string | null;
  licenses?: unknown[];
  metadata?: Record<string, unknown>;
  hasPassword?: boolean;
}

/** Evenly spaced requests (burst 1, like the seed's sleep between batches), adaptive on 429; 0 = unpaced. */
function spacedLimiter(perSecond: number): AdaptiveRateLimiter | undefined {
  return perSecond > 0 ? new AdaptiveRateLimiter({ requestsPerSecond: perSecond, burst: 1 }) : undefined;
}

export class CalimaticApi {
  private readonly http: HttpClient;
  private readonly importHttp: HttpClient;

  /**
   * `sharedLimiter` (the run's adaptive limiter) paces import calls unless `importsPerSecond` is
   * set; the other calls (resolve, reset, delete…) have their own `requestsPerSecond` pace, so
   * `verify` is not held to the import rate.
   */
  constructor(
    private readonly opts: CalimaticTargetOptions,
    signal?: AbortSignal,
    fetchImpl?: typeof fetch,
    sharedLimiter?: RateLimiter,
  ) {
    const baseUrl = opts.baseUrl.replace(/\/+$/, "").replace(/\/api\/v1$/, "") + "/api/v1";
    const common = {
      name: "calimatic",
      baseUrl,
      timeoutMs: opts.timeoutMs,
      ...(signal ? { signal } : {}),
      ...(fetchImpl ? { fetch: fetchImpl } : {}),
    };
    this.http = new HttpClient({ ...common, limiter: spacedLimiter(opts.requestsPerSecond) });
    const importLimiter = opts.importsPerSecond !== undefined ? spacedLimiter(opts.importsPerSecond) : (sharedLimiter ?? spacedLimiter(DEFAULT_IMPORTS_PER_SECOND));
    this.importHttp = new HttpClient({ ...common, limiter: importLimiter });
  }

  private client(): Record<string, string> {
    return { "x-client-id": this.opts.clientId, "x-client-secret": this.opts.clientSecret };
  }

  private apiKey(): Record<string, string> {
    if (!this.opts.apiKey) {
      throw new AuthmigrateError("CONFIG_INVALID", "target.apiKey is required to create Calimatic organizations", {
        hint: "set target.apiKey (e.g. ${CALIMATIC_API_KEY}), or create the organizations first and map tenants to their ids",
      });
    }
    return { "x-api-key": this.opts.apiKey };
  }

  private async call<T>(http: HttpClient, method: string, path: string, ro: RequestOptions): Promise<T> {
    const res = await http.request<Envelope<T>>(method, path, ro);
    const body = res.body;
    if (!body || typeof body !== "object" || body.success !== true || body.data === undefined) {
      throw new AuthmigrateError("TARGET_BAD_RESPONSE", `calimatic ${method} ${path.split("?")[0]} → ${res.status} without {success:true, data}`, {
        meta: { status: res.status, method, path },
        retryable: false,
      });
    }
    return body.data;
  }

  createOrg(org: { name: string; slug: string; domain?: string; type?: string; plan?: string }): Promise<CalimaticOrg> {
    return this.call(this.http, "POST", "/organizations", { json: org, headers: this.apiKey() });
  }

  async findOrgBySlug(slug: string): Promise<CalimaticOrg | undefined> {
    const data = await this.call<{ organizations?: CalimaticOrg[] } | CalimaticOrg[]>(this.http, "GET", "/organizations", { query: { slug }, headers: this.apiKey() });
    const list = Array.isArray(data) ? data : (data.organizations ?? []);
    return list.find((o) => o.slug === slug);
  }

  importUsers(body: ImportRequestBody): Promise<ImportResponse> {
    return this.call(this.importHttp, "POST", "/users/import", { json: body, headers: this.client() });
  }

  /** Seed: `GET /users/resolve?email=`; undefined on 404. */
  async resolve(email: string): Promise<CalimaticUser | undefined> {
    return this.orUndefined(() => this.call<CalimaticUser>(this.http, "GET", "/users/resolve", { query: { email }, headers: this.client() }));
  }

  /** Extension: `GET /users/{id}`; undefined on 404. */
  async getUser(id: string): Promise<CalimaticUser | undefined> {
    return this.orUndefined(() => this.call<CalimaticUser>(this.http, "GET", `/users/${encodeURIComponent(id)}`, { headers: this.client() }));
  }

  /** Extension: `GET /users?externalId=`. */
  async findByExternalId(externalId: string): Promise<CalimaticUser[]> {
    const data = await this.call<{ users?: CalimaticUser[] }>(this.http, "GET", "/users", { query: { externalId }, headers: this.client() });
    return data.users ?? [];
  }

  /** Extension: `DELETE /users/{id}`; false on 404. */
  async deleteUser(id: string): Promise<boolean> {
    return (await this.orUndefined(() => this.call<unknown>(this.http, "DELETE", `/users/${encodeURIComponent(id)}`, { headers: this.client() }))) !== undefined;
  }

  resetPassword(id: string): Promise<unknown> {
    return this.call(this.http, "POST", `/users/${encodeURIComponent(id)}/reset-password`, { headers: this.client() });
  }

  migrationStatus(): Promise<{ totalUsers: number; migrationProgress?: { migratedUsers: number; nativeUsers: number; migrationPercentage: number } }> {
    const headers = this.opts.sessionCookie ? { cookie: this.opts.sessionCookie } : this.client();
    return this.call(this.http, "GET", "/tools/migration-status", { headers });
  }

  /** `POST /auth/sign-in`: true on 200, false on 401/403; other failures throw. */
  async signIn(email: string, password: string): Promise<boolean> {
    const res = await this.http.request<Envelope<unknown>>("POST", "/auth/sign-in", { json: { email, password }, expect: [200, 401, 403] });
    return res.status === 200 && res.body?.success === true;
  }

  private async orUndefined<T>(fn: () => Promise<T>): Promise<T | undefined> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof AuthmigrateError && e.meta.status === 404) return undefined;
      throw e;
    }
  }
}
