/**
 * serve's ledger checkpoints its WAL from a worker thread (the fsync never lands inside a hook's
 * commit). The data must still reach the database file, and close() must leave nothing running.
 */
import Database from "better-sqlite3";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { startCheckpointer } from "../../src/ledger/checkpointer.js";
import { SqliteLedger } from "../../src/ledger/sqlite-ledger.js";
import type { LedgerUserWrite } from "../../src/ledger/types.js";
import { tempDir } from "../helpers.js";

const rows = (from: number, n: number): LedgerUserWrite[] =>
  Array.from({ length: n }, (_, i) => ({ externalId: String(from + i), email: `u${from + i}@example.com`, digest: "d".repeat(40), targetId: `t${from + i}`, status: "created", reason: null, strategy: "import" }));

async function until(check: () => boolean, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) if (check()) return true;
  return check();
}

describe("SqliteLedger backgroundCheckpoint", () => {
  it("moves committed pages into the database file from the thread; reopening sees every row", async () => {
    const file = path.join(tempDir(), "ledger.sqlite");
    const ledger = new SqliteLedger(file, "t", { backgroundCheckpoint: true });
    const run = await ledger.startRun("run");
    const before = statSync(file).size;
    for (let i = 0; i < 10; i++) await ledger.recordUsers(run.id, rows(i * 500, 500));
    // Automatic checkpoints are off on the writing connection: only the thread copies the WAL over.
    expect(await until(() => statSync(file).size > before + 200_000, 5000)).toBe(true);
    await ledger.close();

    const again = new SqliteLedger(file, "t");
    expect((await again.summary()).users.created).toBe(5000);
    await again.close();
  });

  it("a writer that commits continuously keeps the WAL bounded: the thread rewinds it (it grew to 23 GB in a 2M-user run)", async () => {
    const file = path.join(tempDir(), "ledger.sqlite");
    const db = new Database(file);
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.pragma("busy_timeout = 5000");
    db.pragma("wal_autocheckpoint = 0");
    db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, k BLOB)");
    db.exec("CREATE INDEX t_k ON t (k)"); // random keys: every transaction dirties pages all over the index
    const cp = startCheckpointer(file, () => {}, { intervalMs: 10, restartFrames: 256 });
    const insert = db.prepare("INSERT INTO t (k) VALUES (?)");
    const tx = db.transaction(() => {
      for (let i = 0; i < 50; i++) insert.run(randomBytes(1024));
    });
    const wal = `${file}-wal`;
    let maxWal = 0;
    // 32 MB of rows (and more of index pages) in 640 transactions, 2 ms apart (a run commits as fast as that).
    for (let n = 0; n < 640; n++) {
      tx();
      if (existsSync(wal)) maxWal = Math.max(maxWal, statSync(wal).size);
      await new Promise((r) => setTimeout(r, 2));
    }
    await cp.close();
    db.close();
    // 256 frames is 1 MB. The WAL overshoots by what the writer adds between two checks (up to
    // ~20 MB on a loaded machine), never by everything written: without the rewind it reaches 200–250 MB.
    expect(maxWal).toBeLessThan(64 * 1024 * 1024);
  });

  it("a WAL the thread cannot keep down is truncated by the writer once it passes walLimitBytes", async () => {
    const file = path.join(tempDir(), "ledger.sqlite");
    // The thread would only rewind at 64 MB: below that, the writer's own backstop is what acts.
    const ledger = new SqliteLedger(file, "t", { backgroundCheckpoint: true, walLimitBytes: 4 * 1024 * 1024 });
    const run = await ledger.startRun("run");
    const wal = `${file}-wal`;
    let maxWal = 0;
    // 50-user commits (two per round): the 16 commits between two looks add ~8 MB at most, so the
    // bound below holds on a loaded machine too (200-user commits overshot it by their own size).
    for (let n = 0; n < 1200; n++) {
      // Random emails: every commit dirties pages all over the email indexes, as real data does.
      const batch = rows(n * 50, 50).map((r) => ({ ...r, email: `${randomBytes(24).toString("hex")}@example.com` }));
      await ledger.recordUsers(run.id, batch);
      await ledger.claimEmails(batch.map((r) => ({ email: r.email!, externalId: r.externalId })));
      if (existsSync(wal)) maxWal = Math.max(maxWal, statSync(wal).size);
      await new Promise((r) => setImmediate(r));
    }
    await ledger.close();
    // 16 commits between two looks at the WAL: it may pass the limit by that much, not by everything written.
    expect(maxWal).toBeLessThan(24 * 1024 * 1024);
    const again = new SqliteLedger(file, "t");
    expect((await again.summary()).users.created).toBe(60_000);
    await again.close();
  });

  it("a checkpoint thread that dies hands checkpoints back (onDeath), and close() still returns", async () => {
    let died = false;
    // The thread cannot open a database in a directory that does not exist: it fails at once.
    const cp = startCheckpointer(path.join(tempDir(), "missing", "ledger.sqlite"), () => (died = true));
    expect(await until(() => died, 5000)).toBe(true);
    await cp.close();
  });

  it("a process whose last pending work is close() waits for it (the CLI printed nothing after `plan`)", () => {
    const dir = tempDir();
    const script = path.join(dir, "close-last.mts");
    writeFileSync(
      script,
      `import { SqliteLedger } from ${JSON.stringify(path.resolve("src/ledger/sqlite-ledger.ts"))};
const ledger = new SqliteLedger(${JSON.stringify(path.join(dir, "ledger.sqlite"))}, "t", { backgroundCheckpoint: true });
await ledger.startRun("run");
await ledger.close();
console.log("after close");
`,
    );
    // Throws on a non-zero exit (13: unsettled top-level await).
    const out = execFileSync(process.execPath, ["--import", "tsx", script], { encoding: "utf8" });
    expect(out).toContain("after close");
  });
});
