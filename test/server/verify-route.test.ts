import { rmSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openLedger, targetKey } from "../../src/ledger/index.js";
import { createServer } from "../../src/server/app.js";
import { LazyRecorder } from "../../src/server/lazy.js";
import { openLegacyLookup, type LegacyLookup } from "../../src/server/legacy-lookup.js";
import { signBody } from "../../src/server/security.js";
import { DbVerifier } from "../../src/server/verifiers.js";
import { closePool, getPool } from "../../src/hashes/index.js";
import { ALICE_PW, bearer, captureLogs, fixture, SECRET, type Fixture } from "./fixtures.js";

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

function build(f: Fixture, extra: Parameters<typeof createServer>[0] extends infer O ? Partial<O> : never = {}) {
  const lookup: LegacyLookup = openLegacyLookup(f.config, f.dir);
  closers.push(() => lookup.close());
  const verifier = new DbVerifier(f.config, lookup);
  const logs = captureLogs();
  const app = createServer({ serve: f.config.serve!, verifier, resolver: verifier, log: logs.log, ...extra });
  return { app, logs, verifier };
}

const post = (body: unknown, headers = bearer()) => ({ method: "POST", headers, body: typeof body === "string" ? body : JSON.stringify(body) });

describe("POST /hooks/verify", () => {
  it("returns the mapped user for the right password (email matched case-insensitively)", async () => {
    const { app } = build(fixture());
    const res = await app.request("/hooks/verify", post({ identifier: "alice@example.COM ", password: ALICE_PW }));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { user: Record<string, unknown> };
    expect(body.user).toMatchObject({ externalId: "1", email: "alice@example.com", profile: { givenName: "Alice", familyName: "Liddell" } });
    expect(JSON.stringify(body)).not.toMatch(/\$2[aby]\$/);
    expect(res.headers.get("cache-control")).toBe("no-store");
  });

  it("answers wrong password, unknown user, user without hash and disabled user with the same 401 body", async () => {
    const { app } = build(fixture());
    const bodies = [];
    for (const [identifier, password] of [
      ["alice@example.com", "wrong"],
      ["nobody@example.com", ALICE_PW],
      ["nohash@example.com", "x"],
      ["gone@example.com", "whatever-pw"],
    ]) {
      const res = await app.request("/hooks/verify", post({ identifier, password }));
      expect(res.status).toBe(401);
      bodies.push(await res.text());
    }
    expect(new Set(bodies).size).toBe(1);
    expect(bodies[0]).toContain("invalid_credentials");
  });

  it("400 on a malformed body, 404 on a disabled route", async () => {
    const { app } = build(fixture());
    expect((await app.request("/hooks/verify", post("not json"))).status).toBe(400);
    expect((await app.request("/hooks/verify", post({ identifier: "a@b.c" }))).status).toBe(400);
    expect((await app.request("/hooks/kratos/password-migration", post({ identifier: "a@b.c", password: "x" }))).status).toBe(404);
  });

  it("503 legacy_unavailable when the legacy DB is gone — never 401", async () => {
    const f = fixture();
    const { app } = build(f);
    rmSync(path.join(f.dir, "legacy.db"));
    const res = await app.request("/hooks/verify", post({ identifier: "alice@example.com", password: ALICE_PW }));
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: "legacy_unavailable" });
    expect(res.headers.get("retry-after")).toBeTruthy();
  });

  it("503 (not 401, no lockout) when the hash workers are unavailable; the right password works once they are back", async () => {
    const { app } = build(fixture());
    // The process-wide pool, closed under the hook's feet (what a crashed or shutting-down pool answers).
    await getPool().close();
    try {
      for (let i = 0; i < 8; i++) {
        const res = await app.request("/hooks/verify", post({ identifier: "alice@example.com", password: ALICE_PW }));
        expect(res.status).toBe(503);
        expect(await res.json()).toMatchObject({ error: "legacy_unavailable" });
      }
    } finally {
      await closePool();
    }
    // Eight outages did not count as eight wrong passwords: no lockout.
    expect((await app.request("/hooks/verify", post({ identifier: "alice@example.com", password: ALICE_PW }))).status).toBe(200);
  });

  it("GET /healthz needs no secret and lists the routes", async () => {
    const { app } = build(fixture());
    const res = await app.request("/healthz");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "ok", routes: ["GET /healthz", "POST /hooks/verify"] });
  });
});

describe("hook security", () => {
  it("requires the shared secret (Bearer, constant-time compare)", async () => {
    const { app } = build(fixture());
    const body = { identifier: "alice@example.com", password: ALICE_PW };
    expect((await app.request("/hooks/verify", post(body, { "content-type": "application/json" }))).status).toBe(401);
    expect((await app.request("/hooks/verify", post(body, { authorization: "Bearer nope" }))).status).toBe(401);
    expect((await app.request("/hooks/verify", post(body, { authorization: `Bearer ${SECRET}x` }))).status).toBe(401);
    expect((await app.request("/hooks/verify", post(body, { authorization: SECRET }))).status).toBe(401);
    expect((await app.request("/hooks/verify", post(body))).status).toBe(200);
  });

  it("accepts a fresh HMAC-SHA256 signature over the raw body; rejects stale, tampered and wrong-key ones", async () => {
    const { app } = build(fixture());
    const raw = JSON.stringify({ identifier: "alice@example.com", password: ALICE_PW });
    const h = (sig: string) => ({ "content-type": "application/json", "x-authmigrate-signature": sig });
    expect((await app.request("/hooks/verify", { method: "POST", headers: h(signBody(SECRET, raw)), body: raw })).status).toBe(200);
    const stale = signBody(SECRET, raw, Math.floor(Date.now() / 1000) - 3600);
    expect((await app.request("/hooks/verify", { method: "POST", headers: h(stale), body: raw })).status).toBe(401);
    const sig = signBody(SECRET, raw);
    expect((await app.request("/hooks/verify", { method: "POST", headers: h(sig), body: raw.replace("alice", "bob") })).status).toBe(401);
    expect((await app.request("/hooks/verify", { method: "POST", headers: h(signBody("another-secret-0123456789", raw)), body: raw })).status).toBe(401);
    expect((await app.request("/hooks/verify", { method: "POST", headers: h("t=1,v1=zz"), body: raw })).status).toBe(401);
  });

  it("API-key header auth (Kratos `auth.type: api_key`) when configured", async () => {
    const { app } = build(fixture({ auth: { apiKeyHeader: "X-Api-Key" } }));
    const body = { identifier: "alice@example.com", password: ALICE_PW };
    expect((await app.request("/hooks/verify", post(body, { "x-api-key": SECRET }))).status).toBe(200);
    expect((await app.request("/hooks/verify", post(body, { "x-api-key": "wrong" }))).status).toBe(401);
  });

  it("413 above the body limit", async () => {
    const { app } = build(fixture({ bodyLimitBytes: 256 }));
    const res = await app.request("/hooks/verify", post({ identifier: "alice@example.com", password: "x".repeat(1000) }));
    expect(res.status).toBe(413);
  });

  it("504 when a request exceeds the time limit", async () => {
    const f = fixture({ timeoutMs: 50 });
    const slow = { verify: () => new Promise<never>(() => {}) };
    const app = createServer({ serve: f.config.serve!, verifier: slow });
    const res = await app.request("/hooks/verify", post({ identifier: "alice@example.com", password: "x" }));
    expect(res.status).toBe(504);
  });

  it("locks an identifier out after repeated failures (429 + Retry-After), whether or not it exists", async () => {
    let t = 1_000_000;
    const { app } = build(fixture({ rateLimit: { perIdentifier: { max: 3, windowSec: 60, lockoutSec: 120 } } }), { now: () => t });
    for (const who of ["alice@example.com", "ghost@example.com"]) {
      for (let i = 0; i < 3; i++) expect((await app.request("/hooks/verify", post({ identifier: who, password: "bad" }))).status).toBe(401);
      const locked = await app.request("/hooks/verify", post({ identifier: who, password: "bad" }));
      expect(locked.status).toBe(429);
      expect(locked.headers.get("retry-after")).toBe("120");
    }
    // Even the right password waits out the lockout…
    expect((await app.request("/hooks/verify", post({ identifier: "ALICE@example.com", password: ALICE_PW }))).status).toBe(429);
    // …and works afterwards.
    t += 121_000;
    expect((await app.request("/hooks/verify", post({ identifier: "alice@example.com", password: ALICE_PW }))).status).toBe(200);
  });

  it("rate-limits per IP (trusted proxy header) with lockout", async () => {
    const { app } = build(fixture({ rateLimit: { perIp: { max: 2, windowSec: 60, lockoutSec: 30 }, trustProxy: true } }));
    const req = (ip: string) => app.request("/hooks/verify", post({ identifier: "alice@example.com", password: ALICE_PW }, bearer({ "x-forwarded-for": ip })));
    expect((await req("10.0.0.1")).status).toBe(200);
    expect((await req("10.0.0.1")).status).toBe(200);
    const r = await req("10.0.0.1");
    expect(r.status).toBe(429);
    expect(r.headers.get("retry-after")).toBe("30");
    expect((await req("10.0.0.2")).status).toBe(200);
  });

  it("never logs passwords, hashes, secrets or identifiers", async () => {
    const f = fixture({ rateLimit: { perIdentifier: { max: 1, windowSec: 60, lockoutSec: 60 } } });
    const ledger = openLedger(f.config.ledger.url, targetKey(f.config.target), f.dir);
    const recorder = new LazyRecorder({ ledger });
    closers.push(async () => {
      await recorder.close();
      await ledger.close();
    });
    const { app, logs } = build(f, { recorder });
    await app.request("/hooks/verify", post({ identifier: "alice@example.com", password: ALICE_PW }));
    await app.request("/hooks/verify", post({ identifier: "alice@example.com", password: "wrong-password-123" }));
    await app.request("/hooks/verify", post({ identifier: "alice@example.com", password: "wrong-password-456" }));
    await app.request("/hooks/verify", post({ identifier: "alice@example.com", password: ALICE_PW }, { authorization: "Bearer leaked-guess-secret" }));
    rmSync(path.join(f.dir, "legacy.db"));
    await app.request("/hooks/verify", post({ identifier: "bob@example.com", password: "bob-password-789" }));
    const all = logs.lines.join("\n");
    expect(logs.lines.length).toBeGreaterThanOrEqual(5);
    for (const secret of [ALICE_PW, "wrong-password-123", "wrong-password-456", "bob-password-789", SECRET, "leaked-guess-secret", f.aliceHash, "$2", "alice@example.com", "bob@example.com"]) {
      expect(all).not.toContain(secret);
    }
    expect(all).toContain('"outcome":"ok"');
    expect(all).toContain('"outcome":"invalid"');
  });
});
