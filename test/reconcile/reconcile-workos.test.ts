import Database from "better-sqlite3";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import { runMigration } from "../../src/engine/run.js";
import { reconcile } from "../../src/reconcile/reconcile.js";
import { DRIFT_KINDS, type DriftKind, type ReconcileReport } from "../../src/reconcile/types.js";
import { startWorkosSimulator, type RunningWorkosSimulator } from "../../src/simulators/workos/index.js";
import { legacyConfig, tempDir } from "../helpers.js";
import { writeLegacy } from "./fixtures.js";

/** Reconcile against an HTTP target: the WorkOS simulator, listed page by page over real HTTP. */
const N = 200;
let sim: RunningWorkosSimulator | undefined;
afterAll(async () => {
  await sim?.close();
});

const ids = (r: ReconcileReport, kind: DriftKind): string[] => r.samples[kind].map((i) => (kind === "orphan" ? i.targetId! : i.externalId!)).sort();

describe("reconcile against the WorkOS simulator", () => {
  it("finds exactly the injected drift over HTTP, fixes it through the engine, then finds none", { timeout: 180_000 }, async () => {
    sim = await startWorkosSimulator({ roles: ["member", "admin", "owner"], rateLimit: 5000 });
    const dir = tempDir("am-reconcile-workos-");
    writeLegacy(dir, N);
    const config = parseConfig(
      legacyConfig({
        source: { type: "sqlite", path: "legacy.db", table: "Users", orderBy: ["Id"], pageSize: 500 },
        target: { type: "workos", apiKey: sim.apiKey, baseUrl: sim.url, requestsPerSecond: 2000, roleSlugs: { org_owner: "owner", org_admin: "admin" }, passwordless: "lazy" },
        run: { batchSize: 50, concurrency: 4, outDir: "out", rateLimit: 2000 },
        passwords: { reset: "none" },
      }),
      "test",
    );
    const run = await runMigration({ config, cwd: dir });
    expect(run.counts.created).toBe(N);
    expect(await reconcile({ config, cwd: dir })).toMatchObject({ driftedUsers: 0, targetUsers: N, legacy: { compared: N } });

    const ledger = new Database(path.join(dir, "ledger.sqlite"), { readonly: true });
    const tid = new Map((ledger.prepare("SELECT external_id, target_id FROM am_users").all() as { external_id: string; target_id: string }[]).map((r) => [r.external_id, r.target_id]));
    ledger.close();
    const call = async (method: string, p: string, body?: unknown): Promise<any> => {
      const res = await fetch(`${sim!.url}${p}`, { method, headers: { authorization: `Bearer ${sim!.apiKey}`, "content-type": "application/json" }, ...(body ? { body: JSON.stringify(body) } : {}) });
      if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${await res.text()}`);
      return res.status === 202 || res.status === 204 ? undefined : res.json();
    };
    // Ids 3 and 6 have RoleId 3 (member): their role is changed to admin in "the app".
    const injected: Record<DriftKind, string[]> = { missing_in_target: ["1", "2"], missing_in_legacy: ["4", "5"], profile: ["7", "8"], identifiers: ["10", "11"], org_role: ["3", "6"], orphan: [] };
    for (const id of injected.missing_in_target) await call("DELETE", `/user_management/users/${tid.get(id)}`);
    for (const id of injected.profile) await call("PUT", `/user_management/users/${tid.get(id)}`, { first_name: "Renamed" });
    for (const id of injected.identifiers) await call("PUT", `/user_management/users/${tid.get(id)}`, { email: `moved${id}@example.org` });
    for (const id of injected.org_role) {
      const m = await call("GET", `/user_management/organization_memberships?user_id=${tid.get(id)}`);
      await call("PUT", `/user_management/organization_memberships/${m.data[0].id}`, { role_slug: "admin" });
    }
    for (const i of [1, 2]) injected.orphan.push((await call("POST", "/user_management/users", { email: `signup${i}@example.org`, first_name: "Signed" })).id);
    const legacy = new Database(path.join(dir, "legacy.db"));
    for (const id of injected.missing_in_legacy) legacy.prepare("DELETE FROM Users WHERE Id = ?").run(Number(id));
    legacy.close();

    const first = await reconcile({ config, cwd: dir });
    for (const kind of DRIFT_KINDS) expect(ids(first, kind), kind).toEqual([...injected[kind]].sort());
    expect(first.samples.profile.find((i) => i.externalId === "7")!.diffs).toEqual([{ field: "first_name", legacy: "First7", target: "Renamed" }]);
    expect(first.samples.org_role.find((i) => i.externalId === "3")!.diffs![0]).toMatchObject({ legacy: ["member"], target: ["admin"] });

    const fixed = await reconcile({ config, cwd: dir, fix: { direction: "legacy-to-target", deleteExtra: true } });
    expect(fixed.fix).toMatchObject({ planned: { create: 2, update: 6, delete: 4 }, outcomes: { created: 2, updated: 6, deleted: 4 } });
    const second = await reconcile({ config, cwd: dir });
    expect(second.counts).toEqual(Object.fromEntries(DRIFT_KINDS.map((k) => [k, 0])));
    expect(second.targetUsers).toBe(N - 2);
  });
});
