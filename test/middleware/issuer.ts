import { generateKeyPairSync, randomUUID, type KeyObject } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { SignJWT, exportJWK } from "jose";

/** A local OIDC issuer on 127.0.0.1: discovery + JWKS, key rotation, request counting. */
export interface TestIssuer {
  url: string;
  /** Current signing key id. */
  kid: string;
  requests: { discovery: number; jwks: number };
  /** New key becomes current; the old one stays published unless `dropOld`. */
  rotate(opts?: { dropOld?: boolean }): Promise<void>;
  sign(claims?: Record<string, unknown>, opts?: { kid?: string; key?: KeyObject; iss?: string; aud?: string; expSec?: number; alg?: "RS256" }): Promise<string>;
  close(): Promise<void>;
}

export async function startIssuer(): Promise<TestIssuer> {
  const keys: { kid: string; privateKey: KeyObject; publicKey: KeyObject }[] = [];
  const addKey = () => {
    const k = generateKeyPairSync("rsa", { modulusLength: 2048 });
    keys.push({ kid: randomUUID(), privateKey: k.privateKey, publicKey: k.publicKey });
  };
  addKey();
  const requests = { discovery: 0, jwks: 0 };
  let url = "";
  const server: Server = createServer(async (req, res) => {
    res.setHeader("content-type", "application/json");
    if (req.url === "/.well-known/openid-configuration") {
      requests.discovery++;
      res.end(JSON.stringify({ issuer: url, jwks_uri: `${url}/oauth2/jwks`, id_token_signing_alg_values_supported: ["RS256"] }));
    } else if (req.url === "/oauth2/jwks") {
      requests.jwks++;
      const jwks = await Promise.all(keys.map(async (k) => ({ ...(await exportJWK(k.publicKey)), kid: k.kid, alg: "RS256", use: "sig" })));
      res.end(JSON.stringify({ keys: jwks }));
    } else {
      res.statusCode = 404;
      res.end("{}");
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const issuer: TestIssuer = {
    url,
    get kid() {
      return keys.at(-1)!.kid;
    },
    requests,
    async rotate(opts = {}) {
      addKey();
      if (opts.dropOld) keys.splice(0, keys.length - 1);
    },
    async sign(claims = {}, o = {}) {
      const current = keys.at(-1)!;
      const jwt = new SignJWT({ ...claims })
        .setProtectedHeader({ alg: o.alg ?? "RS256", kid: o.kid ?? current.kid, typ: "JWT" })
        .setIssuer(o.iss ?? url)
        .setAudience(o.aud ?? url)
        .setSubject("user-1")
        .setIssuedAt()
        .setExpirationTime(Math.floor(Date.now() / 1000) + (o.expSec ?? 300));
      return jwt.sign(o.key ?? current.privateKey);
    },
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
  return issuer;
}
