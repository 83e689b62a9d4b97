import { spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CLI_ARGS, legacyConfig, tempDir, writeLegacyDb } from "../helpers.js";

describe("run --workers on a SQLite ledger", () => {
  it("fails before touching the target, explaining that a PostgreSQL ledger is needed", () => {
    const dir = tempDir();
    writeLegacyDb(path.join(dir, "legacy.db"), [{ Id: 1, Email: "a@x.io" }]);
    writeFileSync(path.join(dir, "authmigrate.config.json"), JSON.stringify(legacyConfig()));
    const r = spawnSync(process.execPath, [...CLI_ARGS, "run", "--workers", "2", "--json"], { cwd: dir, encoding: "utf8" });
    expect(r.status).not.toBe(0);
    const out = JSON.parse(r.stdout) as { error: { code: string; message: string; hint: string } };
    expect(out.error.code).toBe("SCALE_NEEDS_POSTGRES");
    expect(out.error.message).toMatch(/need a PostgreSQL ledger; this config uses sqlite/);
    expect(out.error.hint).toMatch(/ledger\.url: postgres:\/\//);
    // Nothing was written to the target.
    expect(existsSync(path.join(dir, "out/users.ndjson"))).toBe(false);
  });
});
