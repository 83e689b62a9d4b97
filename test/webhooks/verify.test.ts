/** Signature schemes in isolation: rotation, header variants, windows, and configuration errors that name the fix. */
import { createHmac } from "node:crypto";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { WebhookProviderSchema } from "../../src/server/webhooks/config.js";
import { openWebhooks } from "../../src/server/webhooks/index.js";
import { verifierFor, type Delivery } from "../../src/server/webhooks/verify/index.js";
import { newWebhookSecret, signHeaders } from "../../src/simulators/webhook-emitter.js";
import { tempDir } from "../helpers.js";

const delivery = (headers: Record<string, string>, body: string, now = Date.now()): Delivery => {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { header: (n) => lower[n], raw: Buffer.from(body), now };
};
const provider = (p: Record<string, unknown>) => WebhookProviderSchema.parse(p);

describe("Standard Webhooks / Svix", () => {
  const body = '{"type":"user.updated","data":{"id":"u1"}}';

  it("accepts a signature made by the reference library, with several entries during a rotation", async () => {
    const secret = newWebhookSecret();
    const old = newWebhookSecret();
    const ts = new Date();
    const sig = new Webhook(secret).sign("msg_1", ts, body);
    const v = verifierFor("std", provider({ scheme: "standard", secret, previousSecrets: [old] }), 300);
    const h = { "webhook-id": "msg_1", "webhook-timestamp": String(Math.floor(ts.getTime() / 1000)), "webhook-signature": `v1,${"A".repeat(44)} ${sig} v1a,ignored` };
    expect(await v.verify(delivery(h, body))).toEqual({ ok: true, deliveryId: "msg_1" });
    // Signed only with the previous secret: still accepted while it is listed.
    const byOld = new Webhook(old).sign("msg_1", ts, body);
    expect(await v.verify(delivery({ ...h, "webhook-signature": byOld }, body))).toEqual({ ok: true, deliveryId: "msg_1" });
    expect(await v.verify(delivery({ ...h, "webhook-signature": `v2,${sig.slice(3)}` }, body))).toEqual({ ok: false, reason: "malformed_signature" });
  });

  it("svix-* headers for Clerk, webhook-* accepted as a fallback; the window is configurable and applies both ways", async () => {
    const secret = newWebhookSecret();
    const v = verifierFor("clerk", provider({ secret, toleranceSec: 60 }), 300);
    const now = Date.now();
    expect(await v.verify(delivery(signHeaders({ scheme: "svix", secret, id: "msg_2", body, nowMs: now }), body, now))).toMatchObject({ ok: true });
    expect(await v.verify(delivery(signHeaders({ scheme: "standard", secret, id: "msg_2", body, nowMs: now }), body, now))).toMatchObject({ ok: true });
    expect(await v.verify(delivery(signHeaders({ scheme: "svix", secret, id: "msg_2", body, nowMs: now - 61_000 }), body, now))).toEqual({ ok: false, reason: "stale" });
    expect(await v.verify(delivery(signHeaders({ scheme: "svix", secret, id: "msg_2", body, nowMs: now + 61_000 }), body, now))).toEqual({ ok: false, reason: "stale" });
    // The id is signed: the same signature under another id is a forgery.
    const h = signHeaders({ scheme: "svix", secret, id: "msg_2", body, nowMs: now });
    expect(await v.verify(delivery({ ...h, "svix-id": "msg_3" }, body, now))).toEqual({ ok: false, reason: "mismatch" });
  });
});

describe("WorkOS", () => {
  it("t in ms, `t=…, v1=…` with a space, hex HMAC keyed by the secret's UTF-8 bytes", async () => {
    const secret = "sk_webhook_secret";
    const body = '{"id":"event_1","event":"user.updated","data":{"id":"user_1"}}';
    const t = Date.now();
    const v1 = createHmac("sha256", Buffer.from(secret, "utf8")).update(`${t}.${body}`).digest("hex");
    const v = verifierFor("workos", provider({ secret }), 180);
    expect(await v.verify(delivery({ "WorkOS-Signature": `t=${t}, v1=${v1}` }, body, t))).toEqual({ ok: true });
    expect(await v.verify(delivery({ "WorkOS-Signature": `t=${t},v1=${v1}` }, body, t))).toEqual({ ok: true });
    expect(await v.verify(delivery({ "WorkOS-Signature": `t=${t}, v1=${v1}` }, body, t + 181_000))).toEqual({ ok: false, reason: "stale" });
    expect(await v.verify(delivery({ "WorkOS-Signature": `t=${t}, v1=${v1}` }, body.replace("user_1", "user_2"), t))).toEqual({ ok: false, reason: "mismatch" });
    expect(await v.verify(delivery({ "WorkOS-Signature": `v1=${v1}` }, body, t))).toEqual({ ok: false, reason: "malformed_signature" });
  });
});

describe("Authgear and Prelude HMAC", () => {
  it("hex body HMAC (Authgear), base64 `sha256=` (Prelude hmac)", async () => {
    const body = '{"id":"e1","type":"user.created"}';
    const ag = verifierFor("authgear", provider({ secret: "s3cret-s3cret" }), 300);
    expect(await ag.verify(delivery({ "x-authgear-body-signature": createHmac("sha256", "s3cret-s3cret").update(body).digest("hex") }, body))).toEqual({ ok: true });
    expect(await ag.verify(delivery({ "x-authgear-body-signature": createHmac("sha256", "other").update(body).digest("hex") }, body))).toEqual({ ok: false, reason: "mismatch" });
    const pr = verifierFor("p", provider({ scheme: "prelude", signature: "hmac", secret: "k", verificationToken: "t" }), 300);
    expect(await pr.verify(delivery({ "X-Webhook-Signature": `sha256=${createHmac("sha256", "k").update(body).digest("base64")}` }, body))).toEqual({ ok: true });
    expect(await pr.verify(delivery({}, body))).toEqual({ ok: false, reason: "missing_signature" });
  });

  it("Prelude rsassa-pss: an unreachable JWKS is 'keys_unavailable' (503, the sender retries), not a forgery", async () => {
    const failing: typeof fetch = async () => new Response("down", { status: 502 });
    const v = verifierFor("prelude", provider({ verificationToken: "t", jwksUri: "https://app.session.prelude.dev/.well-known/jwks.json" }), 300, failing);
    expect(await v.verify(delivery({ "X-Webhook-Signature": `rsassa-pss-sha256=${Buffer.alloc(256, 1).toString("base64url")}` }, "{}"))).toEqual({ ok: false, reason: "keys_unavailable" });
  });
});

describe("configuration errors name the provider key and the fix", () => {
  const base = { source: { type: "sqlite" as const, path: "x.db", orderBy: ["Id"], pageSize: 10 }, ledgerUrl: ":memory:", ledgerTarget: "t", cwd: tempDir() };
  const open = (providers: Record<string, unknown>) =>
    openWebhooks({ ...base, config: { providers: providers as never, toleranceSec: 300, bodyLimitBytes: 1000, apply: { ledger: false }, worker: { intervalMs: 10, batchSize: 10, maxAttempts: 2, backoffMs: 1, thread: false, retainDays: 30 } }, startWorker: false });

  it("missing secret, a secret that is not whsec_, Prelude without a verification token or keys", async () => {
    await expect(open({ workos: provider({}) })).rejects.toThrow(/providers\.workos: scheme workos needs a secret/);
    await expect(open({ clerk: provider({ secret: "not a whsec secret!" }) })).rejects.toThrow(/providers\.clerk: the secret must be a whsec_/);
    await expect(open({ prelude: provider({ jwksUri: "https://x.example/jwks.json" }) })).rejects.toThrow(/providers\.prelude: Prelude needs verificationToken/);
    await expect(open({ prelude: provider({ verificationToken: "t" }) })).rejects.toThrow(/providers\.prelude: signature rsassa-pss needs jwksUri/);
  });

  it("apply.legacy: onCreate insert needs targetIdColumn; deactivate needs columns.active", async () => {
    const { LegacyApplySchema } = await import("../../src/server/webhooks/config.js");
    const r1 = LegacyApplySchema.safeParse({ table: "Users", keyColumn: "Id", onCreate: "insert" });
    expect(r1.success).toBe(false);
    expect(JSON.stringify(r1.error?.issues)).toContain("targetIdColumn");
    const r2 = LegacyApplySchema.safeParse({ table: "Users", keyColumn: "Id", onDelete: "deactivate" });
    expect(JSON.stringify(r2.error?.issues)).toContain("columns.active");
  });
});
