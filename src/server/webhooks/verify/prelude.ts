/**
 * Prelude event deliveries: `X-Webhook-Signature` over the raw body. The public docs disagree
 * (webhooks.md §6), so both forms are implemented behind `signature`:
 *   rsassa-pss: `rsassa-pss-sha256=<base64url RSASSA-PSS-SHA256(body)>`, keys from the app's JWKS;
 *   hmac:       `sha256=<base64 HMAC-SHA256(shared secret, body)>`.
 * The activation handshake (GET ?event=activate…) is a separate path: ../handshake.ts.
 */
import { constants, createHmac, createPublicKey, verify as cryptoVerify, type JsonWebKey, type KeyObject } from "node:crypto";
import { safeEqual } from "../../security.js";
import type { Delivery, Verifier, VerifyResult } from "./types.js";

export class PreludeHmacVerifier implements Verifier {
  constructor(private readonly secrets: readonly string[]) {
    if (secrets.length === 0) throw new Error("no secret");
  }

  verify(d: Delivery): VerifyResult {
    const sig = d.header("x-webhook-signature");
    if (!sig) return { ok: false, reason: "missing_signature" };
    const m = /^sha256=([A-Za-z0-9+/=_-]{20,200})$/.exec(sig.trim());
    if (!m) return { ok: false, reason: "malformed_signature" };
    let match = false;
    for (const s of this.secrets) match = safeEqual(createHmac("sha256", s).update(d.raw).digest("base64"), m[1]!) || match;
    return match ? { ok: true } : { ok: false, reason: "mismatch" };
  }
}

/** Fetches and caches the app's JWKS; refetches (at most every `minRefreshMs`) when no cached key verifies, for key rotation. */
export class JwksCache {
  private keys: KeyObject[] = [];
  private fetchedAt = 0;
  private inflight: Promise<void> | undefined;
  constructor(
    private readonly uri: string,
    private readonly fetchImpl: typeof fetch = fetch,
    private readonly ttlMs = 10 * 60_000,
    private readonly minRefreshMs = 30_000,
  ) {}

  async get(now: number, force = false): Promise<KeyObject[]> {
    const age = now - this.fetchedAt;
    if (this.keys.length && age < this.ttlMs && (!force || age < this.minRefreshMs)) return this.keys;
    this.inflight ??= this.load(now).finally(() => (this.inflight = undefined));
    await this.inflight;
    return this.keys;
  }

  private async load(now: number): Promise<void> {
    const res = await this.fetchImpl(this.uri, { signal: AbortSignal.timeout(3000) });
    if (!res.ok) throw new Error(`JWKS answered ${res.status}`);
    const body = (await res.json()) as { keys?: JsonWebKey[] };
    const keys: KeyObject[] = [];
    for (const jwk of body.keys ?? []) {
      if (jwk.kty !== "RSA") continue;
      try {
        keys.push(createPublicKey({ key: jwk, format: "jwk" }));
      } catch {
        // A key we cannot parse cannot have signed anything we accept.
      }
    }
    this.keys = keys;
    this.fetchedAt = now;
  }
}

export class PreludePssVerifier implements Verifier {
  constructor(private readonly jwks: JwksCache) {}

  async verify(d: Delivery): Promise<VerifyResult> {
    const sig = d.header("x-webhook-signature");
    if (!sig) return { ok: false, reason: "missing_signature" };
    const m = /^rsassa-pss-sha256=([A-Za-z0-9_-]{40,1400}={0,2})$/.exec(sig.trim());
    if (!m) return { ok: false, reason: "malformed_signature" };
    const signature = Buffer.from(m[1]!, "base64url");
    const check = (keys: KeyObject[]) =>
      keys.some((key) =>
        cryptoVerify("sha256", d.raw, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO }, signature),
      );
    try {
      if (check(await this.jwks.get(d.now))) return { ok: true };
      // Maybe the app rotated its keys since we cached them.
      if (check(await this.jwks.get(d.now, true))) return { ok: true };
    } catch {
      return { ok: false, reason: "keys_unavailable" };
    }
    return { ok: false, reason: "mismatch" };
  }
}
