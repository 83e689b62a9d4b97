import type { WebhookScheme } from "../config.js";
import { isObj, UnmappableEvent, type Change } from "./change.js";
import { mapAuthgear } from "./authgear.js";
import { mapClerk } from "./clerk.js";
import { mapPrelude } from "./prelude.js";
import { mapWorkos } from "./workos.js";

export { UnmappableEvent, type Change, type ChangeFields } from "./change.js";

/** Provider event (as stored in the inbox) → canonical change. Throws UnmappableEvent on a user event without an id. */
export function toChange(scheme: WebhookScheme, type: string, payload: string): Change {
  let body: unknown;
  try {
    body = JSON.parse(payload);
  } catch {
    throw new UnmappableEvent("stored payload is not JSON");
  }
  if (!isObj(body)) throw new UnmappableEvent("stored payload is not an object");
  switch (scheme) {
    case "standard":
    case "svix":
      return mapClerk(type, body);
    case "workos":
      return mapWorkos(type, body);
    case "authgear":
      return mapAuthgear(type, body);
    case "prelude":
      return mapPrelude(type, body);
  }
}
