/**
 * Auth0 tenant → tenant Get User (seed 004 `get_user.js`, without its pitfalls): a client-credentials
 * token for the old tenant's Management API (cached until shortly before expiry), then user search v3
 * `email:"…" AND identities.connection:"…"`. The profile's id is the old `user_id`, the same value the
 * login path takes from the id_token's `sub`, so Auth0 sees one stable id per user.
 */
import type { MigrationUser } from "../model/user.js";
import { LegacyUnavailableError } from "./errors.js";
import type { OidcLegacyConfig } from "./config.js";
import type { LegacyResolver } from "./verifiers.js";
import { userFromClaims } from "./verifiers.js";

type Management = NonNullable<OidcLegacyConfig["management"]>;

interface OldTenantUser {
  user_id: string;
  email?: string;
  email_verified?: boolean;
  name?: string;
  nickname?: string;
  given_name?: string;
  family_name?: string;
  picture?: string;
  username?: string;
  blocked?: boolean;
  user_metadata?: Record<string, unknown>;
  app_metadata?: Record<string, unknown>;
}

/** Search v3 string literal: quotes and backslashes escaped so an email cannot change the query. */
const literal = (v: string): string => `"${v.replace(/[\\"]/g, (ch) => `\\${ch}`)}"`;

export class Auth0TenantResolver implements LegacyResolver {
  private readonly base: string;
  private readonly m: Management & { clientId: string; audience: string };
  private readonly clientSecret: string | undefined;
  private token: { value: string; expiresAt: number } | undefined;

  constructor(
    legacy: OidcLegacyConfig & { management: Management },
    private readonly fetchImpl: typeof fetch = fetch,
    private readonly timeoutMs = 4000,
  ) {
    this.base = (legacy.management.baseUrl ?? new URL(legacy.issuer).origin).replace(/\/+$/, "");
    this.m = { ...legacy.management, clientId: legacy.management.clientId ?? legacy.clientId, audience: legacy.management.audience ?? `${this.base}/api/v2/` };
    this.clientSecret = legacy.management.clientSecret ?? legacy.clientSecret;
  }

  private async call(path: string, init: RequestInit): Promise<Response> {
    try {
      return await this.fetchImpl(`${this.base}${path}`, { ...init, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (e) {
      throw new LegacyUnavailableError(`old tenant unreachable: ${(e as { cause?: { code?: string } }).cause?.code ?? (e as Error).name}`, { cause: e });
    }
  }

  private async accessToken(): Promise<string> {
    if (this.token && this.token.expiresAt > Date.now()) return this.token.value;
    const res = await this.call("/oauth/token", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ grant_type: "client_credentials", client_id: this.m.clientId, client_secret: this.clientSecret, audience: this.m.audience }),
    });
    if (!res.ok) throw new LegacyUnavailableError(`old tenant refused the Management API token (${res.status}): check management.clientId/clientSecret and that the app is authorised for read:users`);
    const body = (await res.json()) as { access_token?: string; expires_in?: number };
    if (!body.access_token) throw new LegacyUnavailableError("old tenant token response has no access_token");
    this.token = { value: body.access_token, expiresAt: Date.now() + Math.max(0, (body.expires_in ?? 60) - 60) * 1000 };
    return this.token.value;
  }

  private async get(path: string): Promise<Response> {
    for (let attempt = 0; ; attempt++) {
      const res = await this.call(path, { headers: { authorization: `Bearer ${await this.accessToken()}`, accept: "application/json" } });
      // An expired/revoked token: fetch a new one once.
      if (res.status === 401 && attempt === 0) {
        this.token = undefined;
        continue;
      }
      if (res.status === 429 || res.status >= 500) throw new LegacyUnavailableError(`old tenant Management API answered ${res.status}`);
      return res;
    }
  }

  async findUser(by: "email" | "externalId" | "identifier", value: string): Promise<MigrationUser | undefined> {
    const v = value.trim();
    if (!v) return undefined;
    let found: OldTenantUser | undefined;
    if (by === "externalId") {
      const res = await this.get(`/api/v2/users/${encodeURIComponent(v)}`);
      if (res.status === 404) return undefined;
      if (!res.ok) throw new LegacyUnavailableError(`old tenant user read answered ${res.status}`);
      found = (await res.json()) as OldTenantUser;
    } else {
      const field = by === "identifier" && !v.includes("@") ? "username" : "email";
      const q = `${field}:${literal(field === "email" ? v.toLowerCase() : v)} AND identities.connection:${literal(this.m.connection)}`;
      const res = await this.get(`/api/v2/users?${new URLSearchParams({ q, search_engine: "v3", per_page: "2" })}`);
      if (!res.ok) throw new LegacyUnavailableError(`old tenant user search answered ${res.status}`);
      found = ((await res.json()) as OldTenantUser[])[0];
    }
    if (!found || found.blocked) return undefined;
    return userFromClaims({
      sub: found.user_id,
      email: found.email,
      email_verified: found.email_verified === true,
      name: found.name,
      preferred_username: found.username,
      given_name: found.given_name,
      family_name: found.family_name,
      picture: found.picture,
      "https://migrationapp/user_metadata": found.user_metadata ?? {},
      "https://migrationapp/app_metadata": found.app_metadata ?? {},
    });
  }
}
