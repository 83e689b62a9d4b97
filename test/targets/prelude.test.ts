import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import { rollbackMigration } from "../../src/engine/rollback.js";
import { runMigration } from "../../src/engine/run.js";
import { verifyMigration } from "../../src/engine/verify.js";
import { MigrationUserSchema, type MigrationUser, type MigrationUserInput } from "../../src/model/user.js";
import { startPrelude, type RunningPrelude } from "../../src/simulators/prelude/index.js";
import { createTarget } from "../../src/targets/index.js";
import {
  BREAKER_STREAK,
  PreludeInstance,
  PreludeTargetOptionsSchema,
  enrichFromExport,
  normalizeProvider,
  preludeTarget,
  toCreateBody,
  type LegacyExportRecord,
  type PreludeTargetOptionsInput,
} from "../../src/targets/prelude/index.js";
import type { UserWrite } from "../../src/targets/types.js";
import { legacyConfig, tempDir, writeLegacyDb } from "../helpers.js";

const BCRYPT = "$2b$10$VvC10Nhzh8oCRE6A9ywlS.iV7fjqU4LFPnENq2jGdtLyn.SK0Ybju";

let sim: RunningPrelude;
beforeAll(async () => {
  sim = await startPrelude({ credentials: { appId: "54e9ujn", apiKey: "sk_prelude_test_key" } });
});
afterAll(async () => {
  await sim.close();
});
beforeEach(() => {
  sim.store.clear();
  sim.faults.set({ failRate: 0, burst429: undefined });
});

/** Requests seen by an instance's fetch, as `METHOD /last/path/segments`. */
type Calls = string[];
function instance(extra: Partial<PreludeTargetOptionsInput> = {}, fetchImpl?: typeof fetch): PreludeInstance {
  const opts = PreludeTargetOptionsSchema.parse({ appId: sim.appId, apiKey: sim.apiKey, baseUrl: sim.url, timeoutMs: 2000, ...extra });
  return new PreludeInstance(opts, { cwd: "." }, fetchImpl);
}
function recording(calls: Calls, inner: typeof fetch = fetch): typeof fetch {
  return async (input, init) => {
    const u = new URL(String(input));
    calls.push(`${init?.method ?? "GET"} ${u.pathname.replace(/^\/v2\/session\/apps\/[^/]+/, "")}`);
    return inner(input, init);
  };
}
const bodyOf = (init: RequestInit | undefined): Record<string, unknown> => (typeof init?.body === "string" ? (JSON.parse(init.body) as Record<string, unknown>) : {});

const user = (input: Partial<MigrationUserInput> & { externalId: string }): MigrationUser =>
  MigrationUserSchema.parse({ email: `u${input.externalId}@example.com`, profile: { givenName: "Jane", familyName: "Doe" }, ...input });
const write = (input: Partial<MigrationUserInput> & { externalId: string }, w: Partial<UserWrite> = {}): UserWrite => ({ user: user(input), action: "create", orgTargetIds: {}, ...w });

describe("prelude target: options, registration, mapping", () => {
  it("is registered with the brief's capabilities and validates its options", async () => {
    const { target, instance: inst } = await createTarget({ type: "prelude", appId: "app1", apiKey: "k" }, { cwd: "." });
    expect(target).toBe(preludeTarget);
    expect(inst).toBeInstanceOf(PreludeInstance);
    expect(target.capabilities).toMatchObject({ orgs: false, update: true, rollback: true, idempotentCreate: false, hashFormats: [], maxBatchSize: 50, rateLimit: { requestsPerSecond: 10 } });
    await expect(createTarget({ type: "prelude", appId: "app1" }, { cwd: "." })).rejects.toMatchObject({ code: "CONFIG_INVALID" });
    await expect(createTarget({ type: "prelude", appId: "app1", apiKey: "k", bogus: 1 }, { cwd: "." })).rejects.toMatchObject({ code: "CONFIG_INVALID" });
    expect(PreludeTargetOptionsSchema.parse({ appId: "a", apiKey: "k" })).toMatchObject({ baseUrl: "https://api.prelude.dev", providerNames: {}, identifierSync: "add" });
  });

  it("normalises provider names (oauth_google → google) with the configured map first", () => {
    expect(normalizeProvider("oauth_google")).toBe("google");
    expect(normalizeProvider("OAuth_GitHub")).toBe("github");
    expect(normalizeProvider("google-oauth2")).toBe("google");
    expect(normalizeProvider("google.com")).toBe("google");
    expect(normalizeProvider("oauth_microsoft")).toBe("microsoft");
    expect(normalizeProvider("oauth_custom_sso", { custom_sso: "okta" })).toBe("okta");
    expect(normalizeProvider("oauth_google", { oauth_google: "google-workspace" })).toBe("google-workspace");
  });

  it("maps every email, phone and OAuth identity into one create body; rejects what Prelude cannot hold", () => {
    const u = user({
      externalId: "42",
      email: "jane@example.com",
      extraEmails: ["Jane.Work@Example.com", "jane@example.com"],
      phones: ["+15551234567"],
      identities: [
        { provider: "oauth_google", providerUserId: "g-1" },
        { provider: "google", providerUserId: "g-1" },
        { provider: "oauth_github", providerUserId: "77" },
      ],
      profile: { givenName: "Jane", familyName: "Doe", picture: "https://x/p.png", locale: "en-GB" },
    });
    expect(toCreateBody(u, { providerNames: {}, extraEmails: true })).toEqual({
      ok: true,
      body: {
        external_id: "42",
        profile: { first_name: "Jane", last_name: "Doe", picture: "https://x/p.png", locale: "en-GB" },
        identifiers: [
          { type: "email_address", value: "jane@example.com" },
          { type: "email_address", value: "jane.work@example.com" },
          { type: "phone_number", value: "+15551234567" },
          { type: "oauth", value: "google:g-1" },
          { type: "oauth", value: "github:77" },
        ],
      },
    });
    expect(toCreateBody(user({ externalId: "1", email: undefined }), { providerNames: {}, extraEmails: true })).toEqual({ ok: false, reason: "no_identifiers" });
    expect(toCreateBody(user({ externalId: "x".repeat(129) }), { providerNames: {}, extraEmails: true })).toEqual({ ok: false, reason: "external_id_too_long" });
    const display = toCreateBody(user({ externalId: "2", profile: { displayName: "Ada King Lovelace" } }), { providerNames: {}, extraEmails: false });
    expect(display.ok && display.body.profile).toEqual({ first_name: "Ada", last_name: "King Lovelace" });
  });

  it("prepare() checks the key and the app id", async () => {
    await instance().prepare();
    const bad = await instance({ apiKey: "sk_wrong_key_123" }).prepare().catch((e: unknown) => e);
    expect(bad).toMatchObject({ code: "TARGET_AUTH_FAILED", retryable: false });
    expect(String((bad as Error).message)).not.toContain("sk_wrong_key_123");
    await expect(instance({ appId: "nope" }).prepare()).rejects.toMatchObject({ code: "CONFIG_INVALID" });
    await expect(instance({ apiKey: "sk_wrong_key_123" }).writeUsers([write({ externalId: "1" })])).rejects.toMatchObject({ meta: { status: 401 } });
  });
});

describe("prelude target: lookup (idempotency by external_id first)", () => {
  it("finds by external_id via batch_lookup in chunks of 100, then by email; never links someone else's account", async () => {
    const lazy = sim.store.lazyMigrate({ external_id: "1", identifiers: [{ type: "email_address", value: "changed@example.com" }] });
    const signup = sim.store.createUser({ identifiers: [{ type: "email_address", value: "u2@example.com" }] }, "signup");
    sim.store.lazyMigrate({ external_id: "other-legacy-user", identifiers: [{ type: "email_address", value: "u3@example.com" }] });
    const users = Array.from({ length: 230 }, (_, i) => user({ externalId: String(i + 1) }));
    const calls: Calls = [];
    const found = await instance({}, recording(calls)).lookupUsers(users);
    expect(found.get("1")).toEqual({ targetId: lazy.id, matchedBy: "externalId" });
    expect(found.get("2")).toEqual({ targetId: signup.id, matchedBy: "email" });
    expect(found.has("3")).toBe(false);
    expect(found.size).toBe(2);
    // 230 external ids → 3 calls; 229 emails → 3 calls.
    expect(calls).toEqual(Array(6).fill("POST /users/batch_lookup"));
  });
});

describe("prelude target: writeUsers", () => {
  it("creates users with profile + identifiers (phone, normalised OAuth) in one call each; getUser exposes externalId", async () => {
    const t = instance();
    const out = await t.writeUsers([
      write({ externalId: "1", phones: ["+15551234567"], identities: [{ provider: "oauth_google", providerUserId: "118" }] }),
      write({ externalId: "2" }),
    ]);
    expect(out).toMatchObject([
      { externalId: "1", status: "created", targetId: expect.stringMatching(/^usr_/) },
      { externalId: "2", status: "created" },
    ]);
    expect(sim.store.creates[0]).toEqual({
      external_id: "1",
      profile: { first_name: "Jane", last_name: "Doe" },
      identifiers: [
        { type: "email_address", value: "u1@example.com" },
        { type: "phone_number", value: "+15551234567" },
        { type: "oauth", value: "google:118" },
      ],
    });
    expect(JSON.stringify(sim.store.creates)).not.toMatch(/password|hash/i);
    expect(await t.getUser(out[0]!.targetId!)).toEqual({ targetId: out[0]!.targetId, externalId: "1", email: "u1@example.com", name: "Jane Doe", memberships: {}, hasPassword: false });
    expect(await t.getUser("usr_missing")).toBeUndefined();
    expect(await t.countUsers()).toBe(2);
  });

  it("benign race: lazy migration provisions the user between lookup and create → skipped with the lazy user's id", async () => {
    const t = instance();
    const w = write({ externalId: "7", identities: [{ provider: "oauth_github", providerUserId: "9" }] });
    expect((await t.lookupUsers([w.user])).size).toBe(0);
    let lazyId = "";
    sim.store.beforeCreate = (body) => {
      if (body.external_id === "7") lazyId = sim.store.lazyMigrate({ external_id: "7", identifiers: [{ type: "email_address", value: "u7@example.com" }] }).id;
    };
    expect(await t.writeUsers([w])).toEqual([{ externalId: "7", status: "skipped", targetId: lazyId, reason: "exists_by_external_id" }]);
    expect(sim.store.users.size).toBe(1);
  });

  it("IdentifierAlreadyExists: a lazy user with our external_id, an Auth-native sign-up (gets our external_id), or another legacy user's account (failed)", async () => {
    const t = instance();
    // Lazy migration created "8" with the email but the backfill's OAuth identity collides first.
    sim.store.beforeCreate = (body) => {
      if (body.external_id === "8") sim.store.lazyMigrate({ external_id: "8", identifiers: [{ type: "email_address", value: "u8@example.com" }] });
    };
    const signup = sim.store.createUser({ identifiers: [{ type: "email_address", value: "u9@example.com" }] }, "signup");
    sim.store.lazyMigrate({ external_id: "someone-else", identifiers: [{ type: "phone_number", value: "+15550000001" }] });
    const out = await t.writeUsers([write({ externalId: "8" }), write({ externalId: "9" }), write({ externalId: "10", phones: ["+15550000001"] }), write({ externalId: "11" })]);
    expect(out).toMatchObject([
      { externalId: "8", status: "skipped", reason: "exists_by_external_id" },
      { externalId: "9", status: "skipped", targetId: signup.id, reason: "exists_by_email" },
      { externalId: "10", status: "failed", reason: "identifier_owned_by_other_user", retryable: false },
      { externalId: "11", status: "created" },
    ]);
    expect(sim.store.users.get(signup.id)!.external_id).toBe("9");
  });

  it("other errors are counted as failed with the provider message and never halt the batch", async () => {
    const t = instance();
    const out = await t.writeUsers([
      write({ externalId: "1", identities: [{ provider: "oauth_myspace", providerUserId: "1" }] }),
      write({ externalId: "2", email: undefined }),
      write({ externalId: "3" }),
    ]);
    expect(out).toMatchObject([
      { externalId: "1", status: "failed", retryable: false, reason: expect.stringContaining('http_400:InvalidIdentifier:unknown oauth provider "myspace"') },
      { externalId: "2", status: "failed", reason: "no_identifiers" },
      { externalId: "3", status: "created" },
    ]);
  });

  it("429 (and 5xx) are per-user retryable failures; a streak with no progress throws for the engine to back off", async () => {
    const limited = new Set(["2"]);
    const fake429: typeof fetch = async (input, init) => {
      if (init?.method === "POST" && limited.has(String(bodyOf(init).external_id))) {
        return new Response(JSON.stringify({ code: "RateLimited", message: "slow down" }), { status: 429, headers: { "retry-after": "1", "content-type": "application/json" } });
      }
      return fetch(input, init);
    };
    const t = instance({}, fake429);
    const batch = [write({ externalId: "1" }), write({ externalId: "2" }), write({ externalId: "3" })];
    expect(await t.writeUsers(batch)).toMatchObject([
      { externalId: "1", status: "created" },
      { externalId: "2", status: "failed", retryable: true, reason: expect.stringMatching(/^http_429/) },
      { externalId: "3", status: "created" },
    ]);
    // The engine retries only user 2 once the limit passes.
    limited.clear();
    expect(await t.writeUsers([batch[1]!])).toMatchObject([{ externalId: "2", status: "created" }]);

    // A call where nothing went through throws (the contract's "429 → retryable error with retryAfterMs").
    limited.add("9");
    await expect(t.writeUsers([write({ externalId: "9" })])).rejects.toMatchObject({ retryable: true, meta: { status: 429, retryAfterMs: 1000 } });

    // Everything rate limited from the start: the call throws (retryable) after BREAKER_STREAK requests.
    for (const id of ["4", "5", "6", "7", "8"]) limited.add(id);
    const calls: Calls = [];
    const t2 = instance({}, recording(calls, fake429));
    await expect(t2.writeUsers(["4", "5", "6", "7", "8"].map((externalId) => write({ externalId })))).rejects.toMatchObject({ retryable: true, meta: { status: 429, retryAfterMs: 1000 } });
    expect(calls).toHaveLength(BREAKER_STREAK);

    // After progress in the call, the rest are deferred (not sent) as retryable failures.
    calls.length = 0;
    const out = await t2.writeUsers(["20", "4", "5", "6", "7"].map((externalId) => write({ externalId })));
    expect(out.map((o) => [o.status, o.retryable ?? false])).toEqual([["created", false], ["failed", true], ["failed", true], ["failed", true], ["failed", true]]);
    expect(out[4]!.reason).toMatch(/^deferred:http_429/);
    expect(calls).toHaveLength(1 + BREAKER_STREAK);
  });

  it("a create whose answer was lost is ours: the retry's ExternalIDAlreadyExists resolves to created (recovered)", async () => {
    let drop = true;
    const lossy: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (init?.method === "POST" && String(input).endsWith("/users") && drop) {
        drop = false;
        await res.text();
        throw Object.assign(new TypeError("fetch failed"), { cause: { code: "ECONNRESET" } });
      }
      return res;
    };
    const t = instance({}, lossy);
    const w = write({ externalId: "5" });
    // Alone in its call: nothing went through, so the call throws (retryable) for the engine to re-send.
    await expect(t.writeUsers([w])).rejects.toMatchObject({ code: "TARGET_NETWORK", retryable: true });
    const [again] = await t.writeUsers([w]);
    expect(again).toMatchObject({ externalId: "5", status: "created", reason: "recovered_after_retry" });
    expect(again!.targetId).toBe(sim.store.findByExternalId("5")!.id);
    expect(sim.store.users.size).toBe(1);
  });

  it("update: patches the profile and adds missing identifiers; identifierSync diff removes stale ones", async () => {
    const t = instance();
    const [c] = await t.writeUsers([write({ externalId: "1", phones: ["+15551234567"] })]);
    const upd = (extra: Partial<MigrationUserInput>) => write({ externalId: "1", profile: { givenName: "Janet", familyName: "Doe", locale: "fr" }, identities: [{ provider: "oauth_google", providerUserId: "g" }], ...extra }, { action: "update", targetId: c!.targetId! });
    expect(await t.writeUsers([upd({ phones: ["+15551234567"] })])).toEqual([{ externalId: "1", status: "updated", targetId: c!.targetId }]);
    let u = sim.store.users.get(c!.targetId!)!;
    expect(u.profile).toEqual({ first_name: "Janet", last_name: "Doe", locale: "fr" });
    expect(u.identifiers.map((i) => i.value)).toEqual(["u1@example.com", "+15551234567", "google:g"]);
    await instance({ identifierSync: "diff" }).writeUsers([upd({ phones: [] })]);
    u = sim.store.users.get(c!.targetId!)!;
    expect(u.identifiers.map((i) => i.value)).toEqual(["u1@example.com", "google:g"]);
    expect(await t.writeUsers([write({ externalId: "1" }, { action: "update", targetId: "usr_gone" })])).toMatchObject([{ status: "failed", reason: "not_found" }]);
  });

  it("deleteUsers: gone counts as done", async () => {
    const t = instance();
    const [a] = await t.writeUsers([write({ externalId: "1" })]);
    expect(await t.deleteUsers([a!.targetId!, a!.targetId!])).toEqual([
      { targetId: a!.targetId, ok: true },
      { targetId: a!.targetId, ok: true, reason: "not_found" },
    ]);
    expect(await t.countUsers()).toBe(0);
  });
});

describe("prelude target: enrichment from the legacy provider's export (seed 003 step 3.2–3.4)", () => {
  it("joins by legacy id in chunks of 100 and merges every email and OAuth identity with normalised providers", async () => {
    async function* rows(): AsyncGenerator<MigrationUser> {
      for (let i = 1; i <= 205; i++) yield user({ externalId: String(i), metadata: { legacyId: `user_${i}` }, ...(i === 3 ? { email: undefined } : {}) });
      yield user({ externalId: "no-legacy", metadata: {} });
    }
    const asked: string[][] = [];
    const exportOf = (id: string): LegacyExportRecord | undefined =>
      id === "user_1"
        ? { emails: ["U1@example.com", "jane.alt@example.com"], identities: [{ provider: "oauth_google", providerUserId: "g1", email: "jane.g@gmail.com" }, { provider: "oauth_github", providerUserId: "gh1" }], profile: { givenName: "Ignored", picture: "https://p/1.png" }, phones: ["+1 (555) 123-4567"] }
        : id === "user_3"
          ? { emails: ["three@example.com"], identities: [] }
          : undefined;
    const fetchChunk = async (ids: string[]) => {
      asked.push(ids);
      return new Map(ids.flatMap((id) => (exportOf(id) ? [[id, exportOf(id)!] as const] : [])));
    };
    const out: MigrationUser[] = [];
    for await (const u of enrichFromExport(rows(), fetchChunk)) out.push(u);
    expect(asked.map((a) => a.length)).toEqual([100, 100, 6]); // "no-legacy" falls back to its externalId
    expect(out.map((u) => u.externalId)).toEqual([...Array.from({ length: 205 }, (_, i) => String(i + 1)), "no-legacy"]);
    expect(out[0]).toMatchObject({
      email: "u1@example.com",
      extraEmails: ["jane.alt@example.com", "jane.g@gmail.com"],
      phones: ["+15551234567"],
      identities: [
        { provider: "google", providerUserId: "g1", email: "jane.g@gmail.com" },
        { provider: "github", providerUserId: "gh1" },
      ],
      profile: { givenName: "Jane", familyName: "Doe", picture: "https://p/1.png" },
    });
    expect(out[2]).toMatchObject({ email: "three@example.com", extraEmails: [] });
    expect(out[1]).toEqual(user({ externalId: "2", metadata: { legacyId: "user_2" } }));
    // The enriched user maps straight into Prelude identifiers.
    const mapped = toCreateBody(out[0]!, { providerNames: {}, extraEmails: true });
    expect(mapped.ok && mapped.body.identifiers.map((i) => `${i.type}:${i.value}`)).toEqual([
      "email_address:u1@example.com",
      "email_address:jane.alt@example.com",
      "email_address:jane.g@gmail.com",
      "phone_number:+15551234567",
      "oauth:google:g1",
      "oauth:github:gh1",
    ]);
  });
});

describe("prelude target: end to end through the engine", () => {
  it("run → verify (externalId populated) → re-run is a no-op → rollback deletes only ours", async () => {
    const dir = tempDir();
    writeLegacyDb(
      path.join(dir, "legacy.db"),
      [
        { Id: 1, Email: "jane@school.edu", PasswordHash: BCRYPT, TenantId: 1, RoleId: 1, PhoneNumber: "+15551234567" },
        { Id: 2, Email: "lazy@school.edu" },
        { Id: 3, Email: "not-an-email" },
        { Id: 4, Email: "race@school.edu" },
        ...Array.from({ length: 12 }, (_, i) => ({ Id: 10 + i, Email: `user${i}@school.edu`, TenantId: 1 + (i % 2) })),
      ],
      [{ Id: 1, Name: "Springfield" }],
    );
    // User 2 logged in during the rollout: lazy migration already provisioned it.
    const lazy = sim.store.lazyMigrate({ external_id: "2", identifiers: [{ type: "email_address", value: "lazy@school.edu" }] });
    // User 4 logs in between the engine's lookup and its create.
    let raced = "";
    sim.store.beforeCreate = (b) => {
      if (b.external_id === "4") raced = sim.store.lazyMigrate({ external_id: "4", identifiers: [{ type: "email_address", value: "race@school.edu" }] }).id;
    };
    const config = parseConfig(legacyConfig({ target: { type: "prelude", appId: sim.appId, apiKey: sim.apiKey, baseUrl: sim.url }, run: { batchSize: 5, concurrency: 2, outDir: "out", rateLimit: 200 } }));
    const report = await runMigration({ config, cwd: dir });
    expect(report.counts).toMatchObject({ total: 16, created: 13, skipped: 2, failed: 1 });
    expect(report.reasons).toMatchObject({ exists_by_external_id: 2 });
    expect(report.strategies).toMatchObject({ lazy: 1 });
    expect(sim.store.users.size).toBe(15);
    expect(sim.store.creates.every((c) => !("password" in c))).toBe(true);
    expect(sim.store.findByExternalId("1")!.identifiers).toEqual([
      { type: "email_address", value: "jane@school.edu" },
      { type: "phone_number", value: "+15551234567" },
    ]);
    expect(sim.store.findByExternalId("4")!.id).toBe(raced);

    const verify = await verifyMigration({ config, cwd: dir });
    expect(verify).toMatchObject({ ok: true, missingInTarget: [], mismatches: [], duplicates: [] });
    expect(verify.checks.find((c) => c.id === "external_id")).toMatchObject({ status: "pass" });

    const again = await runMigration({ config, cwd: dir });
    expect(again.counts).toMatchObject({ created: 0, updated: 0 });

    const rb = await rollbackMigration({ config, cwd: dir });
    expect(rb).toMatchObject({ deleted: 13, failed: [] });
    expect([...sim.store.users.keys()].sort()).toEqual([lazy.id, raced].sort());
  });

  it("rides out 5xx and 429 bursts through the shared limiter: every user lands exactly once", async () => {
    const flaky = await startPrelude({ seed: 11, faults: { failRate: 0.25, burst429: { windows: [{ fromMs: 0, toMs: 300 }], retryAfterSec: 1 } } });
    try {
      const dir = tempDir();
      writeLegacyDb(path.join(dir, "legacy.db"), Array.from({ length: 23 }, (_, i) => ({ Id: 1 + i, Email: `f${i}@school.edu` })));
      const config = parseConfig(legacyConfig({ target: { type: "prelude", appId: flaky.appId, apiKey: flaky.apiKey, baseUrl: flaky.url }, run: { batchSize: 5, concurrency: 2, outDir: "out", retries: 6, rateLimit: 100 } }));
      const report = await runMigration({ config, cwd: dir });
      expect(report.counts).toMatchObject({ total: 23, created: 23, failed: 0 });
      expect(flaky.faults.counts().failed + flaky.faults.counts().burst429).toBeGreaterThan(0);
      expect(flaky.store.users.size).toBe(23);
      flaky.faults.set({ failRate: 0 });
      expect(await verifyMigration({ config, cwd: dir })).toMatchObject({ ok: true, migrated: 23 });
    } finally {
      await flaky.close();
    }
  }, 60_000);
});
