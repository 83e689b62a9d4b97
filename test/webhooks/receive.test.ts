/**
 * Every provider against a running `authmigrate serve` and a real SQLite legacy DB: a valid
 * delivery is applied once, a duplicate is applied once, forged / stale / replayed deliveries
 * change nothing, and Prelude's activation handshake is answered.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openLedger, targetKey } from "../../src/ledger/index.js";
import { eventFor, PRELUDE_TOKEN, PROVIDERS, sign, startHarness, type Harness, type Provider } from "./harness.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ legacy: "sqlite" });
});
afterAll(async () => h?.close());

/** Each provider gets its own target user / legacy row so the cases do not interfere. */
const TIMED: Provider[] = ["clerk", "std", "workos"];

describe.each(PROVIDERS)("%s", (p) => {
  const targetId = `tgt_${p}`;
  let legacyId: number;

  it("valid delivery is applied once; the duplicate (a provider retry, re-signed) answers 2xx and changes nothing", async () => {
    // A user created on the target side: inserted into legacy, linked by TargetId and in the ledger.
    const created = eventFor(p, { type: "created", targetId, email: `${p}@example.com`, givenName: "New", familyName: p });
    expect((await h.post(p, created)).status).toBe(200);
    await h.settled();
    const row = await h.rowByTarget(targetId);
    expect(row).toMatchObject({ Email: `${p}@example.com`, FirstName: "New", LastName: p, RoleId: 3 });
    legacyId = Number(row!.Id);

    const upd = eventFor(p, { type: "updated", targetId, email: `${p}@example.com`, givenName: "Renamed", familyName: p });
    const first = await h.post(p, upd);
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ received: 1, duplicates: 0 });
    await h.settled();
    expect(await h.row(legacyId)).toMatchObject({ FirstName: "Renamed" });
    expect(await h.updates(legacyId)).toBe(1);

    const again = await h.post(p, upd, sign(p, upd)); // same event id, fresh signature (what a retry looks like)
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ received: 1, duplicates: 1 });
    await h.settled();
    expect(await h.updates(legacyId)).toBe(1);

    const ledger = openLedger("ledger.sqlite", targetKey({ type: "file", path: "out/users.ndjson" }), h.dir);
    try {
      expect((await ledger.getUsers([String(legacyId)])).get(String(legacyId))).toMatchObject({ targetId, status: "skipped", reason: "webhook_linked" });
    } finally {
      await ledger.close();
    }
  });

  it("forged signature → 401 and nothing is stored or changed", async () => {
    const before = await h.row(legacyId);
    const ev = eventFor(p, { type: "updated", targetId, givenName: "Forged", email: `${p}@example.com` });
    const forged = p === "prelude" ? sign("prelude-hmac", ev, { secret: "not-the-key" }) : sign(p, ev, { secret: p === "clerk" || p === "std" ? "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" : "wrong-secret-wrong-secret" });
    if (p === "prelude") forged["X-Webhook-Signature"] = `rsassa-pss-sha256=${Buffer.alloc(256, 7).toString("base64url")}`;
    const res = await h.post(p, ev, forged);
    expect(res.status).toBe(401);
    // A body tampered with after signing is a forgery too.
    const tampered = { id: ev.id, body: ev.body.replace("Forged", "Tamper") };
    expect((await h.post(p, tampered, sign(p, ev))).status).toBe(401);
    // And no signature at all.
    expect((await h.post(p, ev, {})).status).toBe(401);
    await h.settled();
    expect(await h.row(legacyId)).toEqual(before);
    expect((await h.svc.webhooks!.inbox.list({ provider: p })).some((r) => r.eventId === ev.id)).toBe(false);
  });

  it("stale timestamp is rejected; an old valid delivery replayed later is rejected, a replay inside the window is deduped", async () => {
    const before = await h.row(legacyId);
    const old = eventFor(p, { type: "updated", targetId, givenName: "Stale", email: `${p}@example.com`, at: Date.now() - 20 * 24 * 3600_000 });
    // Signed 20 days ago (timed schemes) / an event that old (Authgear, Prelude: no signed timestamp).
    const res = await h.post(p, old, sign(p, old, { nowMs: Date.now() - 20 * 24 * 3600_000 }));
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: string }).error).toMatch(/^stale_/);
    if (TIMED.includes(p)) {
      // Fresh event body, but its signature timestamp is 6 minutes old: outside the tolerance.
      const ev = eventFor(p, { type: "updated", targetId, givenName: "Stale2", email: `${p}@example.com` });
      expect((await h.post(p, ev, sign(p, ev, { nowMs: Date.now() - 6 * 60_000 }))).status).toBe(401);
      // Signed in the future beyond the tolerance.
      expect((await h.post(p, ev, sign(p, ev, { nowMs: Date.now() + 6 * 60_000 }))).status).toBe(401);
    }
    // An exact byte-for-byte replay of a valid delivery: deduped by event id.
    const ev = eventFor(p, { type: "updated", targetId, givenName: "Once", familyName: p, email: `${p}@example.com` });
    const headers = sign(p, ev);
    expect((await h.post(p, ev, headers)).status).toBe(200);
    await h.settled();
    const n = await h.updates(legacyId);
    const replay = await h.post(p, ev, headers);
    expect(replay.status).toBe(200);
    expect(await replay.json()).toEqual({ received: 1, duplicates: 1 });
    await h.settled();
    expect(await h.updates(legacyId)).toBe(n);
    expect(await h.row(legacyId)).toMatchObject({ FirstName: "Once", LastName: before!.LastName, Email: `${p}@example.com` });
  });

  it("an older event arriving after a newer one is not applied; a delete deactivates the row and wins over later updates", async () => {
    const newer = eventFor(p, { type: "updated", targetId, givenName: "Newest", email: `${p}@example.com`, at: Date.now() });
    const older = eventFor(p, { type: "updated", targetId, givenName: "Older", email: `${p}@example.com`, at: Date.now() - 60_000 });
    expect((await h.post(p, newer)).status).toBe(200);
    await h.settled();
    expect((await h.post(p, older)).status).toBe(200);
    await h.settled();
    expect(await h.row(legacyId)).toMatchObject({ FirstName: "Newest" });

    expect((await h.post(p, eventFor(p, { type: "deleted", targetId }))).status).toBe(200);
    await h.settled();
    expect(await h.row(legacyId)).toMatchObject({ IsActive: 0, FirstName: "Newest" });
    expect((await h.post(p, eventFor(p, { type: "updated", targetId, givenName: "Zombie", at: Date.now() + 1000 }))).status).toBe(200);
    await h.settled();
    expect(await h.row(legacyId)).toMatchObject({ FirstName: "Newest" });
  });
});

describe("routing and limits", () => {
  it("Prelude activation handshake: the challenge is echoed for the registered token, 403 otherwise", async () => {
    const ok = await fetch(`${h.svc.url}/webhooks/prelude?event=activate&verification_token=${PRELUDE_TOKEN}&challenge=123456789012345678901&app_id=app1`);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('{"challenge":123456789012345678901}');
    const bad = await fetch(`${h.svc.url}/webhooks/prelude?event=activate&verification_token=guess&challenge=1&app_id=app1`);
    expect(bad.status).toBe(403);
    expect((await fetch(`${h.svc.url}/webhooks/prelude?event=activate&verification_token=${PRELUDE_TOKEN}&challenge=abc`)).status).toBe(400);
    // Not a Prelude endpoint: no handshake path.
    expect((await fetch(`${h.svc.url}/webhooks/workos?event=activate&verification_token=${PRELUDE_TOKEN}&challenge=1`)).status).toBe(405);
  });

  it("unknown provider → 404; oversized body → 413; unparseable signed body → 400", async () => {
    expect((await fetch(`${h.svc.url}/webhooks/nope`, { method: "POST", body: "{}" })).status).toBe(404);
    const big = { id: "msg_big", body: JSON.stringify({ type: "user.updated", data: { id: "x", pad: "x".repeat(300 * 1024) } }) };
    expect((await h.post("clerk", big)).status).toBe(413);
    const junk = { id: "msg_junk", body: "not json" };
    expect((await h.post("clerk", junk)).status).toBe(400);
  });

  it("an event updating a legacy user known by external id updates that row (no insert), and the ledger links it", async () => {
    const ev = eventFor("workos", { type: "updated", targetId: "user_01BOB", externalId: "2", email: "bob@new.example.com", givenName: "Robert", familyName: "Builder" });
    expect((await h.post("workos", ev)).status).toBe(200);
    await h.settled();
    // Row 2 had no target id yet: it is linked now (seed 002's workos_user_id).
    expect(await h.row(2)).toMatchObject({ Email: "bob@new.example.com", FirstName: "Robert", LastName: "Builder", TargetId: "user_01BOB" });
    const ledger = openLedger("ledger.sqlite", targetKey({ type: "file", path: "out/users.ndjson" }), h.dir);
    try {
      expect((await ledger.getUsers(["2"])).get("2")).toMatchObject({ targetId: "user_01BOB", status: "skipped", reason: "webhook_linked" });
    } finally {
      await ledger.close();
    }
  });

  it("a legacy outage is retried from the inbox (attempts + last error) until it lands; a user event without an id is dead-lettered", async () => {
    await h.failWrites(true);
    const ev = eventFor("clerk", { type: "updated", targetId: "user_carol", externalId: "3", email: "carol@example.com", givenName: "Caroline" });
    expect((await h.post("clerk", ev)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 200));
    const [pending] = await h.svc.webhooks!.inbox.list({ provider: "clerk", status: "pending", limit: 1 });
    expect(pending?.eventId).toBe(ev.id);
    expect(pending!.attempts).toBeGreaterThanOrEqual(2);
    expect(pending!.lastError).toContain("locked (simulated)");
    expect(await h.row(3)).toMatchObject({ FirstName: "Carol" });
    await h.failWrites(false);
    await h.settled();
    expect(await h.row(3)).toMatchObject({ FirstName: "Caroline" });

    const broken = { id: "msg_broken", body: JSON.stringify({ type: "user.updated", data: { first_name: "no id" } }) };
    expect((await h.post("clerk", broken)).status).toBe(200);
    await h.settled();
    const [dead] = await h.svc.webhooks!.inbox.list({ provider: "clerk", status: "dead", limit: 1 });
    expect(dead).toMatchObject({ eventId: "msg_broken" });
    expect(dead!.lastError).toContain("data.id is missing");
  });

  it("logs never carry secrets, signatures or emails", async () => {
    const text = JSON.stringify(h.logs);
    expect(h.logs.some((l) => l.event === "webhook_applied")).toBe(true);
    for (const s of ["whsec_", "wos_webhook_secret", "authgear-hook-secret", "prelude-shared-secret", "@example.com", PRELUDE_TOKEN]) expect(text).not.toContain(s);
  });
});

describe("metrics", () => {
  it("authmigrate_webhook_deliveries_total counts accepted, duplicate and rejected deliveries per provider", async () => {
    const { metricsRegistry } = await import("../../src/util/metrics.js");
    const value = async (provider: string, outcome: string) =>
      (await metricsRegistry.getSingleMetric("authmigrate_webhook_deliveries_total")!.get()).values.find((v) => v.labels.provider === provider && v.labels.outcome === outcome)?.value ?? 0;
    const before = { accepted: await value("std", "accepted"), duplicate: await value("std", "duplicate"), invalid: await value("std", "invalid_signature") };
    const ev = eventFor("std", { type: "updated", targetId: "tgt_metrics", email: "m@example.com", givenName: "M" });
    expect((await h.post("std", ev)).status).toBe(200);
    expect((await h.post("std", ev)).status).toBe(200);
    expect((await h.post("std", ev, sign("std", ev, { secret: "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" }))).status).toBe(401);
    expect(await value("std", "accepted")).toBe(before.accepted + 1);
    expect(await value("std", "duplicate")).toBe(before.duplicate + 1);
    expect(await value("std", "invalid_signature")).toBe(before.invalid + 1);
  });
});
