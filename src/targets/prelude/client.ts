import { AuthmigrateError, isAuthmigrateError } from "../../errors.js";
import { HttpClient, type RateLimiter } from "../http/client.js";
import type { CreateUserBody, PreludeIdentifier, PreludeProfile, PreludeUser } from "./map.js";
import type { PreludeTargetOptions } from "./options.js";

/**
 * Typed calls of the Prelude Session/Auth Management API (targets.md §4.1, seed 003), all under
 * `/v2/session/apps/{appID}` with `Authorization: Bearer <management key>`. Failures are the
 * HttpClient's AuthmigrateErrors (`meta.status`, `meta.providerCode`, `meta.providerMessage`, `retryable`).
 */

/** `batch_lookup` takes at most 100 external ids / emails per call (targets.md §0, §4.1). */
export const BATCH_LOOKUP_MAX = 100;

export type PreludeErrorName = "NotFound" | "AlreadyExists" | "IdentifierAlreadyExists" | "ExternalIDAlreadyExists";

/**
 * Whether an error is the named Prelude error. The wire format is not public (targets.md §4.3):
 * match `code` (or `error`/`name`) exactly, else the name inside the message.
 */
export function isPreludeError(e: unknown, name: PreludeErrorName): boolean {
  if (!isAuthmigrateError(e) || e.code !== "TARGET_HTTP_ERROR") return false;
  const code = typeof e.meta.providerCode === "string" ? e.meta.providerCode : "";
  if (code) return code.replace(/[\s_-]/g, "").toLowerCase() === name.toLowerCase();
  const msg = typeof e.meta.providerMessage === "string" ? e.meta.providerMessage : "";
  return new RegExp(`\\b${name}\\b`).test(msg);
}

export const isStatus = (e: unknown, status: number): boolean => isAuthmigrateError(e) && e.meta.status === status;

export class PreludeApi {
  readonly http: HttpClient;
  private readonly prefix: string;

  constructor(opts: PreludeTargetOptions, limiter: RateLimiter | undefined, signal?: AbortSignal, fetchImpl?: typeof fetch) {
    this.http = new HttpClient({
      name: "prelude",
      baseUrl: opts.baseUrl,
      headers: { authorization: `Bearer ${opts.apiKey}` },
      timeoutMs: opts.timeoutMs,
      ...(limiter ? { limiter } : {}),
      ...(signal ? { signal } : {}),
      ...(fetchImpl ? { fetch: fetchImpl } : {}),
      isDuplicate: (e) => isPreludeError(e, "ExternalIDAlreadyExists") || isPreludeError(e, "IdentifierAlreadyExists") || isPreludeError(e, "AlreadyExists"),
    });
    this.prefix = `/v2/session/apps/${encodeURIComponent(opts.appId)}`;
  }

  private users(rest = ""): string {
    return `${this.prefix}/users${rest}`;
  }

  /** create-user: profile + identifiers in one call (seed 003 step 3.5). Docs: 201 `{id}`. */
  async createUser(body: CreateUserBody): Promise<{ id: string }> {
    const res = await this.http.post<{ id?: unknown; user?: { id?: unknown } }>(this.users(), body);
    const id = typeof res.body?.id === "string" ? res.body.id : typeof res.body?.user?.id === "string" ? res.body.user.id : undefined;
    // Retryable: the user may exist now; the re-sent create then resolves it by external_id.
    if (!id) throw new AuthmigrateError("TARGET_BAD_RESPONSE", "prelude POST /users answered without an id", { retryable: true, meta: { status: res.status } });
    return { id };
  }

  /** `POST /users/batch_lookup` with ≤100 external ids and/or ≤100 emails. */
  async batchLookup(q: { external_ids?: string[]; emails?: string[] }): Promise<PreludeUser[]> {
    const res = await this.http.post<{ users?: PreludeUser[] }>(this.users("/batch_lookup"), q);
    return res.body?.users ?? [];
  }

  /** `GET /users/{id}`; undefined on 404. */
  async getUser(id: string): Promise<PreludeUser | undefined> {
    try {
      const res = await this.http.get<{ user?: PreludeUser } & Partial<PreludeUser>>(this.users(`/${encodeURIComponent(id)}`));
      return res.body?.user ?? (typeof res.body?.id === "string" ? (res.body as PreludeUser) : undefined);
    } catch (e) {
      if (isStatus(e, 404)) return undefined;
      throw e;
    }
  }

  /** One page of list-users (ASSUMED query: `limit`, `cursor`; answer `{users, next_cursor}`). */
  async listUsers(cursor?: string, limit = 100): Promise<{ users: PreludeUser[]; next_cursor?: string | null }> {
    const res = await this.http.get<{ users?: PreludeUser[]; next_cursor?: string | null }>(this.users(), { query: { limit, cursor } });
    return { users: res.body?.users ?? [], next_cursor: res.body?.next_cursor ?? null };
  }

  /** list-users filtered by one identifier (ASSUMED query names `identifier_type` / `identifier_value`). */
  async findByIdentifier(identifier: PreludeIdentifier): Promise<PreludeUser | undefined> {
    const res = await this.http.get<{ users?: PreludeUser[] }>(this.users(), { query: { identifier_type: identifier.type, identifier_value: identifier.value, limit: 1 } });
    return res.body?.users?.[0];
  }

  async patchProfile(id: string, profile: PreludeProfile): Promise<void> {
    await this.http.patch(this.users(`/${encodeURIComponent(id)}/profile`), profile);
  }

  async addIdentifier(id: string, identifier: PreludeIdentifier): Promise<void> {
    await this.http.post(this.users(`/${encodeURIComponent(id)}/identifiers`), identifier);
  }

  /** delete-identifier: `{type, value}` in the body (the path has no identifier id). */
  async deleteIdentifier(id: string, identifier: PreludeIdentifier): Promise<void> {
    await this.http.delete(this.users(`/${encodeURIComponent(id)}/identifiers`), { json: identifier });
  }

  /** update-external-id (204). */
  async setExternalId(id: string, externalId: string): Promise<void> {
    await this.http.put(this.users(`/${encodeURIComponent(id)}/external_id`), { external_id: externalId });
  }

  /** delete-user; false when already gone (NotFound). */
  async deleteUser(id: string): Promise<boolean> {
    try {
      await this.http.delete(this.users(`/${encodeURIComponent(id)}`));
      return true;
    } catch (e) {
      if (isStatus(e, 404) || isPreludeError(e, "NotFound")) return false;
      throw e;
    }
  }
}
