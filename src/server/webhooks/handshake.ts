/**
 * Prelude's activation handshake, kept apart from event handling (seed 003 step 5):
 * `GET <url>?event=activate&verification_token=<token>&challenge=<integer>&app_id=<appID>` →
 * 200 `{"challenge": <the same integer>}` when the token is the one registered, else 403.
 */
import { safeEqual } from "../security.js";

export interface HandshakeAnswer {
  status: 200 | 400 | 403;
  /** JSON text (the challenge is echoed digit for digit, even beyond 2^53). */
  body: string;
  outcome: string;
}

export function preludeHandshake(query: Record<string, string | undefined>, verificationToken: string): HandshakeAnswer {
  if (query.event !== "activate") return { status: 400, body: JSON.stringify({ error: "invalid_request", message: "expected event=activate" }), outcome: "not_activate" };
  const challenge = query.challenge ?? "";
  if (!/^-?\d{1,40}$/.test(challenge)) return { status: 400, body: JSON.stringify({ error: "invalid_request", message: "challenge must be an integer" }), outcome: "bad_challenge" };
  if (!safeEqual(query.verification_token ?? "", verificationToken)) {
    return { status: 403, body: JSON.stringify({ error: "invalid_verification_token" }), outcome: "bad_token" };
  }
  return { status: 200, body: `{"challenge":${challenge}}`, outcome: "activated" };
}
