/**
 * Proof (issue 5.2): a flaky provider — 5% HTTP 500, 2% hung requests, 2% connection resets and
 * periodic 429 bursts — loses nobody and duplicates nobody. The first run ends with every source
 * record either migrated or reported with a reason (report.jsonl: exactly one line per record);
 * a second run finishes whatever the first left failed/retryable.
 */
import type { Context } from "hono";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import { runMigration, type RunReport } from "../../src/engine/run.js";
import { verifyMigration } from "../../src/engine/verify.js";
import { startCalimatic, type RunningCalimatic } from "../../src/simulators/calimatic/index.js";
import { tempDir } from "../helpers.js";
import { calimaticConfig, consistency, demoOrgs, demoSource, demoWithOracle, readLedger, readReport, storeSnapshot } from "./shared.js";

const USERS = 1500;
/**
 * Faults hit the user endpoints (import, resolve, lookups). The run's one-off calls before the
 * first batch — prepare()'s migration-status and POST /organizations — have their own cases below.
 */
const onUserEndpoints = (c: Context): boolean => c.req.path.startsWith("/api/v1/users");
const FAULTS = { failRate: 0.05, timeoutRate: 0.02, timeoutMs: 5_000, resetRate: 0.02, burst429: { everySeconds: 2, durationMs: 300 }, seed: 5, match: onUserEndpoints };

let legacyDir: string;
let expected: Map<string, string>;

beforeAll(async () => {
  ({ dir: legacyDir, expected } = await demoWithOracle(USERS, "am-proof-faults-"));
}, 60_000);

const src = demoSource;
const orgs = demoOrgs;

describe("proof: a flaky provider loses and duplicates nobody", () => {
  let sim: RunningCalimatic;
  afterAll(async () => {
    await sim?.close();
  });

  it("5% 500s, 2% timeouts, resets and 429 bursts: every user migrated or reported, then completed by a second run", async () => {
    sim = await startCalimatic({ bcryptCost: 4, faults: FAULTS });
    const dir = tempDir("am-proof-faults-run-");
    const config = parseConfig(
      calimaticConfig(sim, {
        source: src(legacyDir),
        orgs: orgs(legacyDir),
        // Client gives up on a hung request after 1.5 s; the simulator would hold it 5 s.
        target: { timeoutMs: 1_500 },
        // No retries in the first run, so faults surface as failed users (reported, with a reason)…
        run: { batchSize: 50, concurrency: 4, rateLimit: 50, retries: 0 },
      }),
    );
    // …that the second run, with the default retries, completes.
    const retrying = parseConfig({ ...calimaticConfig(sim, { source: src(legacyDir), orgs: orgs(legacyDir), target: { timeoutMs: 1_500 }, run: { batchSize: 50, concurrency: 4, rateLimit: 50 } }) });

    const first: RunReport = await runMigration({ config, cwd: dir });
    const c1 = first.counts;
    const f1 = sim.faults.counts();
    // The faults really happened.
    expect(f1.failed, `failed: ${JSON.stringify(f1)}`).toBeGreaterThan(0);
    expect(f1.timedOut, `timedOut: ${JSON.stringify(f1)}`).toBeGreaterThan(0);
    expect(f1.reset, `reset: ${JSON.stringify(f1)}`).toBeGreaterThan(0);
    expect(f1.burst429, `burst429: ${JSON.stringify(f1)}`).toBeGreaterThan(0);

    // Counts add up, and report.jsonl has exactly one line per source record.
    expect(c1.total).toBe(USERS);
    expect(c1.created! + c1.updated! + c1.unchanged! + c1.skipped! + c1.failed!).toBe(USERS);
    const lines = readReport(first.reportFile!);
    expect(lines).toHaveLength(USERS);
    expect(new Set(lines.map((l) => l.location)).size).toBe(USERS);
    for (const l of lines) if (l.status === "failed" || l.status === "skipped") expect(l.reason, JSON.stringify(l)).toBeTruthy();

    const transient = lines.filter((l) => l.status === "failed" && String(l.reason).startsWith("target_error"));
    expect(transient.length, "transient failures").toBeGreaterThan(0);
    // Nothing lost: every user a clean run migrates is in the store or reported failed with a reason.
    const reported = new Map(lines.map((l) => [String(l.externalId), l]));
    const inStore = new Set([...sim.store.users.values()].map((u) => u.externalId));
    const lost = [...expected.keys()].filter((id) => !inStore.has(id) && reported.get(id)?.status !== "failed");
    expect(lost).toEqual([]);
    let cons = consistency(sim, readLedger(path.join(dir, "ledger.sqlite")));
    expect(cons).toMatchObject({ duplicateEmails: [], duplicateExternalIds: [], withoutExternalId: 0, ledgerMissingInStore: [], ledgerWrongUser: [], storeNotInLedger: [], pending: 0 });

    // Second run, same faults: finishes whatever the first left failed/retryable.
    const second = await runMigration({ config: retrying, cwd: dir });
    expect(second.counts.created).toBeGreaterThanOrEqual(transient.length);
    expect(storeSnapshot(sim)).toEqual(expected);
    cons = consistency(sim, readLedger(path.join(dir, "ledger.sqlite")));
    expect(cons).toMatchObject({ duplicateEmails: [], duplicateExternalIds: [], withoutExternalId: 0, ledgerMissingInStore: [], ledgerWrongUser: [], storeNotInLedger: [], pending: 0 });
    expect(second.counts.total).toBe(USERS);

    sim.faults.set({ failRate: 0, timeoutRate: 0, resetRate: 0, burst429: { windows: [] } });
    const v = await verifyMigration({ config, cwd: dir });
    expect(v.checks.filter((c) => c.status === "fail"), JSON.stringify(v.checks)).toEqual([]);
    expect(v).toMatchObject({ ok: true, sourceRecords: USERS, unprocessed: 0, migrated: expected.size });

    console.log(
      `[proof:faults] ${USERS} users; ${transient.length} transient failures after run 1; faults run 1: ${JSON.stringify(f1)}; run 1 ${JSON.stringify(c1)}, reasons ${JSON.stringify(first.reasons)}; ` +
        `run 2 ${JSON.stringify(second.counts)}; store ${sim.store.users.size} = clean run ${expected.size}; ${(first.durationMs / 1000).toFixed(1)}s + ${(second.durationMs / 1000).toFixed(1)}s`,
    );
  }, 120_000);
});

/** Bugs this proof found, now fixed in the engine: requests outside the user batches are retried too. */
describe("proof: transient faults outside the user batches", () => {
  // Was: prepare() ran once without withRetry, so one 429 on GET /tools/migration-status aborted `run`.
  it("one 429 on the first request does not abort the run", async () => {
    const sim = await startCalimatic({ bcryptCost: 4, faults: { burst429: { windows: [{ fromMs: 0, toMs: 300 }], retryAfterSec: 1 } } });
    try {
      const config = parseConfig(calimaticConfig(sim, { source: src(legacyDir), orgs: orgs(legacyDir), run: { rateLimit: 1000 } }));
      const report = await runMigration({ config, cwd: tempDir("am-proof-bug-") });
      expect(report.counts.created).toBe(expected.size);
    } finally {
      await sim.close();
    }
  }, 60_000);

  // Was: one 500 on POST /organizations left the org failed for the run and its users org-less for good.
  it("one 500 on POST /organizations: the users still end up in their organization", async () => {
    const sim = await startCalimatic({ bcryptCost: 4, faults: { failRate: 1, match: (c) => c.req.path === "/api/v1/organizations" && c.req.method === "POST" } });
    try {
      const dir = tempDir("am-proof-bug-");
      const config = parseConfig(calimaticConfig(sim, { source: src(legacyDir), orgs: orgs(legacyDir), run: { rateLimit: 1000 } }));
      // only the first org creation fails
      let n = 0;
      sim.faults.set({ match: (c) => c.req.path === "/api/v1/organizations" && c.req.method === "POST" && n++ === 0 });
      const first = await runMigration({ config, cwd: dir });
      sim.faults.set({ failRate: 0 });
      await runMigration({ config, cwd: dir });
      const v = await verifyMigration({ config, cwd: dir });
      expect(v.checks.find((c) => c.id === "memberships")?.status, JSON.stringify(v.checks.find((c) => c.id === "memberships"))).toBe("pass");
      expect(first.orgs.failed).toEqual([]);
    } finally {
      await sim.close();
    }
  }, 60_000);
});
