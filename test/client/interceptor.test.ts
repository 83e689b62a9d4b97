import { describe, expect, it } from "vitest";
import { LegacyUnavailableError, createMigratingFetch, type FetchInput, type MigrationEvent, type SessionClient } from "../../src/client/index.js";

const API = "https://api.example.test";
const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

/** A fake new-provider SDK: no session until migrate() succeeds; tokens can be revoked server-side. */
function fakeSession(o: { migrateFails?: number; migrateDelayMs?: number; startWithSession?: boolean; refreshThrows?: boolean } = {}) {
  let failuresLeft = o.migrateFails ?? 0;
  let cached: string | null = o.startWithSession ? "sess-1" : null;
  let hasSession = !!o.startWithSession;
  let serial = 1;
  const calls = { refresh: 0, invalidations: 0, migrate: [] as string[] };
  const session: SessionClient & { calls: typeof calls; revoke(): void; endSession(): void } = {
    calls,
    async getToken() {
      return cached;
    },
    async refresh(opts) {
      calls.refresh++;
      await tick();
      if (o.refreshThrows) throw new Error("network down");
      if (opts?.invalidate) {
        calls.invalidations++;
        cached = null;
      }
      if (!hasSession) return null;
      cached ??= `sess-${++serial}`;
      return cached;
    },
    async migrate(legacyToken) {
      calls.migrate.push(legacyToken);
      await tick(o.migrateDelayMs ?? 5);
      if (failuresLeft > 0) {
        failuresLeft--;
        throw new Error("migration hook refused");
      }
      hasSession = true;
    },
    revoke() {
      // server-side revocation: the cached token still looks valid client-side
    },
    endSession() {
      hasSession = false;
      cached = null;
    },
  };
  return session;
}

/** A fake backend recording the Authorization header of each request. */
function fakeApi(rule: (auth: string | null, req: Request) => number = () => 200) {
  const seen: { auth: string | null; body: string }[] = [];
  const fetch = async (input: FetchInput, init?: RequestInit): Promise<Response> => {
    const req = new Request(input, init);
    const auth = req.headers.get("authorization");
    seen.push({ auth, body: await req.text() });
    return new Response(JSON.stringify({ ok: true }), { status: rule(auth, req) });
  };
  return { fetch: fetch as typeof globalThis.fetch, seen };
}

const legacyOk = { getToken: async () => "legacy-abc" };

describe("createMigratingFetch", () => {
  it("flag off → legacy token, the new provider is never touched", async () => {
    const session = fakeSession({ startWithSession: true });
    const api = fakeApi();
    const f = createMigratingFetch({ fetch: api.fetch, flag: () => false, session, legacy: legacyOk });
    expect((await f(`${API}/me`)).status).toBe(200);
    expect(api.seen).toEqual([{ auth: "Bearer legacy-abc", body: "" }]);
    expect(session.calls).toEqual({ refresh: 0, invalidations: 0, migrate: [] });
  });

  it("flag on with an existing session → refresh() first, new token, no legacy fetch, no migrate", async () => {
    const session = fakeSession({ startWithSession: true });
    const api = fakeApi();
    let legacyCalls = 0;
    const f = createMigratingFetch({ fetch: api.fetch, flag: () => true, session, legacy: { getToken: async () => (legacyCalls++, "legacy-abc") } });
    await f(`${API}/me`);
    expect(api.seen[0]!.auth).toBe("Bearer sess-1");
    expect(legacyCalls).toBe(0);
    expect(session.calls.migrate).toEqual([]);
  });

  it("flag on without a session → legacy token → migrate() → refresh() → new token; later requests skip the legacy path", async () => {
    const session = fakeSession();
    const api = fakeApi();
    const events: MigrationEvent[] = [];
    let legacyCalls = 0;
    const f = createMigratingFetch({
      fetch: api.fetch,
      flag: () => true,
      session,
      legacy: { getToken: async () => (legacyCalls++, "legacy-abc") },
      onEvent: (e) => events.push(e),
    });
    await f(`${API}/me`);
    expect(session.calls.migrate).toEqual(["legacy-abc"]);
    expect(api.seen[0]!.auth).toBe("Bearer sess-2");
    await f(`${API}/me`);
    expect(api.seen[1]!.auth).toBe("Bearer sess-2");
    expect(legacyCalls).toBe(1);
    expect(session.calls.migrate).toHaveLength(1);
    expect(events).toEqual([{ type: "migrated" }]);
  });

  it("20 parallel requests → exactly one migrate() call, all carry the new token", async () => {
    const session = fakeSession({ migrateDelayMs: 20 });
    const api = fakeApi();
    const f = createMigratingFetch({ fetch: api.fetch, flag: () => true, session, legacy: legacyOk });
    const res = await Promise.all(Array.from({ length: 20 }, (_, i) => f(`${API}/item/${i}`)));
    expect(res.every((r) => r.status === 200)).toBe(true);
    expect(session.calls.migrate).toHaveLength(1);
    expect(f.migrations).toBe(1);
    expect(new Set(api.seen.map((s) => s.auth))).toEqual(new Set(["Bearer sess-2"]));
  });

  it("a request whose refresh() saw 'no session' before another finished migrating does not migrate again", async () => {
    const session = fakeSession({ migrateDelayMs: 0 });
    const api = fakeApi();
    const f = createMigratingFetch({ fetch: api.fetch, flag: () => true, session, legacy: { getToken: async () => (await tick(15), "legacy-abc") } });
    const a = f(`${API}/a`);
    await tick(5);
    const b = f(`${API}/b`);
    await Promise.all([a, b]);
    expect(session.calls.migrate).toHaveLength(1);
    expect(api.seen.map((s) => s.auth)).toEqual(["Bearer sess-2", "Bearer sess-2"]);
  });

  it("migration failure → legacy token (never locked out); all joiners fall back; retried after the cooldown", async () => {
    let now = 0;
    const session = fakeSession({ migrateFails: 1, migrateDelayMs: 10 });
    const api = fakeApi();
    const events: MigrationEvent[] = [];
    const f = createMigratingFetch({ fetch: api.fetch, flag: () => true, session, legacy: legacyOk, migrationRetryMs: 1000, now: () => now, onEvent: (e) => events.push(e) });
    await Promise.all([f(`${API}/1`), f(`${API}/2`), f(`${API}/3`)]);
    expect(api.seen.map((s) => s.auth)).toEqual(Array(3).fill("Bearer legacy-abc"));
    expect(session.calls.migrate).toHaveLength(1);
    expect(events.filter((e) => e.type === "migration_failed")).toHaveLength(1);

    now = 500; // inside the cooldown: legacy, no new migrate()
    await f(`${API}/4`);
    expect(api.seen[3]!.auth).toBe("Bearer legacy-abc");
    expect(session.calls.migrate).toHaveLength(1);

    now = 2000; // after it: migrate again, this time it works
    await f(`${API}/5`);
    expect(session.calls.migrate).toHaveLength(2);
    expect(api.seen[4]!.auth).toBe("Bearer sess-2");
  });

  it("migrate() succeeds but refresh() still has no session → legacy token", async () => {
    const session = fakeSession();
    session.migrate = async () => undefined; // claims success, provides nothing
    const api = fakeApi();
    const f = createMigratingFetch({ fetch: api.fetch, flag: () => true, session, legacy: legacyOk });
    await f(`${API}/me`);
    expect(api.seen[0]!.auth).toBe("Bearer legacy-abc");
  });

  it("a refresh() that throws counts as 'no session' and goes down the legacy path", async () => {
    const session = fakeSession({ refreshThrows: true });
    const api = fakeApi();
    const f = createMigratingFetch({ fetch: api.fetch, flag: () => true, session, legacy: legacyOk });
    await f(`${API}/me`);
    expect(api.seen[0]!.auth).toBe("Bearer legacy-abc");
  });

  it("401 on a new-provider token → invalidate, refresh once, retry once with the same body", async () => {
    const session = fakeSession({ startWithSession: true });
    // sess-1 was revoked server-side; a refreshed token (sess-2) is accepted.
    const api = fakeApi((auth) => (auth === "Bearer sess-1" ? 401 : 200));
    const events: MigrationEvent[] = [];
    const f = createMigratingFetch({ fetch: api.fetch, flag: () => true, session, legacy: legacyOk, onEvent: (e) => events.push(e) });
    const res = await f(`${API}/orders`, { method: "POST", body: JSON.stringify({ n: 1 }), headers: { "content-type": "application/json" } });
    expect(res.status).toBe(200);
    expect(api.seen).toEqual([
      { auth: "Bearer sess-1", body: '{"n":1}' },
      { auth: "Bearer sess-2", body: '{"n":1}' },
    ]);
    expect(session.calls.invalidations).toBe(1);
    expect(events).toEqual([{ type: "retry_401" }]);
  });

  it("parallel 401s on the same revoked token share one invalidating refresh", async () => {
    const session = fakeSession({ startWithSession: true });
    const api = fakeApi((auth) => (auth === "Bearer sess-1" ? 401 : 200));
    const f = createMigratingFetch({ fetch: api.fetch, flag: () => true, session, legacy: legacyOk });
    const res = await Promise.all(Array.from({ length: 10 }, (_, i) => f(`${API}/p/${i}`)));
    expect(res.every((r) => r.status === 200)).toBe(true);
    expect(session.calls.invalidations).toBe(1);
    expect(api.seen.filter((s) => s.auth === "Bearer sess-2")).toHaveLength(10);
  });

  it("never loops: a second 401 is returned as is (one retry only)", async () => {
    const session = fakeSession({ startWithSession: true });
    const api = fakeApi(() => 401);
    const f = createMigratingFetch({ fetch: api.fetch, flag: () => true, session, legacy: legacyOk });
    expect((await f(`${API}/x`)).status).toBe(401);
    expect(api.seen).toHaveLength(2);
    expect(session.calls.invalidations).toBe(1);
  });

  it("no retry for a legacy token's 401 (flag off, or after a failed migration)", async () => {
    const api = fakeApi(() => 401);
    const off = createMigratingFetch({ fetch: api.fetch, flag: () => false, session: fakeSession(), legacy: legacyOk });
    expect((await off(`${API}/x`)).status).toBe(401);
    expect(api.seen).toHaveLength(1);

    const session = fakeSession({ migrateFails: 5 });
    const on = createMigratingFetch({ fetch: api.fetch, flag: () => true, session, legacy: legacyOk });
    expect((await on(`${API}/y`)).status).toBe(401);
    expect(api.seen).toHaveLength(2);
    expect(session.calls.invalidations).toBe(0);
  });

  it("401 and the invalidating refresh finds no session → the 401 is returned, no retry", async () => {
    const session = fakeSession({ startWithSession: true });
    const api = fakeApi(() => 401);
    const f = createMigratingFetch({ fetch: api.fetch, flag: () => true, session, legacy: legacyOk });
    const orig = session.refresh.bind(session);
    session.refresh = async (o) => {
      if (o?.invalidate) session.endSession();
      return orig(o);
    };
    expect((await f(`${API}/x`)).status).toBe(401);
    expect(api.seen).toHaveLength(1);
  });

  it("legacy fetch failure → LegacyUnavailableError, and no request is sent", async () => {
    const api = fakeApi();
    const broken = { getToken: async (): Promise<string> => Promise.reject(new Error("legacy down")) };
    const off = createMigratingFetch({ fetch: api.fetch, flag: () => false, session: fakeSession(), legacy: broken });
    await expect(off(`${API}/x`)).rejects.toBeInstanceOf(LegacyUnavailableError);
    const on = createMigratingFetch({ fetch: api.fetch, flag: () => true, session: fakeSession(), legacy: broken });
    await expect(on(`${API}/x`)).rejects.toMatchObject({ code: "LEGACY_UNAVAILABLE", name: "LegacyUnavailableError" });
    const empty = createMigratingFetch({ fetch: api.fetch, flag: () => false, session: fakeSession(), legacy: { getToken: async () => "" } });
    await expect(empty(`${API}/x`)).rejects.toBeInstanceOf(LegacyUnavailableError);
    expect(api.seen).toHaveLength(0);
  });

  it("the flag is read per request (ramp up / roll back at run time)", async () => {
    let flag = false;
    const session = fakeSession();
    const api = fakeApi();
    const f = createMigratingFetch({ fetch: api.fetch, flag: () => flag, session, legacy: legacyOk });
    await f(`${API}/1`);
    flag = true;
    await f(`${API}/2`);
    flag = false;
    await f(`${API}/3`);
    expect(api.seen.map((s) => s.auth)).toEqual(["Bearer legacy-abc", "Bearer sess-2", "Bearer legacy-abc"]);
  });

  it("requests to the new provider itself and unauthorised origins pass through untouched", async () => {
    const session = fakeSession();
    const api = fakeApi();
    const f = createMigratingFetch({
      fetch: api.fetch,
      flag: () => true,
      session,
      legacy: legacyOk,
      isNewProviderRequest: (r) => new URL(r.url).host === "app.session.example",
      shouldAuthorize: (r) => new URL(r.url).origin === API,
    });
    await f("https://app.session.example/v1/session/refresh", { method: "POST" });
    await f("https://cdn.example/x.js");
    expect(api.seen.map((s) => s.auth)).toEqual([null, null]);
    expect(session.calls.refresh).toBe(0);
  });

  it("resolveToken() exposes the decision for non-fetch transports", async () => {
    const f = createMigratingFetch({ fetch: fakeApi().fetch, flag: () => true, session: fakeSession({ startWithSession: true }), legacy: legacyOk });
    expect(await f.resolveToken()).toEqual({ token: "sess-1", kind: "session" });
  });
});
