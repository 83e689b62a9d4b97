import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Ledger } from "../../src/ledger/types.js";
import { Outbox, type MirrorContext, type OutboxOptions, type OutboxStore } from "../../src/mirror/index.js";
import { MigrationUserSchema } from "../../src/model/user.js";
import { startPrelude, type RunningPrelude } from "../../src/simulators/prelude/index.js";
import { preludeTarget } from "../../src/targets/prelude/index.js";
import type { TargetInstance } from "../../src/targets/types.js";

export interface OutboxBackend {
  /** A fresh ledger + a way to open the outbox store on it (again, as after a restart). */
  setup(): Promise<{ ledger: Ledger; openStore(): OutboxStore; cleanup(): Promise<void> }>;
}

const FAST: OutboxOptions = { baseDelayMs: 20, maxDelayMs: 100, maxAttempts: 50 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Drain until nothing is pending (followers of a user wait for their predecessor, so this can take a few passes). */
async function drainAll(outbox: Outbox, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while ((await outbox.outboxDepth()).pending > 0) {
    if (Date.now() > until) throw new Error(`outbox still holds ${(await outbox.outboxDepth()).pending} changes`);
    await outbox.drain();
    await sleep(50);
  }
}

export function defineOutboxSuite(name: string, backend: OutboxBackend): void {
  describe(`mirror outbox on ${name}`, () => {
    let sim: RunningPrelude;
    let instance: TargetInstance;
    let env: Awaited<ReturnType<OutboxBackend["setup"]>>;
    let ctx: MirrorContext;
    /** Profile patches that reached the target, in arrival order: `externalId:first_name`. */
    let landed: string[];
    const open: Outbox[] = [];
    const outbox = (opts: OutboxOptions = FAST): Outbox => {
      const o = new Outbox(env.openStore(), ctx, opts);
      open.push(o);
      return o;
    };

    beforeAll(async () => {
      sim = await startPrelude({ credentials: { appId: "app1", apiKey: "sk_test" } });
      instance = preludeTarget.create(preludeTarget.options.parse({ appId: "app1", apiKey: "sk_test", baseUrl: sim.url }), { cwd: process.cwd() });
      const original = sim.store.patchProfile.bind(sim.store);
      sim.store.patchProfile = (id, body) => {
        const u = original(id, body);
        landed.push(`${u.external_id}:${String(u.profile.first_name)}`);
        return u;
      };
    });
    afterAll(async () => {
      await instance.close();
      await sim.close();
    });
    beforeEach(async () => {
      for (const o of open.splice(0)) await o.close();
      if (env) await env.cleanup();
      sim.store.clear();
      sim.faults.set({ failRate: 0, burst429: undefined });
      landed = [];
      env = await backend.setup();
      ctx = { instance, capabilities: preludeTarget.capabilities.mirror, ledger: env.ledger };
      // Migrated earlier: the ledger knows their target ids.
      const rows = ["A", "B"].map((externalId) => {
        const u = sim.store.createUser({ external_id: externalId, identifiers: [{ type: "email_address", value: `${externalId.toLowerCase()}@example.com` }] }, "migration");
        return { externalId, email: `${externalId.toLowerCase()}@example.com`, digest: null, targetId: u.id, status: "created" as const, reason: null, strategy: null };
      });
      await env.ledger.recordUsers(1, rows);
    });
    afterAll(async () => {
      for (const o of open.splice(0)) await o.close();
      await env?.cleanup();
    });

    const update = (externalId: string, givenName: string) => ({ action: "upsert" as const, externalId, user: MigrationUserSchema.parse({ externalId, email: `${externalId.toLowerCase()}@example.com`, profile: { givenName } }) });
    const firstName = (externalId: string) => sim.store.findByExternalId(externalId)?.profile.first_name;

    it("target down: changes queue up; after a restart and the target's return each lands exactly once, in per-user order", async () => {
      sim.faults.set({ failRate: 1, failStatus: 503 });
      const before = outbox();
      for (const change of [update("A", "v1"), update("A", "v2"), update("B", "b1"), update("A", "v3")]) {
        expect(await before.submit(change)).toEqual({ queued: true });
      }
      expect(await before.outboxDepth()).toEqual({ pending: 4, dead: 0 });
      expect(landed).toEqual([]);
      await before.close(); // the app restarts: only the database remembers

      sim.faults.set({ failRate: 0 });
      const after = outbox();
      expect((await after.outboxDepth()).pending).toBe(4);
      await drainAll(after);
      expect(landed.filter((l) => l.startsWith("A:"))).toEqual(["A:v1", "A:v2", "A:v3"]);
      expect(landed.filter((l) => l.startsWith("B:"))).toEqual(["B:b1"]);
      expect(firstName("A")).toBe("v3");
      expect(firstName("B")).toBe("b1");
      expect(await after.outboxDepth()).toEqual({ pending: 0, dead: 0 });
    });

    it("a new change of a user waits behind the user's queued one even once the target is back", async () => {
      sim.faults.set({ failRate: 1, failStatus: 503 });
      const o = outbox({ ...FAST, baseDelayMs: 400, maxDelayMs: 400 });
      await o.submit(update("A", "old"));
      sim.faults.set({ failRate: 0 });
      // v-new is deliverable right now, but "old" is still backing off: it must not overtake.
      expect(await o.submit(update("A", "new"))).toEqual({ queued: true });
      expect(landed).toEqual([]);
      await drainAll(o);
      expect(landed).toEqual(["A:old", "A:new"]);
    });

    it("429 with Retry-After: the retry is not due before the target said", async () => {
      sim.faults.set({ burst429: { windows: [{ fromMs: 0, toMs: 60_000 }], retryAfterSec: 3 } });
      const o = outbox();
      expect(await o.submit(update("A", "x"))).toEqual({ queued: true });
      const due = await o.store.nextDueInMs();
      expect(due).toBeGreaterThan(2_000);
      expect(due).toBeLessThanOrEqual(3_100);
    });

    it("dead-letters after maxAttempts with the reason; the user's later changes then go through", async () => {
      sim.faults.set({ failRate: 1, failStatus: 503 });
      const o = outbox({ ...FAST, maxAttempts: 2 });
      await o.submit(update("A", "lost"));
      await sleep(150);
      await drainAll(o);
      expect(await o.outboxDepth()).toEqual({ pending: 0, dead: 1 });
      const [dead] = await o.deadLetters();
      expect(dead).toMatchObject({ externalId: "A", action: "upsert", attempts: 2 });
      expect(dead!.reason).toMatch(/gave up after 2 attempts/);
      expect(dead!.reason).toMatch(/503/);
      sim.faults.set({ failRate: 0 });
      const r = await o.submit(update("A", "next"));
      expect(r.result).toMatchObject({ status: "applied" });
      expect(firstName("A")).toBe("next");
    });

    it("a permanent failure is dead-lettered at once (no retries); a not-migrated user is dropped as skipped", async () => {
      const o = outbox();
      const taken = { ...update("A", "x"), user: MigrationUserSchema.parse({ externalId: "A", email: "a@example.com", extraEmails: ["b@example.com"] }) };
      const r = await o.submit(taken);
      expect(r.result).toMatchObject({ status: "failed", retryable: false });
      expect(await o.outboxDepth()).toEqual({ pending: 0, dead: 1 });
      expect((await o.deadLetters())[0]!.reason).toMatch(/IdentifierAlreadyExists/);
      expect((await o.submit(update("nobody", "x"))).result).toMatchObject({ status: "skipped", reason: "not_migrated" });
      expect((await o.outboxDepth()).pending).toBe(0);
    });
  });
}
