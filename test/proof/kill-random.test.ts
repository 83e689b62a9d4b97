/**
 * Proof (issue 5.1): `kill -9` at random points, many times during the same migration, then one
 * final run: every user is in Calimatic exactly once, the ledger agrees with Calimatic, verify
 * passes. The simulator runs in this process, so its store survives the CLI being killed.
 *
 * PROOF_KILLS (default 10) raises the number of kills for a longer local run; PROOF_SEED picks
 * other kill points.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, describe, expect, it } from "vitest";
import { startCalimatic, type RunningCalimatic } from "../../src/simulators/calimatic/index.js";
import { tempDir } from "../helpers.js";
import { calimaticConfig, cli, consistency, demoOrgs, demoSource, demoWithOracle, prng, openIntentUsers, readLedger, storeSnapshot } from "./shared.js";

const USERS = 1500;
const KILLS = Number(process.env.PROOF_KILLS ?? 10);
const SEED = Number(process.env.PROOF_SEED ?? 20260501);

describe("proof: kill -9 at random points", () => {
  let sim: RunningCalimatic | undefined;
  afterAll(async () => {
    await sim?.close();
  });

  it(`${KILLS} × kill -9 during one migration, then a final run: nobody missing, nobody twice, ledger = target, verify ok`, async () => {
    const { dir: legacyDir, expected } = await demoWithOracle(USERS, "am-proof-kill-");
    const rand = prng(SEED);
    // Quick, but small batches so a kill lands between requests, mid-request, and between a
    // request's answer and its ledger write.
    sim = await startCalimatic({ bcryptCost: 4, rateLimit: 40 });
    const dir = tempDir("am-proof-kill-run-");
    writeFileSync(
      path.join(dir, "authmigrate.config.json"),
      JSON.stringify(calimaticConfig(sim, { source: demoSource(legacyDir), orgs: demoOrgs(legacyDir), run: { batchSize: 50, concurrency: 4, rateLimit: 4 } })),
    );
    const ledgerFile = path.join(dir, "ledger.sqlite");

    const kills: { at: string; storeBefore: number; storeAfter: number; inFlightAfter: number }[] = [];
    let completedEarly = 0;
    for (let k = 0; k < KILLS; k++) {
      const before = sim.store.users.size;
      const { child, done } = cli(dir, ["run", "--json"]);
      let exited = false;
      void done.then(() => (exited = true));
      // Kill point: either a random time after start (startup, org sync, planning, first batch…)
      // or after the store grew by a random number of users, plus jitter (between answer and ledger write).
      let at: string;
      if (rand() < 0.3) {
        const ms = Math.round(200 + rand() * 2500);
        await Promise.race([sleep(ms), done]);
        at = `${ms}ms`;
      } else {
        const grow = 1 + Math.floor(rand() * 150);
        const deadline = Date.now() + 20_000;
        while (!exited && sim.store.users.size < before + grow && Date.now() < deadline) await sleep(5);
        const jitter = Math.round(rand() * 120);
        await Promise.race([sleep(jitter), done]);
        at = `+${grow} users +${jitter}ms`;
      }
      if (exited) {
        completedEarly++;
        const r = await done;
        expect([0, 1], r.stderr).toContain(r.code); // 1 = partial: the demo's invalid users are reported failed
        break;
      }
      child.kill("SIGKILL");
      const r = await done;
      expect(r.signal).toBe("SIGKILL");
      kills.push({ at, storeBefore: before, storeAfter: sim.store.users.size, inFlightAfter: openIntentUsers(ledgerFile) });
      await sleep(Math.round(rand() * 400)); // random pause before the restart
    }

    // The final run, to completion.
    const final = await cli(dir, ["run", "--json"]).done;
    const report = JSON.parse(final.stdout) as { counts: Record<string, number>; reasons: Record<string, number> };
    // Exit 1 = partial: only the demo's invalid records (bad/missing emails) are failed, nothing transient.
    expect(final.code, final.stderr).toBe(report.counts.failed ? 1 : 0);
    expect(Object.keys(report.reasons).filter((r) => !["invalid_email", "no_email", "duplicate_of"].includes(r))).toEqual([]);

    // Zero duplicates, zero missing: exactly what a clean uninterrupted run leaves behind.
    expect(storeSnapshot(sim)).toEqual(expected);
    const ledger = readLedger(ledgerFile);
    const cons = consistency(sim, ledger);
    expect(cons).toMatchObject({ duplicateEmails: [], duplicateExternalIds: [], withoutExternalId: 0, ledgerMissingInStore: [], ledgerWrongUser: [], storeNotInLedger: [], pending: 0 });
    // Every intent a killed run left was settled by a later run.
    expect(openIntentUsers(ledgerFile)).toBe(0);
    // Every user the ledger calls migrated exists, and every migrated legacy user has its ledger row.
    const migrated = ledger.filter((r) => r.target_id && ["created", "updated", "skipped"].includes(r.status));
    expect(new Set(migrated.map((r) => r.external_id))).toEqual(new Set(expected.keys()));

    sim.limiter!.setRate(100_000, 100_000); // verify reads every user: no need to pace it
    const verify = await cli(dir, ["verify", "--json"]).done;
    expect(verify.code, verify.stderr).toBe(0);
    expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true, migrated: expected.size, unprocessed: 0, targetUsers: expected.size, missingInTarget: [], duplicates: [] });

    const midMigration = kills.filter((x) => x.storeAfter > 0 && x.storeAfter < expected.size).length;
    const withInFlight = kills.filter((x) => x.inFlightAfter > 0).length;
    const recovered = ledger.filter((r) => r.reason === "recovered_after_crash" || r.reason === "already_imported").length;
    console.log(
      `[proof:kill-random] seed ${SEED}: ${kills.length} kills (${midMigration} mid-import, ${withInFlight} left requests in flight), completed early ${completedEarly}; ` +
        `${recovered} users recovered after a crash; final run ${JSON.stringify(report.counts)}; store ${sim.store.users.size} = clean run ${expected.size}\n` +
        kills.map((x, i) => `  kill ${i + 1} at ${x.at}: store ${x.storeBefore}→${x.storeAfter}, in flight ${x.inFlightAfter}`).join("\n"),
    );
    expect(kills.length).toBe(KILLS);
    expect(midMigration).toBeGreaterThanOrEqual(Math.min(KILLS, 6));
  }, 120_000 + KILLS * 12_000);
});
