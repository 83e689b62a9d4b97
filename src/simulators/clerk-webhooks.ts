/**
 * Clerk-shaped events delivered the way Clerk does (Svix: `svix-id`, `svix-timestamp`,
 * `svix-signature`). There is no Clerk API simulator; tests and `bench:webhooks` describe the
 * user change and this builds the event body Clerk would send (webhooks.md §2.1).
 */
import { eventId, WebhookEmitter, type WebhookEmitterOptions } from "./webhook-emitter.js";

export interface ClerkUserInput {
  id: string;
  email?: string;
  emailVerified?: boolean;
  firstName?: string | null;
  lastName?: string | null;
  username?: string | null;
  phone?: string | null;
  externalId?: string | null;
  updatedAt?: number;
}

export type ClerkUserEventType = "user.created" | "user.updated" | "user.deleted";

export function clerkUserEvent(type: ClerkUserEventType, u: ClerkUserInput, nowMs = Date.now()): Record<string, unknown> {
  if (type === "user.deleted") {
    return { data: { id: u.id, object: "user", deleted: true }, object: "event", type, timestamp: nowMs, instance_id: "ins_simulated" };
  }
  const emailId = `idn_${u.id.slice(-12)}`;
  const phoneId = `idn_p${u.id.slice(-11)}`;
  return {
    data: {
      id: u.id,
      object: "user",
      external_id: u.externalId ?? null,
      first_name: u.firstName ?? null,
      last_name: u.lastName ?? null,
      username: u.username ?? null,
      image_url: "https://img.clerk.com/simulated",
      primary_email_address_id: u.email ? emailId : null,
      email_addresses: u.email ? [{ id: emailId, object: "email_address", email_address: u.email, verification: { status: u.emailVerified === false ? "unverified" : "verified", strategy: "email_code" } }] : [],
      primary_phone_number_id: u.phone ? phoneId : null,
      phone_numbers: u.phone ? [{ id: phoneId, object: "phone_number", phone_number: u.phone }] : [],
      created_at: u.updatedAt ?? nowMs,
      updated_at: u.updatedAt ?? nowMs,
    },
    object: "event",
    type,
    timestamp: nowMs,
    instance_id: "ins_simulated",
  };
}

/** Emits Clerk user events to a receiver, signed as Svix signs them. */
export class ClerkWebhookEmitter {
  readonly emitter: WebhookEmitter;
  constructor(opts: Omit<WebhookEmitterOptions, "scheme">) {
    this.emitter = new WebhookEmitter({ ...opts, scheme: "svix" });
  }

  /** Sends the event; returns its `svix-id`. */
  user(type: ClerkUserEventType, u: ClerkUserInput): string {
    const id = eventId("msg_");
    this.emitter.send({ id, body: JSON.stringify(clerkUserEvent(type, u)) });
    return id;
  }

  idle(): Promise<void> {
    return this.emitter.idle();
  }
}
