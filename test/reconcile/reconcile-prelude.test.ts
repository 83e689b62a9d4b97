import Database from "better-sqlite3";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import { runMigration } from "../../src/engine/run.js";
import { reconcile } from "../../src/reconcile/reconcile.js";
import { DRIFT_KINDS } from "../../src/reconcile/types.js";
import { startPrelude, type RunningPrelude } from "../../src/simulators/prelude/index.js";
import { legacyConfig, tempDir } from "../helpers.js";
import { writeLegacy } from "./fixtures.js";

/** Prelude: list-users paged by cursor (120 users = 2 pages); identifiers (emails, phones) compared as sets. */
let sim: RunningPrelude | undefined;
afterAll(async () => {
  await sim?.close();
});

describe("reconcile against the Prelude simulator", () => {
  it("finds identifier, profile and missing drift across pages, fixes it, then finds none", { timeout: 120_000 }, async () => {
    sim = await startPrelude();
    const dir = tempDir("am-reconcile-prelude-");
    writeLegacy(dir, 120);
    const config = parseConfig(legacyConfig({ target: { type: "prelude", appId: sim.appId, apiKey: sim.apiKey, baseUrl: sim.url, identifierSync: "diff" }, run: { batchSize: 50, concurrency: 2, outDir: "out", rateLimit: 2000 } }), "test");
    expect((await runMigration({ config, cwd: dir })).counts.created).toBe(120);
    expect((await reconcile({ config, cwd: dir })).driftedUsers).toBe(0);

    const ledger = new Database(path.join(dir, "ledger.sqlite"), { readonly: true });
    const tid = (id: string): string => ledger.prepare("SELECT target_id FROM am_users WHERE external_id = ?").pluck().get(id) as string;
    const call = async (method: string, p: string, body?: unknown): Promise<void> => {
      const res = await fetch(`${sim!.url}/v2/session/apps/${sim!.appId}${p}`, { method, headers: { authorization: `Bearer ${sim!.apiKey}`, "content-type": "application/json" }, ...(body ? { body: JSON.stringify(body) } : {}) });
      if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${await res.text()}`);
    };
    await call("DELETE", `/users/${tid("3")}`);
    await call("PATCH", `/users/${tid("110")}/profile`, { first_name: "Renamed" });
    await call("POST", `/users/${tid("111")}/identifiers`, { type: "email_address", value: "second111@example.org" });
    ledger.close();
    const legacy = new Database(path.join(dir, "legacy.db"));
    legacy.prepare("DELETE FROM Users WHERE Id = 50").run();
    legacy.close();

    const first = await reconcile({ config, cwd: dir });
    const got = Object.fromEntries(DRIFT_KINDS.map((k) => [k, first.samples[k].map((i) => i.externalId)]));
    expect(got).toEqual({ missing_in_target: ["3"], missing_in_legacy: ["50"], profile: ["110"], identifiers: ["111"], orphan: [], org_role: [] });
    expect(first.samples.identifiers[0]!.diffs).toEqual([{ field: "emails", legacy: ["user111@example.com"], target: ["second111@example.org", "user111@example.com"] }]);

    const fixed = await reconcile({ config, cwd: dir, fix: { direction: "legacy-to-target", deleteExtra: true } });
    expect(fixed.fix!.outcomes).toEqual({ created: 1, updated: 2, deleted: 1 });
    // identifierSync "diff": the update also removes the identifier added in the app.
    const second = await reconcile({ config, cwd: dir });
    expect(second.driftedUsers, JSON.stringify(second.samples)).toBe(0);
  });
});
