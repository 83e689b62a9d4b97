/**
 * Dual-token verification for the migration window (seed 003 step 2, "Backend: accept both
 * tokens"). One detection strategy: the token's `iss`. A token naming the new provider is
 * verified only against the new provider's JWKS; one naming the legacy issuer only against the
 * legacy JWKS; any other issuer is rejected. Never "try both signers". Both branches resolve to
 * the same internal identity, and every success is counted in
 * `auth_path_total{type="session|legacy"}` so you can see when legacy traffic has drained.
 */
import { decodeJwt } from "jose";
import { Counter, register as globalRegistry, type Registry } from "prom-client";
import { TokenVerifier, bearerToken, type AuthResult, type Authenticator, type Claims, type Identity } from "./verifier.js";

export type TokenKind = "session" | "legacy";

export interface IssuerConfig {
  /** Exact `iss` of this system's tokens (trailing slashes are ignored in the configuration). */
  issuer: string;
  /** Expected `aud` (any of); omitted = not checked. */
  audience?: string | string[];
  /** Default `<issuer>/.well-known/openid-configuration`. */
  discoveryUrl?: string;
  /** Skip discovery. */
  jwksUri?: string;
  /** Default `["RS256"]`. */
  algorithms?: string[];
}

export type ResolveIdentity = (kind: TokenKind, claims: Claims) => Identity | null | undefined | Promise<Identity | null | undefined>;

export interface DualTokenVerifierOptions {
  /** The new provider (Prelude, Authgear, Cognito, …). */
  session: IssuerConfig;
  /** The legacy login system. */
  legacy: IssuerConfig;
  /**
   * Claim holding the internal user id when there is no `resolveIdentity`: default
   * `external_id` for session tokens (what the migration hook / backfill set) and `sub` for legacy ones.
   */
  identityClaim?: { session?: string; legacy?: string };
  /** Map verified claims to your internal identity (e.g. via the ledger's legacy-id → user mapping). null = unknown user (403). */
  resolveIdentity?: ResolveIdentity;
  /** Leeway for `exp` / `nbf` / `iat`, seconds; default 5. */
  clockSkewSec?: number;
  /** prom-client registry for `auth_path_total` (default prom-client's global registry); `false` = no metrics. */
  metrics?: { registry?: Registry } | false;
  cacheMaxAgeMs?: number;
  refetchCooldownMs?: number;
  fetch?: typeof fetch;
  now?: () => number;
}

export const AUTH_PATH_METRIC = "auth_path_total";

function authPathCounter(registry: Registry): Counter<"type"> {
  const existing = registry.getSingleMetric(AUTH_PATH_METRIC);
  if (existing) return existing as Counter<"type">;
  const c = new Counter({
    name: AUTH_PATH_METRIC,
    help: "Authenticated requests by token type (session = new provider, legacy = old system).",
    labelNames: ["type"] as const,
    registers: [registry],
  });
  // Both series exist from the start, so "legacy = 0" is visible rather than absent.
  c.inc({ type: "session" }, 0);
  c.inc({ type: "legacy" }, 0);
  return c;
}

const norm = (s: string) => s.replace(/\/+$/, "");

export class DualTokenVerifier implements Authenticator {
  private readonly verifiers: Record<TokenKind, TokenVerifier>;
  private readonly issuers: Record<TokenKind, string>;
  private readonly counter: Counter<"type"> | undefined;

  constructor(private readonly opts: DualTokenVerifierOptions) {
    this.issuers = { session: norm(opts.session.issuer), legacy: norm(opts.legacy.issuer) };
    if (this.issuers.session === this.issuers.legacy) throw new Error("DualTokenVerifier: session and legacy issuers must differ (the issuer decides which keys verify a token)");
    const common = {
      clockToleranceSec: opts.clockSkewSec ?? 5,
      ...(opts.cacheMaxAgeMs !== undefined ? { cacheMaxAgeMs: opts.cacheMaxAgeMs } : {}),
      ...(opts.refetchCooldownMs !== undefined ? { refetchCooldownMs: opts.refetchCooldownMs } : {}),
      ...(opts.fetch ? { fetch: opts.fetch } : {}),
      ...(opts.now ? { now: opts.now } : {}),
    };
    this.verifiers = { session: new TokenVerifier({ ...opts.session, ...common }), legacy: new TokenVerifier({ ...opts.legacy, ...common }) };
    this.counter = opts.metrics === false ? undefined : authPathCounter(opts.metrics?.registry ?? globalRegistry);
  }

  /** Which branch a token belongs to, by its (unverified) `iss`; null = not a JWT; "unknown" = other issuer. */
  detect(token: string): TokenKind | "unknown" | null {
    let iss: unknown;
    try {
      iss = decodeJwt(token).iss;
    } catch {
      return null;
    }
    if (iss === this.issuers.session) return "session";
    if (iss === this.issuers.legacy) return "legacy";
    return "unknown";
  }

  authenticate(authorization: string | string[] | undefined | null): Promise<AuthResult> {
    const t = bearerToken(authorization);
    return typeof t === "string" ? this.verify(t) : Promise.resolve(t);
  }

  /** Verify a token and resolve its identity; a token without a resolvable identity is refused (403). */
  verify(token: string): Promise<AuthResult> {
    return this.run(token, false);
  }

  /**
   * For the sign-up bootstrap route ONLY (seed 003 step 4): accepts new-provider tokens whose
   * identity is not set yet (no `external_id`), and refuses legacy tokens. Every other route must
   * use the verifier itself.
   */
  bootstrap(): Authenticator {
    return {
      authenticate: (authorization) => {
        const t = bearerToken(authorization);
        return typeof t === "string" ? this.run(t, true) : Promise.resolve(t);
      },
    };
  }

  private async run(token: string, bootstrap: boolean): Promise<AuthResult> {
    const kind = this.detect(token);
    if (kind === null) return { ok: false, status: 401, error: "undecodable_token" };
    if (kind === "unknown") return { ok: false, status: 403, error: "unknown_issuer" };
    if (bootstrap && kind !== "session") return { ok: false, status: 403, error: "session_token_required" };

    const r = await this.verifiers[kind].verify(token);
    if (!r.ok) return r;
    let identity: Identity | null | undefined;
    try {
      identity = await this.identityOf(kind, r.claims);
    } catch {
      return { ok: false, status: 503, error: "identity_unavailable" };
    }
    if (!identity && !bootstrap) return { ok: false, status: 403, error: kind === "session" ? "missing_identity" : "unknown_identity" };
    this.counter?.inc({ type: kind });
    return { ok: true, claims: r.claims, source: kind, token, ...(identity ? { identity } : {}) };
  }

  private async identityOf(kind: TokenKind, claims: Claims): Promise<Identity | null | undefined> {
    if (this.opts.resolveIdentity) {
      const id = await this.opts.resolveIdentity(kind, claims);
      return id && typeof id.userId === "string" && id.userId !== "" ? id : null;
    }
    const claim = this.opts.identityClaim?.[kind] ?? (kind === "session" ? "external_id" : "sub");
    const v = claims[claim];
    return typeof v === "string" && v !== "" ? { userId: v } : null;
  }
}

export function createDualTokenVerifier(opts: DualTokenVerifierOptions): DualTokenVerifier {
  return new DualTokenVerifier(opts);
}
