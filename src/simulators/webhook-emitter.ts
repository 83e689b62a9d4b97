/**
 * Signed webhook deliveries from the simulators, byte-for-byte as the real providers sign them
 * (webhooks.md): the receiver's real verification code is tested offline against these.
 *
 *   const hooks = new WebhookEmitter({ url: "http://127.0.0.1:8787/webhooks/workos", scheme: "workos", secret });
 *   hooks.send({ id: "event_01…", body: JSON.stringify(event) });   // async, retried on non-2xx
 *   await hooks.idle();   hooks.deliveries   // every attempt with its status
 *
 * Retries follow the providers' pattern (same id, freshly signed timestamp per attempt) on a
 * compressed schedule (default 50 ms, 200 ms, 1 s, 2 s); 410 Gone stops, like Standard Webhooks.
 */
import { constants, createHmac, randomBytes, sign as cryptoSign, type KeyObject } from "node:crypto";

export type EmitScheme = "standard" | "svix" | "workos" | "authgear" | "prelude-hmac" | "prelude-pss";

export interface SignInput {
  scheme: EmitScheme;
  /** HMAC secret (`whsec_…` for standard/svix); unused for prelude-pss. */
  secret?: string;
  /** RSA private key for prelude-pss. */
  privateKey?: KeyObject;
  /** Delivery id (standard/svix headers). */
  id: string;
  body: string;
  nowMs: number;
}

/** The signature headers a provider would send with `body`. */
export function signHeaders(s: SignInput): Record<string, string> {
  const need = () => {
    if (!s.secret) throw new Error(`${s.scheme} signing needs a secret`);
    return s.secret;
  };
  switch (s.scheme) {
    case "standard":
    case "svix": {
      const secret = need();
      const key = Buffer.from(secret.startsWith("whsec_") ? secret.slice(6) : secret, "base64");
      const t = Math.floor(s.nowMs / 1000);
      const sig = createHmac("sha256", key).update(`${s.id}.${t}.${s.body}`).digest("base64");
      const p = s.scheme === "svix" ? "svix" : "webhook";
      return { [`${p}-id`]: s.id, [`${p}-timestamp`]: String(t), [`${p}-signature`]: `v1,${sig}` };
    }
    case "workos": {
      const t = Math.floor(s.nowMs);
      return { "WorkOS-Signature": `t=${t}, v1=${createHmac("sha256", need()).update(`${t}.${s.body}`).digest("hex")}` };
    }
    case "authgear":
      return { "x-authgear-body-signature": createHmac("sha256", need()).update(s.body).digest("hex") };
    case "prelude-hmac":
      return { "X-Webhook-Signature": `sha256=${createHmac("sha256", need()).update(s.body).digest("base64")}` };
    case "prelude-pss": {
      if (!s.privateKey) throw new Error("prelude-pss signing needs a private key");
      const sig = cryptoSign("sha256", Buffer.from(s.body), { key: s.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
      return { "X-Webhook-Signature": `rsassa-pss-sha256=${sig.toString("base64url")}` };
    }
  }
}

/** A fresh `whsec_` secret (24 random bytes), as providers generate them. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString("base64")}`;
}

export interface WebhookEmitterOptions {
  url: string;
  scheme: EmitScheme;
  secret?: string;
  privateKey?: KeyObject;
  /** Delays before attempts 2, 3, …; default [50, 200, 1000, 2000]. */
  retryDelaysMs?: readonly number[];
  timeoutMs?: number;
  now?: () => number;
}

export interface DeliveryAttempt {
  id: string;
  attempt: number;
  /** HTTP status, or 0 for a network error / timeout. */
  status: number;
}

export class WebhookEmitter {
  readonly deliveries: DeliveryAttempt[] = [];
  private readonly pending = new Set<Promise<void>>();
  private closed = false;

  constructor(private readonly o: WebhookEmitterOptions) {
    if (o.scheme === "prelude-pss" ? !o.privateKey : !o.secret) {
      throw new Error(`webhook emitter (${o.scheme}): ${o.scheme === "prelude-pss" ? "privateKey" : "webhookSecret"} is required with webhookUrl`);
    }
  }

  private tail: Promise<void> = Promise.resolve();

  /**
   * Queue one delivery (returns at once; `idle()` waits for it and its retries). Deliveries go
   * out one after another, so tests see events in the order the API calls happened; receivers
   * must still cope with reordering (the receive tests send out of order on purpose).
   */
  send(event: { id: string; body: string }): void {
    if (this.closed) return;
    const p = this.tail.then(() => this.deliver(event)).finally(() => this.pending.delete(p));
    this.tail = p.catch(() => undefined);
    this.pending.add(p);
  }

  private async deliver(event: { id: string; body: string }): Promise<void> {
    const delays = this.o.retryDelaysMs ?? [50, 200, 1000, 2000];
    for (let attempt = 1; attempt <= delays.length + 1 && !this.closed; attempt++) {
      if (attempt > 1) await new Promise((r) => setTimeout(r, delays[attempt - 2]));
      let status = 0;
      try {
        const headers = signHeaders({ scheme: this.o.scheme, id: event.id, body: event.body, nowMs: (this.o.now ?? Date.now)(), ...(this.o.secret ? { secret: this.o.secret } : {}), ...(this.o.privateKey ? { privateKey: this.o.privateKey } : {}) });
        const res = await fetch(this.o.url, {
          method: "POST",
          headers: { "content-type": "application/json", "user-agent": `authmigrate-simulator/${this.o.scheme}`, ...headers },
          body: event.body,
          signal: AbortSignal.timeout(this.o.timeoutMs ?? 15_000),
        });
        status = res.status;
        await res.arrayBuffer().catch(() => undefined);
      } catch {
        status = 0;
      }
      this.deliveries.push({ id: event.id, attempt, status });
      if ((status >= 200 && status < 300) || status === 410) return;
    }
  }

  /** Resolves when every queued delivery succeeded or ran out of retries. */
  async idle(): Promise<void> {
    while (this.pending.size) await Promise.allSettled([...this.pending]);
  }

  /** Stops retrying (in-flight requests finish). */
  async close(): Promise<void> {
    this.closed = true;
    await this.idle();
  }
}

/** Options every simulator that emits webhooks accepts. */
export interface SimulatorWebhookOptions {
  /** POST a signed event here on user create / update / delete. */
  webhookUrl?: string;
  webhookSecret?: string;
  webhookRetryDelaysMs?: number[];
}

/** Provider-style event id: prefix + 26 random base32 characters (ULID-like). */
export function eventId(prefix: string): string {
  const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  const bytes = randomBytes(26);
  return prefix + Array.from(bytes, (b) => alphabet[b % 32]).join("");
}
