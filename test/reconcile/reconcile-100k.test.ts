import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import { reconcile } from "../../src/reconcile/reconcile.js";
import { DRIFT_KINDS, type ReconcileReport } from "../../src/reconcile/types.js";
import { legacyConfig, tempDir } from "../helpers.js";
import { injectBetterAuthDrift, seedBetterAuth, writeLegacy } from "./fixtures.js";

/**
 * THE PROOF (issue 8): 100,000 users in better-auth on SQLite, exactly 1% drift of each kind
 * injected; reconcile finds exactly the injected users (ids, not only counts); a legacy-to-target
 * fix then a second reconcile finds nothing. Takes ~30-40 s on 2 cores.
 */
const N = 100_000;

const idsOf = (r: ReconcileReport, kind: (typeof DRIFT_KINDS)[number]): string[] =>
  r.samples[kind].map((i) => (kind === "orphan" ? i.targetId! : i.externalId!)).sort();

describe(`reconcile: ${N} users, 1% drift of each kind (better-auth on SQLite)`, () => {
  it("finds exactly the injected drift, fixes it, and a second reconcile finds none", { timeout: 600_000 }, async () => {
    const dir = tempDir("am-reconcile-100k-");
    writeLegacy(dir, N);
    const config = parseConfig(
      legacyConfig({
        source: { type: "sqlite", path: "legacy.db", table: "Users", orderBy: ["Id"], pageSize: 5000 },
        target: { type: "better-auth", database: "auth.db" },
        run: { batchSize: 500, concurrency: 1, outDir: "out" },
      }),
      "test",
    );
    let t = Date.now();
    // Phase timings in the output: on a shared machine they tell a slow phase from a slow machine.
    const lap = (phase: string): void => {
      console.log(`${phase}: ${((Date.now() - t) / 1000).toFixed(1)} s`);
      t = Date.now();
    };
    await seedBetterAuth(config, dir);
    lap("seed");
    const injected = injectBetterAuthDrift(dir, N);

    const first = await reconcile({ config, cwd: dir, sampleSize: N });
    lap("reconcile");
    for (const kind of DRIFT_KINDS) {
      expect(first.counts[kind], kind).toBe(N / 100);
      expect(idsOf(first, kind), kind).toEqual([...injected[kind]].sort());
    }
    expect(first.driftedUsers).toBe((6 * N) / 100);
    expect(first.legacy.records).toBe(N - N / 100);
    expect(first.targetUsers).toBe(N - N / 100 + N / 100);
    // The differences are named: the field and both values.
    expect(first.samples.profile[0]!.diffs).toEqual([{ field: "name", legacy: expect.stringMatching(/^First\d+ Last\d+$/), target: "Renamed in app" }]);
    expect(first.samples.identifiers[0]!.diffs![0]).toMatchObject({ field: "emails", target: [expect.stringMatching(/^changed-user\d+@example.com$/)] });
    expect(first.samples.org_role[0]!.diffs![0]!.target).toEqual(["billing"]);

    const fixed = await reconcile({ config, cwd: dir, fix: { direction: "legacy-to-target", deleteExtra: true } });
    lap("reconcile --fix");
    expect(fixed.fix).toMatchObject({ planned: { create: N / 100, update: (3 * N) / 100, delete: (2 * N) / 100 }, outcomes: { created: N / 100, updated: (3 * N) / 100, deleted: (2 * N) / 100 } });
    expect(fixed.fix!.outcomes.failed ?? 0).toBe(0);

    const second = await reconcile({ config, cwd: dir });
    lap("second reconcile");
    expect(second.counts).toEqual(Object.fromEntries(DRIFT_KINDS.map((k) => [k, 0])));
    expect(second.driftedUsers).toBe(0);
    expect(second.legacy.compared).toBe(N - N / 100);
    expect(second.targetUsers).toBe(N - N / 100);
  });
});
