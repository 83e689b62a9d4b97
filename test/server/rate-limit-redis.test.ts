/**
 * serve.rateLimit.redis: several serve instances share the hooks' per-identifier and per-IP
 * counters in the real Redis on this machine; with Redis unreachable each instance falls back to
 * its own counters and sign-ins keep working.
 */
import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { Redis } from "ioredis";
import { identifierKey } from "../../src/server/security.js";
import { createServer } from "../../src/server/app.js";
import { openLegacyLookup } from "../../src/server/legacy-lookup.js";
import { redisLimits, type SharedLimits } from "../../src/server/rate-store.js";
import { startService } from "../../src/server/service.js";
import { DbVerifier } from "../../src/server/verifiers.js";
import { ALICE_PW, bearer, captureLogs, fixture } from "./fixtures.js";

const REDIS = "redis://127.0.0.1:6379";
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

const rateLimit = { perIdentifier: { max: 3, windowSec: 60, lockoutSec: 60 }, perIp: { max: 6, windowSec: 60, lockoutSec: 60 }, trustProxy: true };

/** One "serve instance": its own app, legacy lookup and limiter connection, all on one legacy DB. */
async function instance(f: ReturnType<typeof fixture>) {
  const logs = captureLogs();
  const config = f.config;
  const url = config.serve!.rateLimit.redis!;
  const lookup = openLegacyLookup(config, f.dir);
  const limits: SharedLimits = redisLimits(url, config.serve!.rateLimit, logs.log);
  closers.push(() => lookup.close(), () => limits.close());
  await limits.ready;
  const verifier = new DbVerifier(config, lookup);
  const app = createServer({ serve: config.serve!, verifier, resolver: verifier, limits, log: logs.log });
  const verify = (identifier: string, password: string, ip: string) =>
    app.request("/hooks/verify", { method: "POST", headers: bearer({ "x-forwarded-for": ip }), body: JSON.stringify({ identifier, password }) });
  return { verify, logs };
}

describe("hook rate limits shared through Redis", () => {
  it("failures counted on one instance lock the identifier on the others; a success resets the count everywhere", async () => {
    const f = fixture({ rateLimit: { ...rateLimit, redis: REDIS } });
    // alice's keys are fixed (a real legacy user): start from a clean count, as after a quiet hour.
    // (The app limits on identifierKey(identifier); the store hashes whatever key it is given.)
    const r = new Redis(REDIS);
    await r.del(...["n", "lock"].map((s) => `authmigrate:rl:id:${identifierKey(identifierKey("alice@example.com"))}:${s}`));
    r.disconnect();
    const [a, b] = [await instance(f), await instance(f)];
    const ip = () => `10.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.1`;
    const who = `ghost-${randomUUID()}@example.com`;
    expect((await a.verify(who, "x", ip())).status).toBe(401);
    expect((await b.verify(who, "x", ip())).status).toBe(401);
    expect((await a.verify(who, "x", ip())).status).toBe(401);
    // The fourth failure, on instance b, crosses max = 3 (counted across both): locked on both.
    const locked = await b.verify(who, "x", ip());
    expect(locked.status).toBe(429);
    const onA = await a.verify(who, "x", ip());
    expect(onA.status).toBe(429);
    expect(Number(onA.headers.get("retry-after"))).toBeGreaterThan(50);

    // A success clears the (shared) count: two failures, a success elsewhere, three more failures allowed.
    expect((await a.verify("alice@example.com", "wrong", ip())).status).toBe(401);
    expect((await a.verify("alice@example.com", "wrong", ip())).status).toBe(401);
    expect((await b.verify("alice@example.com", ALICE_PW, ip())).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await a.verify("alice@example.com", "wrong", ip())).status).toBe(401);
    expect((await b.verify("alice@example.com", "wrong", ip())).status).toBe(429);
  });

  it("the per-IP budget is shared too", async () => {
    const f = fixture({ rateLimit: { ...rateLimit, redis: REDIS } });
    const [a, b] = [await instance(f), await instance(f)];
    const ip = `192.0.2.${Math.floor(Math.random() * 250)}-${randomUUID()}`;
    for (let i = 0; i < 6; i++) expect((await (i % 2 ? a : b).verify(`u${i}-${randomUUID()}@example.com`, "x", ip)).status).toBe(401);
    expect((await a.verify("alice@example.com", ALICE_PW, ip)).status).toBe(429);
    expect((await b.verify("alice@example.com", ALICE_PW, ip)).status).toBe(429);
  });

  it("Redis unreachable: sign-ins still work, each instance limits on its own, the outage is logged once without secrets", async () => {
    const f = fixture({ rateLimit: { ...rateLimit, redis: "redis://:hunter2-redis-pw@127.0.0.1:1" } });
    const a = await instance(f);
    expect((await a.verify("alice@example.com", ALICE_PW, "203.0.113.9")).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await a.verify("bob@example.com", "wrong", "203.0.113.9")).status).toBe(401);
    expect((await a.verify("bob@example.com", "wrong", "203.0.113.9")).status).toBe(429);
    const outages = a.logs.lines.filter((l) => l.includes("rate_limit_store_unavailable"));
    expect(outages.length).toBe(1);
    expect(outages[0]).toContain("redis 127.0.0.1:1");
    expect(a.logs.lines.join("\n")).not.toContain("hunter2");
  });
});

describe("dashboard sign-in lockout shared through Redis", () => {
  it("wrong tokens tried on two serve instances add up to one lockout", async () => {
    const token = "dashboard-token-0123456789-abcdef";
    const f = fixture({ port: 0, rateLimit: { ...rateLimit, redis: REDIS }, dashboard: { token } });
    // Both instances see the client as 127.0.0.1: start from a clean count for that address.
    const r = new Redis(REDIS);
    const keys = ["127.0.0.1", "::ffff:127.0.0.1"].flatMap((ip) => ["n", "lock"].map((s) => `authmigrate:rl:dash:${identifierKey(ip)}:${s}`));
    await r.del(...keys);
    const services = [await startService(f.config, f.dir, { log: () => {} }), await startService(f.config, f.dir, { log: () => {} })];
    closers.push(async () => {
      for (const s of services) await s.close();
      await r.del(...keys);
      r.disconnect();
    });
    const login = (i: number, t: string) => fetch(`${services[i % 2]!.url}/login`, { method: "POST", body: new URLSearchParams({ token: t }), redirect: "manual" });
    // 10 wrong tokens are allowed in 5 min; the 11th (counted across both instances) locks the address…
    for (let i = 0; i < 11; i++) expect((await login(i, "wrong-token-wrong-token")).status).toBe(401);
    // …on both, so even the right token is refused until the lockout ends.
    expect((await login(1, token)).status).toBe(429);
    expect((await login(0, token)).status).toBe(429);
  });
});
