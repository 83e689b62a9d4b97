import { createPrivateKey, type KeyObject } from "node:crypto";
import { SignJWT } from "jose";
import { AuthmigrateError } from "../../errors.js";

/** Parse the Admin API private key (PKCS#8 or PKCS#1 PEM). The key never appears in an error. */
export function loadPrivateKey(pem: string): KeyObject {
  // Environment variables often carry PEMs on one line with literal "\n".
  pem = pem.includes("\\n") && !pem.includes("\n") ? pem.replace(/\\n/g, "\n") : pem;
  if (!/-----BEGIN (RSA )?PRIVATE KEY-----/.test(pem)) {
    throw new AuthmigrateError("AUTHGEAR_KEY_INVALID", "authgear: privateKey is not a PEM private key", {
      hint: "download the Admin API key from the Authgear portal (Advanced → Admin API) and pass it via ${AUTHGEAR_PRIVATE_KEY} or privateKeyFile",
    });
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    throw new AuthmigrateError("AUTHGEAR_KEY_INVALID", "authgear: privateKey cannot be parsed", { hint: "expected an RSA private key in PEM (PKCS#8 or PKCS#1)" });
  }
  if (key.asymmetricKeyType !== "rsa") {
    throw new AuthmigrateError("AUTHGEAR_KEY_INVALID", `authgear: the Admin API key must be RSA (got ${key.asymmetricKeyType})`, { hint: "Admin API JWTs are RS256" });
  }
  return key;
}

/**
 * Admin API JWT as Authgear documents it: RS256, header `kid` = the key id shown in the portal,
 * claims `aud` = project (app) id, `iat`, `exp`. Signed lazily and reused until `refreshBeforeSec`
 * before expiry.
 */
export class AdminTokenSigner {
  private cached: { token: string; exp: number } | undefined;
  private pending: Promise<string> | undefined;

  constructor(
    private readonly key: KeyObject,
    private readonly keyId: string,
    private readonly appId: string,
    private readonly ttlSec = 300,
    private readonly refreshBeforeSec = 60,
    private readonly now: () => number = Date.now,
  ) {}

  async token(): Promise<string> {
    const t = Math.floor(this.now() / 1000);
    if (this.cached && this.cached.exp - this.refreshBeforeSec > t) return this.cached.token;
    this.pending ??= (async () => {
      const exp = t + this.ttlSec;
      const token = await new SignJWT({})
        .setProtectedHeader({ alg: "RS256", kid: this.keyId, typ: "JWT" })
        .setAudience(this.appId)
        .setIssuedAt(t)
        .setExpirationTime(exp)
        .sign(this.key);
      this.cached = { token, exp };
      return token;
    })().finally(() => (this.pending = undefined));
    return this.pending;
  }
}
