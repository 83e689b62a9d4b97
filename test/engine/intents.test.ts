/**
 * Intents a stopped run left open: their users are recovering until decided again, and an intent
 * is only deleted once every one of its users was — a second stop in between keeps the rest.
 */
import { describe, expect, it } from "vitest";
import { OpenIntents } from "../../src/engine/intents.js";
import { SqliteLedger } from "../../src/ledger/sqlite-ledger.js";

describe("OpenIntents", () => {
  it("marks the users of open intents and settles an intent only when all its users are decided", async () => {
    const ledger = new SqliteLedger(":memory:", "t");
    const run = await ledger.startRun("run");
    const a = await ledger.recordIntent(run.id, ["1", "2", "3"]);
    const b = await ledger.recordIntent(run.id, ["3", "4"]);
    const intents = await OpenIntents.load(ledger);
    expect(["1", "2", "3", "4", "5"].map((id) => intents.has(id))).toEqual([true, true, true, true, false]);

    expect(intents.settle(["1", "5"])).toEqual([]);
    expect(intents.has("1")).toBe(false);
    // "3" was in both requests: deciding it finishes neither while "2" and "4" are left.
    expect(intents.settle(["3"])).toEqual([]);
    expect(intents.settle(["4", "2"]).sort()).toEqual([a, b].sort());

    // recordUsers(…, settles) deletes them in the same transaction as the outcomes.
    await ledger.recordUsers(run.id, [], [a]);
    expect((await ledger.openIntents()).map((i) => i.id)).toEqual([b]);
    expect((await ledger.openIntents())[0]).toEqual({ id: b, runId: run.id, externalIds: ["3", "4"] });
    await ledger.close();
  });
});
