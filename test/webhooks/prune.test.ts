/**
 * The inbox does not grow forever: applied events are deleted `retainDays` after they were
 * processed (checked at most hourly by the worker); dead letters stay for the operator.
 */
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openInbox, type Inbox } from "../../src/server/webhooks/inbox/index.js";
import { WebhookWorker } from "../../src/server/webhooks/worker.js";
import { freshPgDatabase, tempDir } from "../helpers.js";

const DAY = 86_400_000;
const T0 = Date.parse("2026-01-01T00:00:00Z");
const ev = (id: string) => ({ eventId: id, type: "user.updated", occurredAt: T0, payload: JSON.stringify({ id }) });

const drops: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const d of drops) await d();
});

const backends: [string, () => Promise<Inbox>][] = [
  ["sqlite", () => openInbox(path.join(tempDir(), "ledger.sqlite"), "/")],
  [
    "postgres",
    async () => {
      const db = await freshPgDatabase("am_wh_prune");
      drops.push(db.drop);
      return openInbox(db.url, "/");
    },
  ],
];

describe.each(backends)("webhook inbox retention (%s)", (_name, open) => {
  it("deletes done events older than retainDays, keeps younger ones and dead letters, prunes at most hourly", async () => {
    const inbox = await open();
    let now = T0;
    const worker = (retainDays: number) =>
      new WebhookWorker({ inbox, schemes: new Map(), ledgerTarget: "t", settings: { intervalMs: 10, batchSize: 10, maxAttempts: 2, backoffMs: 1, thread: false, retainDays }, now: () => now });
    try {
      expect(await inbox.add("workos", [ev("old-1"), ev("old-2"), ev("dead"), ev("young")], T0)).toBe(4);
      const ids = new Map((await inbox.list()).map((r) => [r.eventId, r.id]));
      await inbox.complete(ids.get("old-1")!, "applied", T0);
      await inbox.complete(ids.get("old-2")!, "applied", T0);
      await inbox.fail(ids.get("dead")!, "unmappable", null, T0);
      await inbox.complete(ids.get("young")!, "applied", T0 + 20 * DAY);

      now = T0 + 31 * DAY;
      await worker(0).tick(); // retainDays 0 keeps everything
      expect((await inbox.list()).length).toBe(4);

      const w = worker(30);
      await w.tick();
      const left = (await inbox.list()).map((r) => `${r.eventId}:${r.status}`).sort();
      expect(left).toEqual(["dead:dead", "young:done"]);

      // Done now, processed long ago: the same worker does not look again within the hour…
      await inbox.add("workos", [ev("later")], T0);
      const later = (await inbox.list()).find((r) => r.eventId === "later")!;
      await inbox.complete(later.id, "applied", T0);
      now += 30 * 60_000;
      await w.tick();
      expect((await inbox.list()).some((r) => r.eventId === "later")).toBe(true);
      // …but does after it.
      now += 31 * 60_000;
      await w.tick();
      expect((await inbox.list()).map((r) => r.eventId).sort()).toEqual(["dead", "young"]);
      // A pruned event's id is free again: a sender redelivering it months later is stored anew.
      expect(await inbox.add("workos", [ev("old-1")], now)).toBe(1);
    } finally {
      await inbox.close();
    }
  });
});
