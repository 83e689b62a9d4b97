import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openLedger } from "../../src/ledger/index.js";
import type { Ledger } from "../../src/ledger/types.js";
import { freshPgDatabase, tempDir } from "../helpers.js";

const backends: { name: string; open: (target: string) => Promise<Ledger>; cleanup?: () => Promise<void> }[] = [];
let pgDrop: (() => Promise<void>) | undefined;
let pgUrl = "";

beforeAll(async () => {
  const db = await freshPgDatabase("am_ledger");
  pgUrl = db.url;
  pgDrop = db.drop;
});
afterAll(async () => pgDrop?.());

backends.push({ name: "sqlite", open: async (t) => openLedger(path.join(tempDir(), "ledger.sqlite"), t, process.cwd()) });
backends.push({ name: "postgres", open: async (t) => openLedger(pgUrl, t, process.cwd()) });

describe.each(backends)("$name ledger", ({ open }) => {
  it("records outcomes per user, counts attempts and keeps the target id", async () => {
    const ledger = await open(`t-${Math.random()}`);
    const run = await ledger.startRun("run");
    await ledger.recordUsers(run.id, [
      { externalId: "1", email: "a@x.io", digest: "d1", targetId: "T1", status: "created", reason: null, strategy: "native" },
      { externalId: "2", email: null, digest: null, targetId: null, status: "failed", reason: "no_email", strategy: null },
    ]);
    // a later failure must not lose the target id we already have
    await ledger.recordUsers(run.id, [{ externalId: "1", email: "a@x.io", digest: null, targetId: null, status: "failed", reason: "target_error:boom", strategy: null }]);
    const got = await ledger.getUsers(["1", "2", "3"]);
    expect(got.get("1")).toMatchObject({ targetId: "T1", status: "failed", attempts: 2 });
    expect(got.get("2")).toMatchObject({ status: "failed", reason: "no_email", attempts: 1 });
    expect(got.has("3")).toBe(false);
    await ledger.finishRun(run.id, "completed", { total: 2 });
    const s = await ledger.summary();
    expect(s.users.failed).toBe(2);
    expect(s.reasons.map((r) => r.reason).sort()).toEqual(["no_email", "target_error"]);
    expect(s.runs[0]).toMatchObject({ id: run.id, status: "completed", counts: { total: 2 } });
    await ledger.close();
  });

  it("keeps a request's intent until its outcomes settle it, per target key", async () => {
    const key = `t-${Math.random()}`;
    const ledger = await open(key);
    const other = await open(`${key}-other`);
    const run = await ledger.startRun("run");
    const first = await ledger.recordIntent(run.id, ["1", "2"]);
    const second = await ledger.recordIntent(run.id, ["3"]);
    expect(await other.openIntents()).toEqual([]);
    // Users of requests in flight count as pending (in flight) until their answers are recorded.
    expect((await ledger.summary()).users.pending).toBe(3);
    expect((await other.summary()).users.pending).toBe(0);
    expect(await ledger.openIntents()).toEqual([
      { id: first, runId: run.id, externalIds: ["1", "2"] },
      { id: second, runId: run.id, externalIds: ["3"] },
    ]);
    // Another key cannot settle it; the outcomes of its users do, atomically with their rows.
    await other.recordUsers(run.id, [], [first]);
    await ledger.recordUsers(run.id, [{ externalId: "1", email: null, digest: "d", targetId: "T1", status: "created", reason: null, strategy: null }], [first]);
    expect((await ledger.openIntents()).map((i) => i.id)).toEqual([second]);
    expect((await ledger.summary()).users).toMatchObject({ pending: 1, created: 1 });
    expect((await ledger.getUsers(["1"])).get("1")).toMatchObject({ status: "created", targetId: "T1" });
    await ledger.close();
    await other.close();
  });

  it("scopes rows by target key", async () => {
    const a = await open("target-a");
    const b = await open("target-b");
    const run = await a.startRun("run");
    await a.recordUsers(run.id, [{ externalId: "1", email: null, digest: null, targetId: "X", status: "created", reason: null, strategy: null }]);
    expect((await b.getUsers(["1"])).size).toBe(0);
    await a.close();
    await b.close();
  });

  it("claims emails first come first served, across calls", async () => {
    const ledger = await open(`c-${Math.random()}`);
    const first = await ledger.claimEmails([
      { email: "a@x.io", externalId: "1" },
      { email: "a@x.io", externalId: "2" },
      { email: "b@x.io", externalId: "3" },
    ]);
    expect(Object.fromEntries(first)).toEqual({ "a@x.io": "1", "b@x.io": "3" });
    const again = await ledger.claimEmails([{ email: "a@x.io", externalId: "9" }]);
    expect(again.get("a@x.io")).toBe("1");
    await ledger.resetClaims();
    expect((await ledger.claimEmails([{ email: "a@x.io", externalId: "9" }])).get("a@x.io")).toBe("9");
    await ledger.close();
  });

  it("lists users by status across pages", async () => {
    const ledger = await open(`l-${Math.random()}`);
    const run = await ledger.startRun("run");
    const rows = Array.from({ length: 1203 }, (_, i) => ({
      externalId: String(i).padStart(5, "0"),
      email: null,
      digest: null,
      targetId: `T${i}`,
      status: (i % 3 === 0 ? "failed" : "created") as "failed" | "created",
      reason: null,
      strategy: null,
    }));
    await ledger.recordUsers(run.id, rows);
    const created: string[] = [];
    for await (const u of ledger.listUsers({ statuses: ["created"] })) created.push(u.externalId);
    expect(created).toHaveLength(802);
    expect(new Set(created).size).toBe(802);
    await ledger.close();
  });
});

describe("postgres ledger errors", () => {
  it("names host, port and database but never the password when unreachable", async () => {
    const ledger = openLedger("postgres://admin:hunter2secret@127.0.0.1:1/prod_ledger", "t", process.cwd());
    const err = (await ledger.summary().then(() => new Error("expected a failure"), (e: unknown) => e)) as Error & { code: string };
    expect(err.code).toBe("LEDGER_UNAVAILABLE");
    expect(err.message).toContain("127.0.0.1:1");
    expect(err.message).toContain("prod_ledger");
    expect(err.message).not.toContain("hunter2secret");
    await ledger.close();
  });
});

describe.each(["sqlite", "postgres"])("%s ledger: otherHistories", (kind) => {
  it("lists other keys of the same target type (with user counts) only while this key has no users", async () => {
    const url = kind === "sqlite" ? path.join(tempDir(), "ledger.sqlite") : pgUrl;
    const tag = Math.random().toString(36).slice(2, 8);
    const old = openLedger(url, `calimatic${tag}:aaaaaaaaaaaa`, process.cwd());
    const otherType = openLedger(url, `workos${tag}:bbbbbbbbbbbb`, process.cwd());
    const edited = openLedger(url, `calimatic${tag}:cccccccccccc`, process.cwd());
    const row = (id: string) => ({ externalId: id, email: null, digest: null, targetId: `T${id}`, status: "created" as const, reason: null, strategy: null });
    const r1 = await old.startRun("run");
    await old.recordUsers(r1.id, [row("1"), row("2"), row("3")]);
    const r2 = await otherType.startRun("run");
    await otherType.recordUsers(r2.id, [row("1")]);

    expect(await edited.otherHistories()).toEqual([{ target: `calimatic${tag}:aaaaaaaaaaaa`, users: 3 }]);
    expect(await old.otherHistories()).toEqual([]); // it has its own history
    const r3 = await edited.startRun("run");
    await edited.recordUsers(r3.id, [row("1")]);
    expect(await edited.otherHistories()).toEqual([]);
    for (const l of [old, otherType, edited]) await l.close();
  });
});
