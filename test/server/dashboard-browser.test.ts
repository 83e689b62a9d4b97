/**
 * The dashboard in a real browser (playwright-core + Debian chromium): serve runs in this process,
 * `authmigrate run` in another against the Calimatic simulator at 4 imports/s, so the page is
 * watched while the ledger fills. Every number read from the page is checked against the ledger
 * read just before and just after it (ledger-before ≤ page ≤ ledger-after while counts grow).
 */
import Database from "better-sqlite3";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import { generateLegacyDb } from "../../src/demo/generate-legacy.js";
import { targetKey } from "../../src/ledger/index.js";
import { startService, type RunningService } from "../../src/server/service.js";
import { startCalimatic, type RunningCalimatic } from "../../src/simulators/calimatic/index.js";
import { tempDir } from "../helpers.js";
import { calimaticConfig, cli, demoOrgs, demoSource } from "../proof/shared.js";

const TOKEN = "browser-test-token-0123456789";
const USERS = 400;
const ARTIFACTS = path.resolve("test-artifacts");

let dir: string;
let sim: RunningCalimatic;
let svc: RunningService;
let ctx: BrowserContext;
let page: Page;
let target: string;

interface LedgerCounts {
  migrated: number;
  failed: number;
  rows: number;
}

function ledger(): LedgerCounts {
  const db = new Database(path.join(dir, "ledger.sqlite"), { readonly: true });
  try {
    const r = db
      .prepare(
        `SELECT SUM(CASE WHEN status IN ('created','updated') OR (status = 'skipped' AND target_id IS NOT NULL) THEN 1 ELSE 0 END) AS migrated,
                SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END) AS failed, COUNT(*) AS rows
           FROM am_users WHERE target = ?`,
      )
      .get(target) as { migrated: number | null; failed: number | null; rows: number };
    return { migrated: r.migrated ?? 0, failed: r.failed ?? 0, rows: r.rows };
  } finally {
    db.close();
  }
}

const num = async (id: string): Promise<number> => Number((await page.locator(`#${id}`).textContent())!.replace(/,/g, ""));
/** Wait until the page has rendered an overview generated after `since` (ISO). */
async function freshOverview(since: string): Promise<void> {
  // Runs in the page (a function, not a string: the page's CSP forbids eval). This file is compiled without the DOM lib.
  type Doc = { getElementById(id: string): { getAttribute(name: string): string | null } | null };
  await page.waitForFunction((s) => ((globalThis as unknown as { document: Doc }).document.getElementById("updated")?.getAttribute("data-generated-at") ?? "") > s, since, { timeout: 15_000 });
}

beforeAll(async () => {
  dir = tempDir("am-dash-browser-");
  generateLegacyDb({ file: path.join(dir, "legacy.db"), users: USERS });
  sim = await startCalimatic({ bcryptCost: 4 });
  const input = {
    ...calimaticConfig(sim, { source: demoSource(dir), orgs: demoOrgs(dir), run: { rateLimit: 4, batchSize: 20, concurrency: 1, outDir: "out" } }),
    serve: { secret: "hook-secret-0123456789-xyz", dashboard: { token: TOKEN, refreshMs: 400 } },
  };
  writeFileSync(path.join(dir, "authmigrate.config.json"), JSON.stringify(input, null, 2));
  const config = parseConfig(input);
  target = targetKey(config.target);
  svc = await startService(config, dir, { port: 0, log: () => {} });
  ctx = await chromium.launchPersistentContext(tempDir("am-chromium-"), {
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-background-networking"],
    acceptDownloads: true,
    viewport: { width: 1400, height: 1000 },
  });
  page = ctx.pages()[0] ?? (await ctx.newPage());
}, 60_000);

afterAll(async () => {
  await ctx?.close();
  await svc?.close();
  await sim?.close();
});

describe("dashboard in a browser", () => {
  it("signs in, follows a running migration live, matches the ledger, looks a user up and downloads the failures CSV", async () => {
    await page.goto(`${svc.url}/`);
    expect(page.url()).toBe(`${svc.url}/login`);
    await page.fill("#token", "not-the-token-000000");
    await page.click("button[type=submit]");
    await expect.poll(() => page.locator("#login-error").textContent()).toContain("Wrong token");
    await page.fill("#token", TOKEN);
    await page.click("button[type=submit]");
    await page.waitForURL(`${svc.url}/`);
    await expect.poll(() => page.locator("#live").textContent()).toBe("live");

    const run = cli(dir, ["run", "-c", "authmigrate.config.json", "--json"]);
    let finished = false;
    void run.done.then(() => (finished = true));

    // While the run writes: each page reading lies between the ledger before and after it.
    const seen: number[] = [];
    let sawRate = false;
    while (!finished) {
      const before = ledger();
      await freshOverview(new Date().toISOString());
      const shown = { migrated: await num("migrated"), failed: await num("failed") };
      const after = ledger();
      expect(shown.migrated).toBeGreaterThanOrEqual(before.migrated);
      expect(shown.migrated).toBeLessThanOrEqual(after.migrated);
      expect(shown.failed).toBeGreaterThanOrEqual(before.failed);
      expect(shown.failed).toBeLessThanOrEqual(after.failed);
      seen.push(shown.migrated);
      if ((await page.locator("#run-status").textContent())?.includes("running")) {
        expect(await page.locator("#limit").textContent()).toBe("4/s");
        const rate = Number(await page.locator("#rate").textContent());
        if (rate > 0) {
          sawRate = true;
          expect(rate).toBeLessThanOrEqual(4 * 1.5); // the run's limiter keeps it at the target's limit
        }
      }
    }
    const result = await run.done;
    expect(result.code, result.stderr).toBeLessThanOrEqual(1); // 1 = some users failed (the demo has invalid emails)
    const report = JSON.parse(result.stdout) as { counts: Record<string, number>; runId: number };

    // It progressed visibly: readings strictly between nothing and everything.
    const final = ledger();
    expect(seen.filter((n) => n > 0 && n < final.migrated).length).toBeGreaterThanOrEqual(2);
    expect(sawRate).toBe(true);

    // At the end: the overview, status blocks and failures agree with the ledger exactly.
    await freshOverview(new Date().toISOString());
    expect(await num("migrated")).toBe(final.migrated);
    expect(await num("failed")).toBe(final.failed);
    expect(await num("total")).toBe(USERS);
    expect(await num("remaining")).toBe(0);
    expect(await num("bulk")).toBe(final.migrated);
    expect(await num("lazy")).toBe(0);
    expect(await page.locator("#run-status").textContent()).toBe(`run #${report.runId} completed`);
    const createdRow = page.locator("#by-status tr", { hasText: "created" });
    expect(Number((await createdRow.locator("td").nth(1).textContent())!)).toBe(report.counts.created);
    await expect.poll(async () => Number((await page.locator("#failures-total").textContent())!.replace(/,/g, ""))).toBe(final.failed);

    // User lookup: a migrated user by email.
    const db = new Database(path.join(dir, "ledger.sqlite"), { readonly: true });
    const someone = db.prepare("SELECT external_id, email, target_id FROM am_users WHERE target = ? AND status = 'created' ORDER BY external_id LIMIT 1").get(target) as { external_id: string; email: string; target_id: string };
    const failedRows = db.prepare("SELECT external_id, email, reason FROM am_users WHERE target = ? AND status = 'failed' ORDER BY external_id").all(target) as { external_id: string; email: string | null; reason: string }[];
    db.close();
    await page.fill("#lookup-q", someone.email.toUpperCase());
    await page.click("#lookup button[type=submit]");
    const cells = page.locator("#lookup-results tr").first().locator("td");
    await expect.poll(() => cells.first().textContent()).toBe(someone.external_id);
    expect(await cells.nth(1).textContent()).toBe(someone.target_id);
    expect(await cells.nth(3).textContent()).toBe("created");
    expect(await cells.nth(4).textContent()).toBe("bulk");

    // Failures CSV download: exactly the ledger's failed users, in retry.csv's columns.
    expect(failedRows.length).toBeGreaterThan(0);
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#failures-csv")]);
    const csv = readFileSync((await download.path())!, "utf8").trim().split("\n");
    expect(csv[0]).toBe("location,externalId,email,reason,retryable");
    expect(csv.slice(1).map((l) => l.split(",")[1])).toEqual(failedRows.map((r) => r.external_id));

    // Filtered by one reason family: the table shows just those.
    const family = failedRows[0]!.reason.split(":")[0]!;
    await page.selectOption("#f-reason", family);
    const expected = failedRows.filter((r) => r.reason.split(":")[0] === family).length;
    await expect.poll(() => page.locator("#failures tr").count()).toBe(expected);

    mkdirSync(ARTIFACTS, { recursive: true });
    const shot = path.join(ARTIFACTS, "dashboard.png");
    await page.screenshot({ path: shot, fullPage: true });
    if (process.env.UPDATE_DOCS_SCREENSHOT) copyFileSync(shot, path.resolve("docs/img/dashboard.png"));
  }, 180_000);
});
