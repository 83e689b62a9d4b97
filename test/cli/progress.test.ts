import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { Progress } from "../../src/engine/progress.js";
import { progressReporter } from "../../src/cli/progress.js";
import { CLI_ARGS, legacyConfig, tempDir, writeLegacyDb } from "../helpers.js";

const p = (processed: number, total = 100, rate = 10): Progress => ({ processed, total, rate, etaSeconds: (total - processed) / rate, counts: { created: processed } });

describe("progressReporter", () => {
  it("plain mode: a line at most every interval with count, %, rate and ETA, and always a last one", () => {
    let t = 0;
    const lines: string[] = [];
    const r = progressReporter("run", { mode: "plain", write: (s) => lines.push(s), plainEveryMs: 5000, now: () => t });
    r(p(10));
    t = 1000;
    r(p(20)); // within 5 s: not printed
    t = 6000;
    r(p(60));
    t = 6500;
    r(p(100));
    r.stop();
    r.stop();
    expect(lines).toEqual(["run: 10/100 10.0% · 10/s ETA 9s\n", "run: 60/100 60.0% · 10/s ETA 4s\n", "run: 100/100 100.0% · 10/s ETA 0s\n"]);
  });

  it("json mode: NDJSON progress events, the last one final", () => {
    let t = Date.parse("2026-01-01T00:00:00Z");
    const lines: string[] = [];
    const r = progressReporter("reconcile", { mode: "json", write: (s) => lines.push(s), jsonEveryMs: 1000, now: () => t });
    r(p(30));
    t += 1500;
    r(p(80));
    r.stop();
    const events = lines.map((l) => JSON.parse(l));
    expect(events).toEqual([
      { type: "progress", command: "reconcile", processed: 30, total: 100, rate: 10, etaSeconds: 7, counts: { created: 30 }, final: false, ts: "2026-01-01T00:00:00.000Z" },
      { type: "progress", command: "reconcile", processed: 80, total: 100, rate: 10, etaSeconds: 2, counts: { created: 80 }, final: false, ts: "2026-01-01T00:00:01.500Z" },
      { type: "progress", command: "reconcile", processed: 80, total: 100, rate: 10, etaSeconds: 2, counts: { created: 80 }, final: true, ts: "2026-01-01T00:00:01.500Z" },
    ]);
  });
});

function runCli(cwd: string, args: string[], viaTty = false): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const argv = [process.execPath, ...CLI_ARGS, ...args];
  // `script` gives the CLI a real pseudo-terminal (stdout and stderr both land in our stdout then).
  const [cmd, ...rest] = viaTty ? ["script", "-qefc", argv.map((a) => `'${a}'`).join(" "), "/dev/null"] : argv;
  const child = spawn(cmd!, rest, { cwd, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, COLUMNS: "120" } });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}

function project(): string {
  const dir = tempDir("am-progress-");
  writeLegacyDb(path.join(dir, "legacy.db"), Array.from({ length: 40 }, (_, i) => ({ Id: i + 1, Email: `u${i + 1}@example.com` })));
  writeFileSync(path.join(dir, "authmigrate.config.json"), JSON.stringify(legacyConfig()));
  return dir;
}

describe("run's progress on stderr", () => {
  it("--json: NDJSON progress events on stderr, the report alone on stdout", async () => {
    const dir = project();
    const r = await runCli(dir, ["run", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).counts.created).toBe(40);
    const events = r.stderr.trim().split("\n").map((l) => JSON.parse(l) as { type: string; command: string; processed: number; total: number; final: boolean });
    expect(events.length).toBeGreaterThanOrEqual(1);
    expect(events.every((e) => e.type === "progress" && e.command === "run" && e.total === 40)).toBe(true);
    expect(events.at(-1)).toMatchObject({ processed: 40, final: true });
  }, 60_000);

  it("not a TTY: plain lines (ending with the total); a TTY: a progress bar with count and ETA", async () => {
    const plain = await runCli(project(), ["run"]);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stderr.trim().split("\n").at(-1)).toMatch(/^run: 40\/40 100\.0% · \d+\/s ETA 0s$/);
    const tty = await runCli(project(), ["run"], true);
    expect(tty.code, tty.stdout).toBe(0);
    expect(tty.stdout).toMatch(/run \[[█░]+\] 100% \| 40\/40 \| \d+\/s \| ETA \S+/);
  }, 60_000);
});
