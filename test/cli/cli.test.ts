import { spawnSync } from "node:child_process";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CLI_ARGS, legacyConfig, tempDir, writeLegacyDb } from "../helpers.js";


function cli(args: string[], cwd: string, env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [...CLI_ARGS, ...args], { cwd, encoding: "utf8", env: { ...process.env, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function project(cfg: object = legacyConfig()): string {
  const dir = tempDir();
  writeLegacyDb(path.join(dir, "legacy.db"), [
    { Id: 1, Email: "a@school.edu", PasswordHash: "$2b$10$VvC10Nhzh8oCRE6A9ywlS.iV7fjqU4LFPnENq2jGdtLyn.SK0Ybju" },
    { Id: 2, Email: null },
  ]);
  writeFileSync(path.join(dir, "authmigrate.config.json"), JSON.stringify(cfg));
  return dir;
}

describe("CLI", () => {
  it("init writes a commented config that plan can run once edited for the source", () => {
    const dir = tempDir();
    const r = cli(["init"], dir);
    expect(r.code).toBe(0);
    const text = readFileSync(path.join(dir, "authmigrate.config.ts"), "utf8");
    expect(text).toContain("defineConfig(");
    expect(text).toContain('"1": "org_owner"');
    expect(cli(["init"], dir).code).toBe(2); // refuses to overwrite
  });

  it("run exits 1 when some users failed, prints the summary, and --json is parseable", () => {
    const dir = project();
    const r = cli(["run", "--json"], dir);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as { counts: Record<string, number> };
    expect(report.counts).toMatchObject({ total: 2, created: 1, failed: 1 });
    const status = cli(["status"], dir);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/created\s+1/);
    expect(statSync(path.join(dir, "out/report.jsonl")).mode & 0o777).toBe(0o600);
  });

  it("invalid config: one line naming the path and the fix, exit 2, JSON error with --json", () => {
    const cfg = legacyConfig();
    delete (cfg.mapping.fields as Record<string, unknown>).email;
    const dir = project(cfg);
    const r = cli(["plan"], dir);
    expect(r.code).toBe(2);
    expect(r.stderr.split("\n")[0]).toBe('error: mapping.fields.email: required — map it to a source column, e.g. "Email"');
    const j = cli(["plan", "--json"], dir);
    expect(JSON.parse(j.stdout)).toMatchObject({ status: "error", error: { code: "CONFIG_INVALID" } });
  });

  it("unknown column: names it and lists the available ones", () => {
    const cfg = legacyConfig();
    const dir = project({ ...cfg, mapping: { ...cfg.mapping, fields: { ...cfg.mapping.fields, givenName: "First_Name" } } });
    const r = cli(["plan"], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('mapping.fields.givenName: unknown column "First_Name"');
    expect(r.stderr).toContain("available columns: Id, Email, FirstName");
  });

  it("unreachable database: host, port and database named, password never printed", () => {
    const cfg = legacyConfig({ source: { type: "postgres", url: "postgres://app:${PGPASS}@127.0.0.1:1/legacy", table: "Users", orderBy: ["Id"] } });
    const dir = project(cfg);
    const r = cli(["plan"], dir, { PGPASS: "Sup3rSecretPw" });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("127.0.0.1:1");
    expect(r.stderr).toContain("legacy");
    expect(r.stderr + r.stdout).not.toContain("Sup3rSecretPw");
    expect(r.stderr.trim().split("\n").length).toBeLessThanOrEqual(2);
  });

  it("missing env var for a secret is a clear error", () => {
    const cfg = legacyConfig({ source: { type: "postgres", url: "postgres://app:${NOT_SET_PW}@127.0.0.1:1/legacy", table: "Users", orderBy: ["Id"] } });
    const r = cli(["plan"], project(cfg));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("environment variable NOT_SET_PW is not set");
  });

  it("hash scan counts formats in the source and never prints a value", () => {
    const r = cli(["hash", "scan", "--json"], project());
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ total: 2, empty: 1, formats: { bcrypt: 1 } });
    expect(r.stdout).not.toContain("$2b$");
  });

  it("hash scan on a provider export (no mapping) counts the formats the source decoded", () => {
    const dir = tempDir();
    const cfg = { source: { type: "keycloak", path: path.resolve("test/fixtures/sources/keycloak/acme-realm-with-users.json") }, target: { type: "file", path: "out.ndjson" }, ledger: { url: "ledger.sqlite" } };
    writeFileSync(path.join(dir, "authmigrate.config.json"), JSON.stringify(cfg));
    const r = cli(["hash", "scan", "--json"], dir);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const counts = JSON.parse(r.stdout) as { total: number; empty: number; formats: Record<string, number> };
    expect(counts.total).toBeGreaterThanOrEqual(30);
    expect(counts.formats["pbkdf2-keycloak-json"]).toBeGreaterThan(20);
    expect(counts.empty).toBeGreaterThan(0);
    expect(r.stdout).not.toMatch(/secretData|hashIterations|"value"/);
  });

  it("rollback demands --yes or --dry-run", () => {
    const r = cli(["rollback"], project());
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--dry-run");
  });

  it("--version matches package.json", () => {
    const pkg = JSON.parse(readFileSync("package.json", "utf8")) as { version: string };
    expect(cli(["--version"], tempDir()).stdout.trim()).toBe(pkg.version);
  });
});
