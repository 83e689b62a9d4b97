/**
 * History is kept per target block. A run or plan whose block has no history while the ledger
 * holds another block of the same target type says so up front (an edited setting would otherwise
 * make every migrated user look new).
 */
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import { runMigration } from "../../src/engine/run.js";
import { renderRunReport } from "../../src/cli/commands/migrate.js";
import { legacyConfig, tempDir, writeLegacyDb } from "../helpers.js";

const users = Array.from({ length: 6 }, (_, i) => ({ Id: i + 1, Email: `u${i + 1}@example.com`, FirstName: "U", LastName: String(i + 1), PasswordHash: null, TenantId: null }));

describe("history notice", () => {
  it("silent on the first run and on re-runs; a plan and a run after the target block changed name both keys", async () => {
    const dir = tempDir();
    writeLegacyDb(path.join(dir, "legacy.db"), users);
    const base = legacyConfig();
    delete (base as { orgs?: unknown }).orgs;
    const first = await runMigration({ config: parseConfig(base), cwd: dir });
    expect(first.counts.created).toBe(6);
    expect(first.notices).toBeUndefined();
    const again = await runMigration({ config: parseConfig(base), cwd: dir });
    expect(again.counts.unchanged).toBe(6);
    expect(again.notices).toBeUndefined();

    // Same destination, one option added: a different target block, so no history under its key.
    const edited = parseConfig({ ...base, target: { type: "file", path: "out/users.ndjson", orgsPath: "out/orgs.ndjson" } });
    const plan = await runMigration({ config: edited, cwd: dir, dryRun: true });
    expect(plan.notices).toHaveLength(1);
    expect(plan.notices![0]).toMatch(/no history for this target block \(key file:[0-9a-f]{12}\) but holds 6 users for another file block \(key file:[0-9a-f]{12}\)/);
    expect(renderRunReport(plan)).toContain("note: the ledger has no history for this target block");

    const run = await runMigration({ config: edited, cwd: dir });
    expect(run.notices).toHaveLength(1);
    // What the notice warns about: the users already there are linked, not "unchanged".
    expect(run.counts.unchanged).toBe(0);
    // Once this block has history, it is quiet again.
    expect((await runMigration({ config: edited, cwd: dir })).notices).toBeUndefined();
  });
});
