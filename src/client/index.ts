/**
 * `authmigrate/client`: the frontend auth interceptor of a lazy migration (seed 003 step 2).
 * A `fetch` wrapper that decides, per request, whether to send the legacy token or the new
 * provider's token, migrates the user's session once, and retries a revoked new-provider token
 * a single time. Browser-safe: no Node imports (only `fetch`, `Request`, `Headers`).
 *
 *   import { createMigratingFetch } from "authmigrate/client";
 *   const api = createMigratingFetch({
 *     flag: () => isSessionMigrationEnabled(),
 *     session,                                    // the new provider's SDK: refresh() / migrate()
 *     legacy: { getToken: () => oldAuth.getToken() },
 *   });
 *   await api("/api/me");
 *
 * See docs/client.md for the rules and their order.
 */
import { AuthmigrateError } from "../errors.js";

/** The new provider's session SDK, as far as the interceptor needs it. */
export interface SessionClient {
  /**
   * Cached access token without network, if the SDK has one. Not used for the decision (rule 2
   * says `refresh()` first, which returns the cached token while it is valid); accepted so an SDK
   * object can be passed as is.
   */
  getToken?(): Promise<string | null>;
  /**
   * The access token: the cached one while valid, else a network refresh. `null` = no session on
   * the new provider yet. `{ invalidate: true }` drops the cache first.
   */
  refresh(opts?: { invalidate?: boolean }): Promise<string | null>;
  /** Exchange a legacy token for a new-provider session (Prelude `session.migrate({ token })`). */
  migrate(legacyToken: string): Promise<void>;
}

export interface LegacyClient {
  /** The legacy system's current token. Throwing or returning an empty value → `LegacyUnavailableError`. */
  getToken(): Promise<string>;
}

/** What `fetch` accepts as its first argument (`RequestInfo | URL` in the DOM typings). */
export type FetchInput = string | URL | Request;

export type TokenKind = "session" | "legacy";

export interface ResolvedToken {
  token: string;
  kind: TokenKind;
}

export type MigrationEvent =
  | { type: "migrated" }
  | { type: "migration_failed"; error: unknown }
  | { type: "retry_401" }
  | { type: "legacy_fallback"; reason: "migration_failed" | "migration_cooldown" | "no_session_after_migrate" };

export interface MigratingFetchOptions {
  /** The fetch to wrap; default `globalThis.fetch`. */
  fetch?: typeof fetch;
  /** `isSessionMigrationEnabled()`; read on every request, so it can change at run time. */
  flag: () => boolean;
  session: SessionClient;
  legacy: LegacyClient;
  /**
   * Requests to the new provider itself (its `/refresh`, `/session/migration`, … when its SDK
   * uses this same fetch): passed through untouched, no token, no retry. Default: none.
   */
  isNewProviderRequest?: (request: Request) => boolean;
  /** Requests that get an `Authorization` header at all. Default: all (except `isNewProviderRequest`). */
  shouldAuthorize?: (request: Request) => boolean;
  /**
   * After a failed migration, requests within this window use the legacy token without calling
   * `migrate()` again (so a broken hook does not double every request's latency). Default 60 000 ms;
   * 0 = try again on the next request.
   */
  migrationRetryMs?: number;
  /** Observability hook (never receives tokens). */
  onEvent?: (e: MigrationEvent) => void;
  /** Clock (ms), for tests. */
  now?: () => number;
}

/** The legacy provider could not give a token: the UI must react (sign in again, show an error). */
export class LegacyUnavailableError extends AuthmigrateError {
  constructor(cause?: unknown) {
    super("LEGACY_UNAVAILABLE", "The legacy login system did not return a token", {
      hint: "Ask the user to sign in again; no request was sent without credentials.",
      retryable: true,
      ...(cause === undefined ? {} : { cause }),
    });
    this.name = "LegacyUnavailableError";
  }
}

export type MigratingFetch = ((input: FetchInput, init?: RequestInit) => Promise<Response>) & {
  /** The token (and its kind) the next request would carry; runs the migration if due. */
  resolveToken(): Promise<ResolvedToken>;
  /** Number of `migrate()` calls made so far (observability / tests). */
  readonly migrations: number;
};

export function createMigratingFetch(opts: MigratingFetchOptions): MigratingFetch {
  const baseFetch = opts.fetch ?? ((input: FetchInput, init?: RequestInit) => globalThis.fetch(input, init));
  const now = opts.now ?? (() => Date.now());
  const retryMs = opts.migrationRetryMs ?? 60_000;
  const emit = (e: MigrationEvent) => {
    try {
      opts.onEvent?.(e);
    } catch {
      // an observer must never break a request
    }
  };

  /** The single in-flight migration (the lock): every concurrent caller joins it. */
  let inflight: Promise<boolean> | undefined;
  /** Bumped on each successful migrate(); a request that saw "no session" before it skips migrating again. */
  let generation = 0;
  let failedAt = -Infinity;
  let migrations = 0;
  /** The single in-flight invalidating refresh: parallel 401s share one. */
  let invalidating: Promise<string | null> | undefined;

  async function legacyToken(): Promise<string> {
    let t: string | null | undefined;
    try {
      t = await opts.legacy.getToken();
    } catch (e) {
      throw new LegacyUnavailableError(e);
    }
    if (typeof t !== "string" || t === "") throw new LegacyUnavailableError();
    return t;
  }

  async function refresh(invalidate = false): Promise<string | null> {
    try {
      const t = await (invalidate ? opts.session.refresh({ invalidate: true }) : opts.session.refresh());
      return typeof t === "string" && t !== "" ? t : null;
    } catch {
      // a refresh that fails is "no usable session": the legacy path keeps the user signed in
      return null;
    }
  }

  /** A fresh token after `rejected` got a 401: another request's renewal if there was one, else one shared invalidating refresh. */
  async function renewAfter401(rejected: string): Promise<string | null> {
    if (invalidating) return invalidating;
    const current = await refresh();
    if (current && current !== rejected) return current;
    invalidating ??= refresh(true).finally(() => {
      invalidating = undefined;
    });
    return invalidating;
  }

  function migrateOnce(legacy: string): Promise<boolean> {
    inflight ??= (async () => {
      migrations++;
      try {
        await opts.session.migrate(legacy);
        generation++;
        emit({ type: "migrated" });
        return true;
      } catch (error) {
        failedAt = now();
        emit({ type: "migration_failed", error });
        return false;
      } finally {
        inflight = undefined;
      }
    })();
    return inflight;
  }

  async function resolveToken(): Promise<ResolvedToken> {
    // Rule 1: flag off → legacy token, behaviour unchanged.
    if (!opts.flag()) return { token: await legacyToken(), kind: "legacy" };
    // Rule 2: flag on → refresh() first (the SDK's cached token while valid).
    const seen = generation;
    const first = await refresh();
    if (first) return { token: first, kind: "session" };
    // Rule 3: no session → legacy token, migrate under the lock, refresh.
    const legacy = await legacyToken();
    let ok: boolean;
    if (generation !== seen) ok = true; // someone migrated while we were refreshing
    else if (inflight) ok = await inflight;
    else if (now() - failedAt < retryMs) {
      emit({ type: "legacy_fallback", reason: "migration_cooldown" });
      return { token: legacy, kind: "legacy" };
    } else ok = await migrateOnce(legacy);
    // Rule 4: migration failed → legacy token, never locked out.
    if (!ok) {
      emit({ type: "legacy_fallback", reason: "migration_failed" });
      return { token: legacy, kind: "legacy" };
    }
    const fresh = await refresh();
    if (fresh) return { token: fresh, kind: "session" };
    emit({ type: "legacy_fallback", reason: "no_session_after_migrate" });
    return { token: legacy, kind: "legacy" };
  }

  function withToken(req: Request, token: string): Request {
    const headers = new Headers(req.headers);
    headers.set("authorization", `Bearer ${token}`);
    return new Request(req, { headers });
  }

  const migratingFetch = async (input: FetchInput, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    if (opts.isNewProviderRequest?.(request)) return baseFetch(request);
    if (opts.shouldAuthorize && !opts.shouldAuthorize(request)) return baseFetch(request);

    const { token, kind } = await resolveToken();
    // Keep an unread copy of the body for the one retry a session token may get.
    const spare = kind === "session" ? request.clone() : undefined;
    const res = await baseFetch(withToken(request, token));
    // Rule 5: a 401 on a new-provider token → invalidate, refresh once, retry once. Never for
    // legacy tokens, never twice (the retry's answer is returned as is).
    if (res.status !== 401 || !spare) return res;
    const fresh = await renewAfter401(token);
    if (!fresh || fresh === token) return res;
    emit({ type: "retry_401" });
    await res.body?.cancel().catch(() => undefined);
    return baseFetch(withToken(spare, fresh));
  };

  return Object.defineProperties(migratingFetch, {
    resolveToken: { value: resolveToken },
    migrations: { get: () => migrations },
  }) as MigratingFetch;
}
