/**
 * WorkOS: `WorkOS-Signature: t=<ms>, v1=<hex HMAC-SHA256(secret as UTF-8, "<t>.<raw body>")>`.
 * The SDK only rejects timestamps older than its tolerance; we also reject ones too far in the
 * future (a signed timestamp from the future is never a legitimate delivery).
 */
import { createHmac } from "node:crypto";
import { safeEqual } from "../../security.js";
import type { Delivery, Verifier, VerifyResult } from "./types.js";

export class WorkosVerifier implements Verifier {
  constructor(
    private readonly secrets: readonly string[],
    private readonly toleranceSec: number,
  ) {
    if (secrets.length === 0) throw new Error("no secret");
  }

  verify(d: Delivery): VerifyResult {
    const header = d.header("workos-signature");
    if (!header) return { ok: false, reason: "missing_signature" };
    const parts = new Map<string, string>();
    for (const p of header.split(",")) {
      const i = p.indexOf("=");
      if (i > 0) parts.set(p.slice(0, i).trim(), p.slice(i + 1).trim());
    }
    const t = parts.get("t");
    const v1 = parts.get("v1");
    if (!t || !/^\d{1,15}$/.test(t) || !v1 || !/^[0-9a-f]{64}$/i.test(v1)) return { ok: false, reason: "malformed_signature" };
    if (Math.abs(d.now - Number(t)) > this.toleranceSec * 1000) return { ok: false, reason: "stale" };
    let match = false;
    for (const secret of this.secrets) {
      const expected = createHmac("sha256", secret).update(`${t}.`).update(d.raw).digest("hex");
      match = safeEqual(expected, v1.toLowerCase()) || match;
    }
    return match ? { ok: true } : { ok: false, reason: "mismatch" };
  }
}
