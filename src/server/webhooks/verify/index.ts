import { AuthmigrateError } from "../../../errors.js";
import { schemeOf, type WebhookProviderConfig } from "../config.js";
import { AuthgearVerifier } from "./authgear.js";
import { JwksCache, PreludeHmacVerifier, PreludePssVerifier } from "./prelude.js";
import { StandardWebhooksVerifier } from "./standard.js";
import { secretsOf, type Verifier } from "./types.js";
import { WorkosVerifier } from "./workos.js";

export type { Delivery, Verifier, VerifyFailure, VerifyResult } from "./types.js";
export { JwksCache } from "./prelude.js";

/** The verifier for one configured provider; configuration mistakes fail at startup, naming the key. */
export function verifierFor(key: string, p: WebhookProviderConfig, toleranceSec: number, fetchImpl?: typeof fetch): Verifier {
  const scheme = schemeOf(key, p);
  const tol = p.toleranceSec ?? toleranceSec;
  const secrets = secretsOf(p);
  const need = (what: string, hint: string) =>
    new AuthmigrateError("CONFIG_INVALID", `serve.webhooks.providers.${key}: ${what}`, { hint });
  if (scheme === "prelude" && p.signature === "rsassa-pss") {
    if (!p.jwksUri) throw need("signature rsassa-pss needs jwksUri", 'set jwksUri: "https://<appID>.session.prelude.dev/.well-known/jwks.json", or signature: "hmac" with a secret');
    return new PreludePssVerifier(new JwksCache(p.jwksUri, fetchImpl));
  }
  if (secrets.length === 0) throw need(`scheme ${scheme} needs a secret`, `set secret: "\${${key.toUpperCase().replace(/-/g, "_")}_WEBHOOK_SECRET}"`);
  if ((scheme === "standard" || scheme === "svix") && secrets.some((s) => !/^whsec_[A-Za-z0-9+/=]+$/.test(s) && !/^[A-Za-z0-9+/=]{32,}$/.test(s))) {
    throw need("the secret must be a whsec_<base64> signing secret", "copy the endpoint's signing secret (whsec_…) from the provider's dashboard");
  }
  switch (scheme) {
    case "standard":
      return new StandardWebhooksVerifier(secrets, tol, "webhook");
    case "svix":
      return new StandardWebhooksVerifier(secrets, tol, "svix");
    case "workos":
      return new WorkosVerifier(secrets, tol);
    case "authgear":
      return new AuthgearVerifier(secrets);
    case "prelude":
      return new PreludeHmacVerifier(secrets);
  }
}
