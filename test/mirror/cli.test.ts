import { execFile } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { targetKey } from "../../src/ledger/index.js";
import { SqliteOutboxStore } from "../../src/mirror/index.js";
import { MigrationUserSchema } from "../../src/model/user.js";
import { CLI_ARGS, legacyConfig, tempDir } from "../helpers.js";

const run = promisify(execFile);

async function cli(cwd: string, ...args: string[]): Promise<{ code: number; stdout: string }> {
  try {
    const r = await run(process.execPath, [...CLI_ARGS, ...args], { cwd });
    return { code: 0, stdout: r.stdout };
  } catch (e) {
    const err = e as { code: number; stdout: string };
    return { code: err.code, stdout: err.stdout };
  }
}

describe("authmigrate mirror", () => {
  it("reports the outbox, delivers due changes with --drain, and exits 1 while dead letters exist", async () => {
    const dir = tempDir("am-mirror-cli-");
    writeFileSync(`${dir}/authmigrate.config.json`, JSON.stringify(legacyConfig()));
    mkdirSync(`${dir}/out`, { recursive: true });
    writeFileSync(`${dir}/out/users.ndjson`, JSON.stringify(MigrationUserSchema.parse({ externalId: "1", email: "a@example.com" })) + "\n");
    const { config } = await loadConfig(undefined, dir);
    const store = new SqliteOutboxStore(`${dir}/ledger.sqlite`, targetKey(config.target as { type: string }));
    await store.enqueue({ action: "upsert", externalId: "1", user: MigrationUserSchema.parse({ externalId: "1", email: "a@example.com", profile: { givenName: "Queued" } }) });
    const lost = await store.enqueue({ action: "delete", externalId: "2" });
    await store.dead({ id: lost.id, seq: lost.seq, externalId: "2", change: { action: "delete", externalId: "2" }, attempts: 8 }, "gave up after 8 attempts: TARGET_HTTP_ERROR:503");
    await store.close();

    const before = await cli(dir, "mirror", "--json");
    expect(before.code).toBe(1);
    const report = JSON.parse(before.stdout) as { pending: number; dead: number; deadLetters: { externalId: string; reason: string }[] };
    expect(report).toMatchObject({ pending: 1, dead: 1 });
    expect(report.deadLetters[0]).toMatchObject({ externalId: "2", reason: expect.stringMatching(/gave up after 8 attempts/) });

    const drained = JSON.parse((await cli(dir, "mirror", "--drain", "--json")).stdout) as { pending: number; drained: { delivered: number } };
    expect(drained).toMatchObject({ pending: 0, drained: { delivered: 1 } });
    expect(JSON.parse(readFileSync(`${dir}/out/users.ndjson`, "utf8"))).toMatchObject({ externalId: "1", profile: { givenName: "Queued" } });

    const text = await cli(dir, "mirror");
    expect(text.stdout).toMatch(/0 pending, 1 dead/);
    expect(text.stdout).toMatch(/TARGET_HTTP_ERROR:503/);
    expect((await cli(dir, "mirror", "--limit", "0")).code).toBe(2);
  });
});
