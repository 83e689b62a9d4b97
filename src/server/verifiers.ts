/**
 * Legacy verifiers: "is this the right password for this identifier, and who is it?".
 * `invalid` and `unknown_user` are distinct here (for the ledger and logs); the HTTP layer answers
 * both the same way. A legacy outage throws LegacyUnavailableError — never "wrong password".
 */
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from "jose";
import type { Config } from "../config/schema.js";
import { nativeHash, verifyPassword } from "../hashes/index.js";
import { mapUser, readField } from "../mapping/map-user.js";
import type { MigrationUser } from "../model/user.js";
import { normalizeEmail } from "../mapping/normalize.js";
import { LegacyUnavailableError } from "./errors.js";
import type { LegacyLookup } from "./legacy-lookup.js";
import type { OidcLegacyConfig } from "./config.js";

export type VerifyResult = { status: "ok"; user: MigrationUser } | { status: "invalid" } | { status: "unknown_user" };

export interface LegacyVerifier {
  verify(identifier: string, password: string): Promise<VerifyResult>;
  close?(): Promise<void>;
}

/** Resolves a legacy user without a password (Auth0 Get User, Prelude token → user). */
export interface LegacyResolver {
  findUser(by: "email" | "externalId" | "identifier", value: string): Promise<MigrationUser | undefined>;
}

/**
 * Legacy database + hash engine: the row is found by the mapped email column (or the username
 * column when the identifier has no `@`), mapped with the same config as the bulk run, and the
 * password checked with `verifyPassword`.
 */
export class DbVerifier implements LegacyVerifier, LegacyResolver {
  constructor(
    private readonly config: Config,
    private readonly lookup: LegacyLookup,
  ) {}

  async findUser(by: "email" | "externalId" | "identifier", value: string): Promise<MigrationUser | undefined> {
    const f = this.config.mapping.fields;
    const v = value.trim();
    if (!v) return undefined;
    let column: string;
    let ci = true;
    if (by === "externalId") {
      column = f.externalId;
      ci = false;
    } else if (by === "identifier" && !v.includes("@") && f.username) column = f.username;
    else column = f.email;
    const rows = await this.lookup.find(column, v, { ci, limit: 10 });
    const row = this.pick(rows);
    if (!row) return undefined;
    const mapped = await mapUser({ row, location: "serve" }, { mapping: this.config.mapping, validation: this.config.validation, hashes: this.config.hashes });
    if (!mapped.user || mapped.skipped !== undefined) return undefined;
    if (mapped.issues.some((i) => i.severity === "error")) return undefined;
    if (mapped.user.status === "disabled") return undefined;
    return mapped.user;
  }

  /** Several legacy rows for one email: the same record the bulk run's duplicate policy keeps. */
  private pick(rows: Record<string, unknown>[]): Record<string, unknown> | undefined {
    if (rows.length <= 1) return rows[0];
    const keep = this.config.validation.duplicates.keep;
    if (keep === "fail") return undefined;
    if (keep === "latest-login") {
      const col = this.config.mapping.fields.lastLoginAt;
      const t = (r: Record<string, unknown>): number => {
        const raw = readField(r, col);
        const ms = raw instanceof Date ? raw.getTime() : raw === null || raw === undefined ? NaN : Date.parse(String(raw));
        return Number.isNaN(ms) ? -Infinity : ms;
      };
      return rows.reduce((best, r) => (t(r) > t(best) ? r : best));
    }
    return rows[0];
  }

  async verify(identifier: string, password: string): Promise<VerifyResult> {
    const user = await this.findUser("identifier", identifier);
    if (!user) {
      await dummyWork(password);
      return { status: "unknown_user" };
    }
    if (user.credential.kind !== "hash") {
      await dummyWork(password);
      return { status: "invalid" };
    }
    let ok = false;
    try {
      ok = await verifyPassword(password, { format: user.credential.format, value: user.credential.value, params: user.credential.params });
    } catch (e) {
      // Unparseable or unsupported legacy hash: the user cannot be verified here (a reset is needed).
      // Anything else (a hash worker that died, the pool closing) is an outage: answering "wrong
      // password" would tell a user with the right one otherwise, and count towards their lockout.
      if (!HASH_PROBLEMS.has((e as { code?: string }).code ?? "")) throw new LegacyUnavailableError("password verification is temporarily unavailable", { cause: e });
      ok = false;
    }
    return ok ? { status: "ok", user } : { status: "invalid" };
  }
}

/** Errors that are about the stored hash itself: that user can never be verified here. */
const HASH_PROBLEMS = new Set(["HASH_UNSUPPORTED_FORMAT", "HASH_PARSE_ERROR", "HASH_PARAMS_TOO_EXPENSIVE", "HASH_AMBIGUOUS_FORMAT", "HASH_UNVERIFIABLE", "HASH_BAD_INPUT"]);

/** Roughly equal time for unknown users and known ones, so timing does not reveal existence. */
let dummyHash: Promise<string> | undefined;
async function dummyWork(password: string): Promise<void> {
  try {
    dummyHash ??= nativeHash("authmigrate-dummy", 10);
    await verifyPassword(password, { format: "bcrypt", value: await dummyHash, params: {} });
  } catch {
    // ignore
  }
}

interface Discovery {
  token_endpoint: string;
  jwks_uri: string;
}

/**
 * Legacy IdP via the OAuth2 password grant (Auth0 tenant→tenant, Keycloak direct access grants):
 * POST the token endpoint; on 200 the profile comes from the id_token, verified against the
 * issuer's JWKS (iss, aud = client id, exp). 400/401/403 = invalid credentials; network error or
 * 5xx = LegacyUnavailableError. A password grant cannot tell "unknown user" from "wrong password".
 */
export class OidcPasswordVerifier implements LegacyVerifier {
  private discovery: Promise<Discovery> | undefined;
  private jwks: ReturnType<typeof createRemoteJWKSet> | undefined;

  constructor(
    private readonly opts: OidcLegacyConfig,
    private readonly fetchImpl: typeof fetch = fetch,
    private readonly timeoutMs = 4000,
  ) {}

  private endpoints(): Promise<Discovery> {
    if (this.opts.tokenEndpoint && this.opts.jwksUri) return Promise.resolve({ token_endpoint: this.opts.tokenEndpoint, jwks_uri: this.opts.jwksUri });
    this.discovery ??= (async () => {
      const url = `${this.opts.issuer.replace(/\/+$/, "")}/.well-known/openid-configuration`;
      const res = await this.call(url, { method: "GET" });
      if (!res.ok) throw new LegacyUnavailableError(`legacy discovery answered ${res.status}`);
      const d = (await res.json()) as Partial<Discovery>;
      if (!d.token_endpoint || !d.jwks_uri) throw new LegacyUnavailableError("legacy discovery lacks token_endpoint/jwks_uri");
      return { token_endpoint: this.opts.tokenEndpoint ?? d.token_endpoint, jwks_uri: this.opts.jwksUri ?? d.jwks_uri };
    })().catch((e: unknown) => {
      this.discovery = undefined;
      throw e;
    });
    return this.discovery;
  }

  private async call(url: string, init: RequestInit): Promise<Response> {
    try {
      return await this.fetchImpl(url, { ...init, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (e) {
      throw new LegacyUnavailableError(`legacy IdP unreachable: ${(e as { cause?: { code?: string } }).cause?.code ?? (e as Error).name}`, { cause: e });
    }
  }

  async verify(identifier: string, password: string): Promise<VerifyResult> {
    const { token_endpoint, jwks_uri } = await this.endpoints();
    const body = new URLSearchParams({ grant_type: this.opts.grantType, username: identifier, password, client_id: this.opts.clientId, scope: this.opts.scope });
    if (this.opts.clientSecret) body.set("client_secret", this.opts.clientSecret);
    if (this.opts.realm) body.set("realm", this.opts.realm);
    if (this.opts.audience) body.set("audience", this.opts.audience);
    const res = await this.call(token_endpoint, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" }, body });
    if (res.status >= 500 || res.status === 429) throw new LegacyUnavailableError(`legacy token endpoint answered ${res.status}`);
    if (res.status !== 200) {
      await res.body?.cancel().catch(() => {});
      return { status: "invalid" };
    }
    const tokens = (await res.json().catch(() => ({}))) as { id_token?: unknown };
    if (typeof tokens.id_token !== "string") throw new LegacyUnavailableError("legacy token endpoint returned no id_token");
    this.jwks ??= createRemoteJWKSet(new URL(jwks_uri), { timeoutDuration: this.timeoutMs });
    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(tokens.id_token, this.jwks, { issuer: this.opts.issuer, audience: this.opts.clientId }));
    } catch (e) {
      const code = (e as { code?: string }).code ?? "";
      if (/JWKS_TIMEOUT|ERR_JOSE_GENERIC/.test(code) || /fetch|network/i.test((e as Error).message)) throw new LegacyUnavailableError("legacy JWKS unavailable", { cause: e });
      // A token we cannot verify is not a login we can accept.
      return { status: "invalid" };
    }
    return { status: "ok", user: userFromClaims(claims, this.opts.externalIdClaim) };
  }
}

/** Canonical user from OIDC standard claims (+ Auth0 tenant→tenant namespaced metadata claims). */
export function userFromClaims(c: JWTPayload & Record<string, unknown>, externalIdClaim = "sub"): MigrationUser {
  const s = (k: string): string | undefined => (typeof c[k] === "string" && (c[k] as string) !== "" ? (c[k] as string) : undefined);
  const email = normalizeEmail(c.email);
  const um = c["https://migrationapp/user_metadata"];
  const am = c["https://migrationapp/app_metadata"];
  const profile = {
    ...(s("given_name") ? { givenName: s("given_name")! } : {}),
    ...(s("family_name") ? { familyName: s("family_name")! } : {}),
    ...(s("name") ? { displayName: s("name")! } : {}),
    ...(s("picture") ? { picture: s("picture")! } : {}),
    ...(s("locale") ? { locale: s("locale")! } : {}),
  };
  // Not `nickname`: Auth0 fills it from the email's local part, and a username must be one the user chose.
  const username = s("preferred_username");
  return {
    externalId: String(c[externalIdClaim] ?? c.sub),
    ...(email ? { email } : {}),
    emailVerified: c.email_verified === true,
    extraEmails: [],
    phones: typeof c.phone_number === "string" && /^\+[1-9]\d{1,14}$/.test(c.phone_number) ? [c.phone_number] : [],
    ...(username ? { username } : {}),
    profile,
    credential: { kind: "none" },
    identities: [],
    mfa: [],
    memberships: [],
    metadata: {
      ...(um && typeof um === "object" ? { user_metadata: um } : {}),
      ...(am && typeof am === "object" ? { app_metadata: am } : {}),
    },
    status: "active",
  };
}
