/**
 * The same deliveries against a real PostgreSQL legacy database, with the ledger and the inbox
 * in PostgreSQL too: rows inserted (SERIAL key via RETURNING), updated once, duplicates ignored.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshPgDatabase } from "../helpers.js";
import { eventFor, PROVIDERS, sign, startHarness, type Harness } from "./harness.js";

let h: Harness;
const drops: (() => Promise<void>)[] = [];
let ledgerUrl: string;
beforeAll(async () => {
  const legacy = await freshPgDatabase("am_wh_legacy");
  const ledger = await freshPgDatabase("am_wh_ledger");
  drops.push(legacy.drop, ledger.drop);
  ledgerUrl = ledger.url;
  h = await startHarness({ legacy: "postgres", pgUrl: legacy.url, ledgerUrl: ledger.url });
});
afterAll(async () => {
  await h?.close();
  for (const d of drops) await d();
});

describe.each(PROVIDERS)("%s → PostgreSQL legacy", (p) => {
  it("created → inserted and linked; updated → applied once; the duplicate and a forgery change nothing", async () => {
    const targetId = `pg_${p}`;
    expect((await h.post(p, eventFor(p, { type: "created", targetId, email: `${p}@pg.example.com`, givenName: "New", familyName: "Pg" }))).status).toBe(200);
    await h.settled();
    const row = await h.rowByTarget(targetId);
    expect(row).toMatchObject({ Email: `${p}@pg.example.com`, FirstName: "New", LastName: "Pg", RoleId: 3 });
    const id = Number(row!.Id);
    expect(id).toBeGreaterThan(3);

    const upd = eventFor(p, { type: "updated", targetId, email: `${p}@pg.example.com`, givenName: "Changed", familyName: "Pg" });
    expect((await h.post(p, upd)).status).toBe(200);
    expect((await h.post(p, upd, sign(p, upd))).status).toBe(200);
    await h.settled();
    expect(await h.row(id)).toMatchObject({ FirstName: "Changed" });
    expect(await h.updates(id)).toBe(1);

    const forged = eventFor(p, { type: "updated", targetId, givenName: "Forged", email: `${p}@pg.example.com` });
    const headers = sign(p, forged);
    const tampered = { id: forged.id, body: forged.body.replace("Forged", "Hacked") };
    expect((await h.post(p, tampered, headers)).status).toBe(401);
    await h.settled();
    expect(await h.row(id)).toMatchObject({ FirstName: "Changed" });
    expect(await h.updates(id)).toBe(1);
  });
});

describe("PostgreSQL inbox and ledger", () => {
  it("holds one inbox row per event id and the ledger links the inserted users", async () => {
    const c = new pg.Client({ connectionString: ledgerUrl });
    await c.connect();
    try {
      const dupes = await c.query("SELECT provider, event_id, COUNT(*) FROM am_webhook_inbox GROUP BY provider, event_id HAVING COUNT(*) > 1");
      expect(dupes.rows).toEqual([]);
      const done = await c.query("SELECT COUNT(*)::int AS n FROM am_webhook_inbox WHERE status = 'done'");
      expect(done.rows[0].n).toBe(PROVIDERS.length * 2);
      const links = await c.query("SELECT target_id FROM am_users WHERE reason = 'webhook_linked' ORDER BY target_id");
      expect(links.rows.map((r) => r.target_id)).toEqual(PROVIDERS.map((p) => `pg_${p}`).sort());
    } finally {
      await c.end();
    }
  });
});
