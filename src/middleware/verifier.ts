/**
 * Access-token verification for backends moving to Authgear (seed 001 step 4): RS256 JWTs checked
 * against the keys published at `/.well-known/openid-configuration` → `jwks_uri`, with a JWKS cache
 * that follows key rotation, issuer/audience checks, and optionally the legacy system's tokens
 * accepted alongside during the migration.
 */
import { decodeJwt, decodeProtectedHeader, importJWK, jwtVerify, type JWK, type JWTPayload } from "jose";

export type Claims = JWTPayload & Record<string, unknown>;

type VerifyKey = Awaited<ReturnType<typeof importJWK>>;

export interface LegacyVerifier {
  /** Claims of a valid legacy token, or null/undefined when it is not one (never throw for "invalid"). */
  verify(token: string): Claims | null | undefined | Promise<Claims | null | undefined>;
}

export interface TokenVerifierOptions {
  /** Authgear endpoint = issuer, e.g. `https://myapp.authgear.cloud`. Tokens must carry exactly this `iss`. */
  issuer: string;
  /** Expected `aud` (any of). Omitted = not checked (Authgear access tokens carry the endpoint as `aud`). */
  audience?: string | string[];
  /** Default `${issuer}/.well-known/openid-configuration`. */
  discoveryUrl?: string;
  /** Skip discovery and use this JWKS URL. */
  jwksUri?: string;
  /** Accepted algorithms; default RS256 only (as Authgear signs). */
  algorithms?: string[];
  /** Leeway for `exp`/`nbf`/`iat`, seconds; default 5. */
  clockToleranceSec?: number;
  /** Keys are refetched after this long even if every kid is known; default 10 minutes. */
  cacheMaxAgeMs?: number;
  /** An unknown `kid` triggers at most one refetch per this interval; default 30 s. */
  refetchCooldownMs?: number;
  /** Accept the old system's tokens too (rolling migration). */
  legacy?: LegacyVerifier;
  /** Injected fetch (tests); default global fetch. */
  fetch?: typeof fetch;
  /** Clock (ms), for tests. */
  now?: () => number;
}

/** The internal user a token stands for; identical whichever token type was presented. */
export interface Identity {
  userId: string;
  [key: string]: unknown;
}

export interface AuthContext {
  claims: Claims;
  /**
   * Which system issued the token: `authgear` / `legacy` from `TokenVerifier`, `session` / `legacy`
   * from `DualTokenVerifier`.
   */
  source: "authgear" | "session" | "legacy";
  token: string;
  /** Set by `DualTokenVerifier`: the internal identity (absent only on the sign-up bootstrap route). */
  identity?: Identity;
}

/** Anything the framework adapters can run: `TokenVerifier`, `DualTokenVerifier`, its `bootstrap()`. */
export interface Authenticator {
  authenticate(authorization: string | string[] | undefined | null): Promise<AuthResult>;
}

export type AuthResult =
  | ({ ok: true } & AuthContext)
  /** 401: no / malformed / undecodable token. 403: decodable but not valid (signature, kid, exp, iss, aud). 503: keys unavailable. */
  | { ok: false; status: 401 | 403 | 503; error: string };

interface KeyCache {
  keys: Map<string, VerifyKey>;
  /** Keys without `kid` (used only when the token has no kid either). */
  anonymous: (VerifyKey)[];
  fetchedAt: number;
}

export class TokenVerifier implements Authenticator {
  private readonly opts: TokenVerifierOptions;
  private readonly fetchImpl: typeof fetch;
  private readonly now: () => number;
  private jwksUri: string | undefined;
  private cache: KeyCache | undefined;
  private inflight: Promise<KeyCache> | undefined;
  private lastFetchAt = -Infinity;
  /** Number of JWKS downloads (observability / tests). */
  jwksFetches = 0;

  constructor(opts: TokenVerifierOptions) {
    this.opts = { ...opts, issuer: opts.issuer.replace(/\/+$/, "") };
    this.fetchImpl = opts.fetch ?? fetch;
    this.now = opts.now ?? Date.now;
    this.jwksUri = opts.jwksUri;
  }

  /** Verify an `Authorization` header value. */
  authenticate(authorization: string | string[] | undefined | null): Promise<AuthResult> {
    const t = bearerToken(authorization);
    return typeof t === "string" ? this.verify(t) : Promise.resolve(t);
  }

  async verify(token: string): Promise<AuthResult> {
    let header: { kid?: string; alg?: string } | undefined;
    let iss: string | undefined;
    try {
      header = decodeProtectedHeader(token);
      iss = decodeJwt(token).iss;
    } catch {
      header = undefined;
    }
    const ours = header !== undefined && (!this.opts.legacy || iss === this.opts.issuer);
    if (!ours && this.opts.legacy) {
      let claims: Claims | null | undefined;
      try {
        claims = await this.opts.legacy.verify(token);
      } catch {
        claims = null;
      }
      if (claims) return { ok: true, claims, source: "legacy", token };
      if (!header) return { ok: false, status: 401, error: "invalid_token" };
      return { ok: false, status: 403, error: "invalid_token" };
    }
    if (!header) return { ok: false, status: 401, error: "undecodable_token" };
    const algorithms = this.opts.algorithms ?? ["RS256"];
    if (!header.alg || !algorithms.includes(header.alg)) return { ok: false, status: 403, error: "unsupported_algorithm" };

    let key: VerifyKey | undefined;
    try {
      key = await this.keyFor(header.kid, header.alg);
    } catch {
      return { ok: false, status: 503, error: "jwks_unavailable" };
    }
    if (!key) return { ok: false, status: 403, error: "unknown_key" };
    try {
      const { payload } = await jwtVerify(token, key, {
        algorithms,
        issuer: this.opts.issuer,
        ...(this.opts.audience !== undefined ? { audience: this.opts.audience } : {}),
        clockTolerance: this.opts.clockToleranceSec ?? 5,
        currentDate: new Date(this.now()),
      });
      return { ok: true, claims: payload as Claims, source: "authgear", token };
    } catch (e) {
      const code = (e as { code?: string }).code;
      const error =
        code === "ERR_JWT_EXPIRED" ? "token_expired" : code === "ERR_JWS_SIGNATURE_VERIFICATION_FAILED" ? "bad_signature" : code === "ERR_JWT_CLAIM_VALIDATION_FAILED" ? `invalid_claim:${(e as { claim?: string }).claim ?? ""}` : "invalid_token";
      return { ok: false, status: 403, error };
    }
  }

  /** Signing key for `kid`: from the cache, else one (rate-limited) refetch for rotated keys. */
  private async keyFor(kid: string | undefined, alg: string): Promise<VerifyKey | undefined> {
    const maxAge = this.opts.cacheMaxAgeMs ?? 10 * 60_000;
    let cache = this.cache;
    if (!cache || this.now() - cache.fetchedAt > maxAge) cache = await this.load(alg);
    let key = pick(cache, kid);
    if (!key && this.now() - this.lastFetchAt >= (this.opts.refetchCooldownMs ?? 30_000)) {
      cache = await this.load(alg);
      key = pick(cache, kid);
    }
    return key;
  }

  private load(alg: string): Promise<KeyCache> {
    this.inflight ??= (async () => {
      try {
        this.lastFetchAt = this.now();
        const uri = await this.resolveJwksUri();
        this.jwksFetches++;
        const res = await this.fetchImpl(uri, { headers: { accept: "application/json" } });
        if (!res.ok) throw new Error(`JWKS ${res.status}`);
        const body = (await res.json()) as { keys?: JWK[] };
        const cache: KeyCache = { keys: new Map(), anonymous: [], fetchedAt: this.now() };
        for (const jwk of body.keys ?? []) {
          if (jwk.use && jwk.use !== "sig") continue;
          try {
            const k = await importJWK(jwk, jwk.alg ?? alg);
            if (jwk.kid) cache.keys.set(jwk.kid, k);
            else cache.anonymous.push(k);
          } catch {
            // a key we cannot use (other kty/alg) is skipped, not fatal
          }
        }
        this.cache = cache;
        return cache;
      } finally {
        this.inflight = undefined;
      }
    })();
    return this.inflight;
  }

  private async resolveJwksUri(): Promise<string> {
    if (this.jwksUri) return this.jwksUri;
    const url = this.opts.discoveryUrl ?? `${this.opts.issuer}/.well-known/openid-configuration`;
    const res = await this.fetchImpl(url, { headers: { accept: "application/json" } });
    if (!res.ok) throw new Error(`discovery ${res.status}`);
    const conf = (await res.json()) as { issuer?: string; jwks_uri?: string };
    // OpenID Connect Discovery §4.3: the document's issuer must be the one we asked.
    if (conf.issuer && conf.issuer.replace(/\/+$/, "") !== this.opts.issuer) throw new Error("discovery issuer mismatch");
    if (!conf.jwks_uri) throw new Error("discovery without jwks_uri");
    this.jwksUri = conf.jwks_uri;
    return conf.jwks_uri;
  }
}

/** The token of an `Authorization: Bearer <token>` header, or the 401 answer. */
export function bearerToken(authorization: string | string[] | undefined | null): string | Extract<AuthResult, { ok: false }> {
  const h = Array.isArray(authorization) ? authorization[0] : authorization;
  if (!h) return { ok: false, status: 401, error: "missing_token" };
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  if (!m) return { ok: false, status: 401, error: "malformed_authorization_header" };
  return m[1]!;
}

function pick(cache: KeyCache, kid: string | undefined): VerifyKey | undefined {
  if (kid) return cache.keys.get(kid);
  if (cache.keys.size + cache.anonymous.length === 1) return cache.anonymous[0] ?? [...cache.keys.values()][0];
  return undefined;
}

export function createTokenVerifier(opts: TokenVerifierOptions): TokenVerifier {
  return new TokenVerifier(opts);
}
