import Database from "better-sqlite3";
import { Command } from "commander";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { AuditReport } from "../../src/audit/compute.js";
import { parseAsOf, registerAuditCommand, runAuditCommand, type AuditCommandDeps } from "../../src/cli/commands/audit.js";
import { AuthmigrateError } from "../../src/errors.js";
import { AS_OF, BCRYPT, CONFIG_INPUT, KEYCLOAK, ROWS, mapRows } from "./fixtures.js";

let dir: string;

function writeConfig(name: string, source: unknown): string {
  const file = path.join(dir, name);
  writeFileSync(file, JSON.stringify({ ...CONFIG_INPUT, source }));
  return file;
}

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "am-audit-cli-"));
  const db = new Database(path.join(dir, "legacy.db"));
  db.exec(`CREATE TABLE Users (Id INTEGER PRIMARY KEY, Email TEXT, FirstName TEXT, LastName TEXT, IsActive INTEGER, RoleId INTEGER,
    TenantId TEXT, LastLoginDate TEXT, PasswordHash TEXT)`);
  const ins = db.prepare("INSERT INTO Users VALUES (@Id,@Email,@FirstName,@LastName,@IsActive,@RoleId,@TenantId,@LastLoginDate,@PasswordHash)");
  for (const r of ROWS) ins.run(r);
  db.close();
  writeConfig("sqlite.json", { type: "sqlite", path: "legacy.db", table: "Users" });
  writeConfig("pg.json", { type: "postgres", url: "postgres://u@localhost/legacy", table: "Users" });
  writeConfig("my.json", { type: "mysql", url: "mysql://u@localhost/legacy", query: "SELECT * FROM Users" });
  writeConfig("csv.json", { type: "csv", path: "users.csv" });
  const cols = Object.keys(ROWS[0]!);
  const csvCell = (v: unknown) => (v === null ? "" : `"${String(v).replace(/"/g, '""')}"`);
  writeFileSync(path.join(dir, "users.csv"), [cols.join(","), ...ROWS.map((r) => cols.map((c) => csvCell((r as unknown as Record<string, unknown>)[c])).join(","))].join("\n") + "\n");
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

interface Run {
  stdout: string;
  stderr: string;
}

async function run(args: string[], deps: AuditCommandDeps = {}): Promise<Run> {
  let stdout = "";
  let stderr = "";
  const program = new Command("authmigrate").exitOverride();
  registerAuditCommand(program, {
    stdout: (s) => void (stdout += s),
    stderr: (s) => void (stderr += s),
    progress: false,
    ...deps,
  });
  await program.parseAsync(["audit", ...args], { from: "user" });
  return { stdout, stderr };
}

const cfg = (name: string) => ["--config", path.join(dir, name)];

describe("authmigrate audit (CLI)", () => {
  it("prints the table from a real SQLite source", async () => {
    const { stdout } = await run([...cfg("sqlite.json"), "--as-of", "2024-06-30T12:00:00Z"]);
    expect(stdout).toMatch(/authmigrate audit — sqlite .*legacy\.db table Users/);
    expect(stdout).toMatch(/records read\s+15\s+100%/);
    expect(stdout).toMatch(/active_30d \(login < 30 days\)\s+5/);
    expect(stdout).toMatch(/jane@school\.edu\s+3/);
    expect(stdout).not.toContain(BCRYPT);
    expect(stdout).not.toContain(KEYCLOAK);
  });

  it("--json prints the same report auditUsers computes", async () => {
    const { stdout, stderr } = await run([...cfg("sqlite.json"), "--as-of", "2024-06-30T12:00:00Z", "--json"]);
    const report = JSON.parse(stdout) as AuditReport;
    expect(stderr).toBe("");
    expect(report.asOf).toBe(AS_OF.toISOString());
    expect(report.totals).toEqual({ records: 15, users: 15, active: 13, inactive: 2, failed: 0 });
    expect(report.activity).toEqual({ active_30d: 5, active_90d: 2, inactive_1y: 4, dormant: 2, neverLoggedIn: 1 });
    expect(report.duplicates.list).toHaveLength(2);
    const { auditUsers } = await import("../../src/audit/compute.js");
    const direct = await auditUsers(await mapRows(ROWS as unknown as Record<string, unknown>[]), { asOf: AS_OF });
    expect({ ...report, source: "", generatedAt: "" }).toEqual({ ...direct, source: "", generatedAt: "" });
    expect(stdout).not.toContain(BCRYPT);
  });

  it("reads a CSV source too", async () => {
    const { stdout } = await run([...cfg("csv.json"), "--as-of", "2024-06-30", "--json"]);
    const report = JSON.parse(stdout) as AuditReport;
    expect(report.asOf).toBe("2024-06-30T00:00:00.000Z");
    expect(report.totals.users).toBe(15);
    expect(report.duplicates.groups).toBe(2);
    expect(report.emails.missing.count).toBe(2);
  });

  it("--html writes a file and says where; --limit-groups limits the listed groups", async () => {
    const out = path.join(dir, "reports", "audit.html");
    const { stdout } = await run([...cfg("sqlite.json"), "--html", out, "--limit-groups", "1"]);
    expect(stdout).toBe(`audit report written to ${out}\n`);
    const html = readFileSync(out, "utf8");
    expect(html).toContain("<!doctype html>");
    expect(html).toContain("jane@school.edu");
    expect(html).not.toContain("<code>bob@x.org</code>");
    expect(html).toContain("1 more groups");
  });

  it("--html with --json keeps stdout pure JSON", async () => {
    const out = path.join(dir, "both.html");
    const { stdout, stderr } = await run([...cfg("sqlite.json"), "--html", out, "--json"]);
    expect(() => JSON.parse(stdout)).not.toThrow();
    expect(stderr).toContain(out);
    expect(existsSync(out)).toBe(true);
  });

  it("--sql picks the dialect from the source type", async () => {
    expect((await run([...cfg("pg.json"), "--sql"])).stdout).toContain(`now() - interval '30 days'`);
    const my = (await run([...cfg("my.json"), "--sql"])).stdout;
    expect(my).toContain("NOW() - INTERVAL 30 DAY");
    expect(my).toContain("FROM (\nSELECT * FROM Users\n) AS src");
    const ms = (await run([...cfg("sqlite.json"), "--sql", "--dialect", "mssql", "--as-of", "2024-06-30"])).stdout;
    expect(ms).toContain("DATEADD(day, -30, CAST('2024-06-30 00:00:00.000' AS datetime2))");
    expect(ms).toContain("FROM [Users]");
    const csv = (await run([...cfg("csv.json"), "--sql", "--dialect", "postgres", "--table", "legacy.Users"])).stdout;
    expect(csv).toContain(`FROM "legacy"."Users"`);
  });

  it("--sql does not open the source", async () => {
    const openUsers = vi.fn();
    await run([...cfg("pg.json"), "--sql"], { openUsers });
    expect(openUsers).not.toHaveBeenCalled();
  });

  it.each([
    [["--sql"], "sqlite.json", /cannot tell the SQL dialect of a sqlite source/],
    [["--sql", "--dialect", "oracle"], "pg.json", /unknown dialect "oracle"/],
    [["--sql"], "csv.json", /needs a SQL source/],
    [["--sql", "--json"], "pg.json", /cannot be combined/],
    [["--dialect", "mysql"], "pg.json", /only applies with --sql/],
    [["--as-of", "yesterday-ish"], "pg.json", /--as-of: not a date/],
    [["--limit-groups", "-1"], "pg.json", /--limit-groups/],
  ])("usage error: %j with %s", async (args, config, message) => {
    const exit = vi.spyOn(process, "exit");
    const p = run([...cfg(config), ...args]);
    await expect(p).rejects.toBeInstanceOf(AuthmigrateError);
    await expect(p).rejects.toThrow(message);
    expect(exit).not.toHaveBeenCalled();
    exit.mockRestore();
  });

  it("reports a missing config as CONFIG_NOT_FOUND", async () => {
    await expect(run(["--config", path.join(dir, "nope.json")])).rejects.toMatchObject({ code: "CONFIG_NOT_FOUND" });
  });

  it("with --json, progress is NDJSON events on stderr (count, total, rate, ETA), and the source is closed", async () => {
    const records = await mapRows(ROWS as unknown as Record<string, unknown>[]);
    const close = vi.fn(async () => undefined);
    async function* slow() {
      for (const r of records) {
        await new Promise((res) => setTimeout(res, 90));
        yield r;
      }
    }
    const { stderr, stdout } = await run([...cfg("pg.json"), "--json"], {
      progress: true,
      openUsers: async () => ({ describe: "slow source", total: 15, records: slow(), close }),
    });
    const events = stderr.trim().split("\n").map((l) => JSON.parse(l) as { type: string; command: string; processed: number; total: number; rate: number; final: boolean; etaSeconds: number | null });
    expect(events.length).toBeGreaterThanOrEqual(2);
    expect(events.every((e) => e.type === "progress" && e.command === "audit" && e.total === 15)).toBe(true);
    expect(events[0]!.processed).toBeGreaterThan(0);
    expect(events[0]!.processed).toBeLessThan(15);
    expect(events[0]!.etaSeconds).not.toBeNull();
    expect(events.at(-1)).toMatchObject({ processed: 15, final: true });
    expect(JSON.parse(stdout).source).toBe("slow source");
    expect(close).toHaveBeenCalledOnce();
  });

  it("closes the source when reading fails", async () => {
    const close = vi.fn(async () => undefined);
    async function* broken() {
      yield* [];
      throw new Error("connection reset");
    }
    await expect(run([...cfg("pg.json")], { openUsers: async () => ({ describe: "x", records: broken(), close }) })).rejects.toThrow("connection reset");
    expect(close).toHaveBeenCalledOnce();
  });

  it("runAuditCommand returns the report", async () => {
    const r = await runAuditCommand({ config: path.join(dir, "sqlite.json"), asOf: "2024-06-30T12:00:00Z", json: true }, { stdout: () => undefined });
    expect(typeof r).toBe("object");
    expect((r as AuditReport).totals.records).toBe(15);
  });

  it("parseAsOf treats a bare date as UTC midnight", () => {
    expect(parseAsOf("2024-01-02").toISOString()).toBe("2024-01-02T00:00:00.000Z");
    expect(parseAsOf("2024-01-02T03:04:05+01:00").toISOString()).toBe("2024-01-02T02:04:05.000Z");
    expect(() => parseAsOf("")).toThrow(AuthmigrateError);
  });
});
