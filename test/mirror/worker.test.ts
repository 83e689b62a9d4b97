import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SqliteLedger } from "../../src/ledger/index.js";
import { Outbox, SqliteOutboxStore, openMirror } from "../../src/mirror/index.js";
import { MigrationUserSchema } from "../../src/model/user.js";
import { startPrelude, type RunningPrelude } from "../../src/simulators/prelude/index.js";
import { preludeTarget } from "../../src/targets/prelude/index.js";
import { tempDir } from "../helpers.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(check: () => Promise<boolean> | boolean, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await sleep(25);
  }
}

let sim: RunningPrelude;
beforeAll(async () => {
  sim = await startPrelude({ credentials: { appId: "app1", apiKey: "sk_test" } });
});
afterAll(async () => sim.close());

describe("the outbox worker started by openMirror", () => {
  it("retries on its own while the target is down and delivers when it is back (no drain() call)", async () => {
    const dir = tempDir("am-mirror-worker-");
    const target = { type: "prelude", appId: "app1", apiKey: "sk_test", baseUrl: sim.url };
    const m = await openMirror({ target, ledgerUrl: "ledger.db", cwd: dir, worker: { intervalMs: 50 }, outbox: { baseDelayMs: 30, maxDelayMs: 120 } });
    try {
      const u = sim.store.createUser({ external_id: "42", identifiers: [{ type: "email_address", value: "a@example.com" }] }, "migration");
      sim.faults.set({ failRate: 1, failStatus: 503 });
      expect(await m.mirrorUpsert({ externalId: "42", email: "a@example.com", extraEmails: ["b@example.com"], profile: { givenName: "Back" } })).toEqual({ queued: true });
      await sleep(300); // several failed retries by the worker
      expect(await m.outboxDepth()).toEqual({ pending: 1, dead: 0 });
      sim.faults.set({ failRate: 0 });
      await until(async () => (await m.outboxDepth()).pending === 0);
      expect(sim.store.get(u.id).profile.first_name).toBe("Back");
      expect(sim.store.get(u.id).identifiers.map((i) => i.value).sort()).toEqual(["a@example.com", "b@example.com"]);
    } finally {
      await m.close();
    }
  });
});

describe("SQLite outbox lease", () => {
  it("a change claimed by a process that died mid-delivery is delivered by the next one after the lease", async () => {
    const file = `${tempDir("am-mirror-lease-")}/ledger.db`;
    const u = sim.store.createUser({ external_id: "7", identifiers: [{ type: "email_address", value: "l@example.com" }] }, "migration");
    const ledger = new SqliteLedger(file, "prelude:lease");
    await ledger.recordUsers(1, [{ externalId: "7", email: "l@example.com", digest: null, targetId: u.id, status: "created", reason: null, strategy: null }]);
    const instance = preludeTarget.create(preludeTarget.options.parse({ appId: "app1", apiKey: "sk_test", baseUrl: sim.url }), { cwd: dir() });
    const ctx = { instance, capabilities: preludeTarget.capabilities.mirror, ledger };
    const dead = new SqliteOutboxStore(file, "prelude:lease", 300);
    await dead.enqueue({ action: "upsert", externalId: "7", user: MigrationUserSchema.parse({ externalId: "7", email: "l@example.com", profile: { givenName: "Leased" } }) });
    expect(await dead.claim(10)).toHaveLength(1); // claimed, then the process "dies" without completing
    await dead.close();

    const next = new Outbox(new SqliteOutboxStore(file, "prelude:lease", 300), ctx);
    expect((await next.drain()).delivered).toBe(0); // still leased
    await sleep(350);
    expect((await next.drain()).delivered).toBe(1);
    expect(sim.store.get(u.id).profile.first_name).toBe("Leased");
    await next.close();
    await ledger.close();
  });
});

function dir(): string {
  return tempDir("am-mirror-cwd-");
}

describe("inline: false", () => {
  it("submit only stores the change and returns at once, even with the target down; delivery happens in the background", async () => {
    const d = dir();
    const target = { type: "prelude", appId: "app1", apiKey: "sk_test", baseUrl: sim.url };
    const m = await openMirror({ target, ledgerUrl: "ledger.db", cwd: d, worker: { intervalMs: 50 }, outbox: { inline: false, baseDelayMs: 30, maxDelayMs: 120 } });
    try {
      const u = sim.store.createUser({ external_id: "99", identifiers: [{ type: "email_address", value: "n@example.com" }] }, "migration");
      await m.ctx.ledger!.recordUsers(1, [{ externalId: "99", email: "n@example.com", digest: null, targetId: u.id, status: "created", reason: null, strategy: null }]);
      sim.faults.set({ timeoutRate: 1, timeoutMs: 2_000 }); // every request hangs
      const t0 = Date.now();
      expect(await m.mirrorUpsert({ externalId: "99", email: "n@example.com", profile: { givenName: "Later" } })).toEqual({ queued: true });
      expect(Date.now() - t0).toBeLessThan(1_000);
      sim.faults.set({ timeoutRate: 0 });
      await until(async () => sim.store.get(u.id).profile.first_name === "Later");
    } finally {
      sim.faults.set({ timeoutRate: 0 });
      await m.close();
    }
  });
});
