/**
 * The interceptor in a real browser: a page on 127.0.0.1 loads src/client bundled by esbuild and
 * runs a flag-on migration against fake legacy / new-provider / API endpoints on the same server.
 * Needs Chromium at /usr/bin/chromium (`apt-get install -y chromium`); skipped without it.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const CHROMIUM = "/usr/bin/chromium";
const entry = fileURLToPath(new URL("../../src/client/index.ts", import.meta.url));

const PAGE = `<!doctype html><meta charset="utf-8"><title>interceptor</title>
<script type="module">
import { createMigratingFetch } from "/client.js";
const session = {
  token: null,
  migrateCalls: 0,
  async refresh(opts) {
    if (opts && opts.invalidate) this.token = null;
    if (this.token) return this.token;
    const r = await fetch("/session/refresh", { method: "POST", credentials: "same-origin" });
    if (r.status !== 200) return null;
    this.token = (await r.json()).access_token;
    return this.token;
  },
  async migrate(legacyToken) {
    this.migrateCalls++;
    const r = await fetch("/session/migration", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ token: legacyToken }) });
    if (!r.ok) throw new Error("migration refused: " + r.status);
  },
};
const legacy = { async getToken() { const r = await fetch("/legacy/token"); if (!r.ok) throw new Error("legacy " + r.status); return (await r.json()).token; } };
const api = createMigratingFetch({
  flag: () => true,
  session,
  legacy,
  isNewProviderRequest: (req) => new URL(req.url).pathname.startsWith("/session/"),
});
try {
  const res = await Promise.all(Array.from({ length: 20 }, (_, i) => api("/api/item/" + i).then((r) => r.json())));
  window.__result = { migrateCalls: session.migrateCalls, migrations: api.migrations, auths: res.map((r) => r.auth) };
} catch (e) {
  window.__result = { error: String(e) };
}
</script>`;

describe.skipIf(!existsSync(CHROMIUM))("client interceptor in Chromium", () => {
  let server: Server;
  let url: string;
  const state = { migrations: 0, migrated: false, apiAuths: [] as (string | undefined)[], legacyFetches: 0 };

  beforeAll(async () => {
    const bundle = await build({ entryPoints: [entry], bundle: true, format: "esm", platform: "browser", target: "es2022", write: false });
    const clientJs = bundle.outputFiles[0]!.text;
    server = createServer((req, res) => {
      const path = new URL(req.url ?? "/", "http://x").pathname;
      const json = (status: number, body: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(body));
      };
      if (path === "/") {
        res.writeHead(200, { "content-type": "text/html" });
        res.end(PAGE);
      } else if (path === "/client.js") {
        res.writeHead(200, { "content-type": "text/javascript" });
        res.end(clientJs);
      } else if (path === "/legacy/token") {
        state.legacyFetches++;
        json(200, { token: "legacy-tok" });
      } else if (path === "/session/migration") {
        let body = "";
        req.on("data", (c) => (body += c));
        req.on("end", () => {
          state.migrations++;
          const ok = (JSON.parse(body) as { token?: string }).token === "legacy-tok";
          // A slow hook, so that the 20 parallel requests really overlap the migration.
          setTimeout(() => {
            if (ok) state.migrated = true;
            json(ok ? 200 : 403, {});
          }, 100);
        });
      } else if (path === "/session/refresh") {
        if (state.migrated) json(200, { access_token: "new-tok" });
        else json(401, { error: "no_session" });
      } else if (path.startsWith("/api/")) {
        state.apiAuths.push(req.headers.authorization);
        json(200, { auth: req.headers.authorization ?? null });
      } else json(404, {});
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });

  afterAll(async () => {
    await new Promise<void>((r) => {
      server?.close(() => r());
      server?.closeAllConnections();
    });
  });

  it("flag on: 20 parallel requests → one migrate call, every request carries the new token", async () => {
    const userDataDir = await mkdtemp(join(tmpdir(), "authmigrate-chromium-"));
    const context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    });
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(String(e)));
      await page.goto(url);
      await page.waitForFunction(() => (globalThis as unknown as { __result?: unknown }).__result !== undefined, undefined, { timeout: 20_000 });
      const result = (await page.evaluate(() => (globalThis as unknown as { __result: unknown }).__result)) as {
        migrateCalls?: number;
        migrations?: number;
        auths?: string[];
        error?: string;
      };
      expect(errors).toEqual([]);
      expect(result.error).toBeUndefined();
      expect(result.migrateCalls).toBe(1);
      expect(result.migrations).toBe(1);
      expect(result.auths).toEqual(Array(20).fill("Bearer new-tok"));
      expect(state.migrations).toBe(1);
      expect(state.apiAuths).toEqual(Array(20).fill("Bearer new-tok"));
    } finally {
      await context.close();
      await rm(userDataDir, { recursive: true, force: true });
    }
  });
});
