/**
 * A verified delivery → the events it carries, each with the id we dedupe on (webhooks.md §7.3):
 * standard/svix = the signed `webhook-id`/`svix-id`; WorkOS and Authgear = the body's `id`;
 * Prelude = each batch item's `id`. Only this much is parsed on the request path; the full
 * mapping happens in the worker.
 */
import type { WebhookScheme } from "./config.js";

export interface ParsedEvent {
  eventId: string;
  type: string;
  /** Event time (ms), when the payload says; orders out-of-order deliveries for one user. */
  occurredAt: number | null;
  /** The event JSON as stored in the inbox. */
  payload: string;
}

export class BadPayload extends Error {}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === "object" && !Array.isArray(v);

/** RFC3339 string, ms or s number → ms. Numbers below 1e11 are seconds. */
export function timeOf(v: unknown): number | null {
  if (typeof v === "number" && Number.isFinite(v)) return v < 1e11 ? v * 1000 : v;
  if (typeof v === "string" && v) {
    if (/^\d+$/.test(v)) return timeOf(Number(v));
    const t = Date.parse(v);
    return Number.isNaN(t) ? null : t;
  }
  return null;
}

const idOf = (v: unknown, what: string): string => {
  if ((typeof v !== "string" && typeof v !== "number") || String(v).length === 0 || String(v).length > 256) throw new BadPayload(`${what} is missing`);
  return String(v);
};
const typeOf = (v: unknown, what: string): string => {
  if (typeof v !== "string" || !v || v.length > 128) throw new BadPayload(`${what} is missing`);
  return v;
};

export function parseDelivery(scheme: WebhookScheme, raw: Buffer, deliveryId?: string): ParsedEvent[] {
  let body: unknown;
  try {
    body = JSON.parse(raw.toString("utf8"));
  } catch {
    throw new BadPayload("body is not JSON");
  }
  if (!isObj(body)) throw new BadPayload("body is not a JSON object");
  const text = raw.toString("utf8");
  switch (scheme) {
    case "standard":
    case "svix":
      return [{ eventId: idOf(deliveryId, "webhook-id"), type: typeOf(body.type, "type"), occurredAt: timeOf(body.timestamp) ?? timeOf((body.data as Obj | undefined)?.updated_at), payload: text }];
    case "workos":
      return [{ eventId: idOf(body.id, "id"), type: typeOf(body.event, "event"), occurredAt: timeOf(body.created_at), payload: text }];
    case "authgear":
      return [{ eventId: idOf(body.id, "id"), type: typeOf(body.type, "type"), occurredAt: timeOf((body.context as Obj | undefined)?.timestamp), payload: text }];
    case "prelude": {
      const items = Array.isArray(body.events) ? body.events : [body];
      if (items.length === 0 || items.length > 1000) throw new BadPayload("events must hold 1 to 1000 events");
      return items.map((ev, i) => {
        if (!isObj(ev)) throw new BadPayload(`events[${i}] is not an object`);
        return {
          eventId: idOf(ev.id, `events[${i}].id`),
          type: typeOf(ev.type, `events[${i}].type`),
          occurredAt: timeOf(ev.occurred_at ?? ev.created_at),
          payload: JSON.stringify(ev),
        };
      });
    }
  }
}
