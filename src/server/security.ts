/**
 * Hook security: shared secret (Bearer / API-key header, constant-time) or HMAC-SHA256 signature
 * over the raw body with a timestamp; per-identifier and per-IP rate limits with lockout.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";

/** Constant-time equality of two strings: both are hashed first so lengths never leak or throw. */
export function safeEqual(a: string, b: string): boolean {
  const da = createHash("sha256").update(a, "utf8").digest();
  const db = createHash("sha256").update(b, "utf8").digest();
  return timingSafeEqual(da, db);
}

export const SIGNATURE_HEADER = "x-authmigrate-signature";

/** `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`. */
export function signBody(secret: string, rawBody: string, t = Math.floor(Date.now() / 1000)): string {
  const v1 = createHmac("sha256", secret).update(`${t}.${rawBody}`, "utf8").digest("hex");
  return `t=${t},v1=${v1}`;
}

export type SignatureCheck = "ok" | "malformed" | "stale" | "mismatch";

export function checkSignature(secret: string, header: string, rawBody: string, maxSkewSec: number, nowMs = Date.now()): SignatureCheck {
  const parts = new Map<string, string>();
  for (const p of header.split(",")) {
    const i = p.indexOf("=");
    if (i > 0) parts.set(p.slice(0, i).trim(), p.slice(i + 1).trim());
  }
  const t = Number(parts.get("t"));
  const v1 = parts.get("v1");
  if (!Number.isSafeInteger(t) || !v1 || !/^[0-9a-f]{64}$/i.test(v1)) return "malformed";
  if (Math.abs(nowMs / 1000 - t) > maxSkewSec) return "stale";
  const expected = createHmac("sha256", secret).update(`${t}.${rawBody}`, "utf8").digest("hex");
  return safeEqual(expected, v1.toLowerCase()) ? "ok" : "mismatch";
}

export interface RateRule {
  max: number;
  windowSec: number;
  lockoutSec: number;
}

/**
 * Fixed-window counter per key with a lockout: the (max+1)-th hit in a window locks the key for
 * `lockoutSec`. In-memory, per process; `serve.rateLimit.redis` shares the hooks' counters between
 * instances instead (rate-store.ts), with this as the fallback.
 */
export class Lockout {
  private readonly entries = new Map<string, { windowStart: number; count: number; lockedUntil: number }>();
  constructor(
    private readonly rule: RateRule,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds until the key may try again, or 0 when it is not locked. */
  retryAfter(key: string): number {
    const e = this.entries.get(key);
    const t = this.now();
    if (!e || e.lockedUntil <= t) return 0;
    return Math.max(1, Math.ceil((e.lockedUntil - t) / 1000));
  }

  /** Count one hit; returns the lockout (seconds) it caused, or 0. */
  hit(key: string): number {
    const t = this.now();
    let e = this.entries.get(key);
    if (!e || t - e.windowStart >= this.rule.windowSec * 1000) {
      e = { windowStart: t, count: 0, lockedUntil: e?.lockedUntil ?? 0 };
      this.entries.set(key, e);
    }
    e.count++;
    if (e.count > this.rule.max) {
      e.lockedUntil = t + this.rule.lockoutSec * 1000;
      e.count = 0;
      e.windowStart = t;
      return this.rule.lockoutSec;
    }
    this.sweep(t);
    return 0;
  }

  /** A success clears the key's failures (not a lockout already in force). */
  reset(key: string): void {
    const e = this.entries.get(key);
    if (e && e.lockedUntil <= this.now()) this.entries.delete(key);
  }

  private sweeps = 0;
  private sweep(t: number): void {
    if (++this.sweeps % 1000 !== 0) return;
    const horizon = Math.max(this.rule.windowSec, this.rule.lockoutSec) * 1000;
    for (const [k, e] of this.entries) if (e.lockedUntil <= t && t - e.windowStart > horizon) this.entries.delete(k);
  }
}

/** Key for an identifier: normalised and hashed, so the limiter map holds no plaintext emails. */
export function identifierKey(identifier: string): string {
  return createHash("sha256").update(identifier.trim().toLowerCase()).digest("hex").slice(0, 32);
}

/** Short stable reference for logs (never the identifier itself). */
export function logRef(identifier: string): string {
  return identifierKey(identifier).slice(0, 12);
}
