/**
 * Standard Webhooks (and Svix, which Clerk uses): `<prefix>-id`, `<prefix>-timestamp` (UNIX
 * seconds), `<prefix>-signature` = space-separated `v1,<base64 HMAC-SHA256(key, id.ts.body)>`.
 * The signature is computed with the `standardwebhooks` package; the timestamp window is checked
 * here because the package hard-codes ±5 min and reads the wall clock.
 */
import { Webhook } from "standardwebhooks";
import { safeEqual } from "../../security.js";
import type { Delivery, Verifier, VerifyResult } from "./types.js";

export class StandardWebhooksVerifier implements Verifier {
  private readonly hooks: Webhook[];
  constructor(
    secrets: readonly string[],
    private readonly toleranceSec: number,
    /** `webhook` (Standard Webhooks) or `svix` (Clerk); the other prefix is accepted as a fallback (Svix can send both). */
    private readonly prefix: "webhook" | "svix",
  ) {
    if (secrets.length === 0) throw new Error("no secret");
    this.hooks = secrets.map((s) => new Webhook(s));
  }

  verify(d: Delivery): VerifyResult {
    const other = this.prefix === "svix" ? "webhook" : "svix";
    const pick = (name: string) => d.header(`${this.prefix}-${name}`) ?? d.header(`${other}-${name}`);
    const id = pick("id");
    const ts = pick("timestamp");
    const sig = pick("signature");
    if (!id || !ts || !sig) return { ok: false, reason: "missing_signature" };
    if (!/^\d{1,12}$/.test(ts) || id.length > 256) return { ok: false, reason: "malformed_signature" };
    const t = Number(ts);
    if (Math.abs(d.now / 1000 - t) > this.toleranceSec) return { ok: false, reason: "stale" };
    const offered = sig
      .split(" ")
      .map((e) => e.split(","))
      .filter(([v, s]) => v === "v1" && s)
      .map(([, s]) => s!);
    if (offered.length === 0) return { ok: false, reason: "malformed_signature" };
    for (const wh of this.hooks) {
      const expected = wh.sign(id, new Date(t * 1000), d.raw).slice("v1,".length);
      // Every entry is compared (no early exit on the first mismatch) in constant time.
      let match = false;
      for (const s of offered) match = safeEqual(s, expected) || match;
      if (match) return { ok: true, deliveryId: id };
    }
    return { ok: false, reason: "mismatch" };
  }
}
