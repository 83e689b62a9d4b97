/**
 * Authgear: `x-authgear-body-signature: <hex HMAC-SHA256(secret, raw body)>`. No timestamp is
 * signed, so replays are stopped by the event id (inbox) and the event's own `context.timestamp`
 * (checked against `maxEventAgeSec` when the delivery is parsed).
 */
import { createHmac } from "node:crypto";
import { safeEqual } from "../../security.js";
import type { Delivery, Verifier, VerifyResult } from "./types.js";

export class AuthgearVerifier implements Verifier {
  constructor(private readonly secrets: readonly string[]) {
    if (secrets.length === 0) throw new Error("no secret");
  }

  verify(d: Delivery): VerifyResult {
    const sig = d.header("x-authgear-body-signature");
    if (!sig) return { ok: false, reason: "missing_signature" };
    if (!/^[0-9a-f]{64}$/i.test(sig.trim())) return { ok: false, reason: "malformed_signature" };
    let match = false;
    for (const secret of this.secrets) {
      match = safeEqual(createHmac("sha256", secret).update(d.raw).digest("hex"), sig.trim().toLowerCase()) || match;
    }
    return match ? { ok: true } : { ok: false, reason: "mismatch" };
  }
}
