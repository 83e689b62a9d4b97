import { defineFormat } from "../format.js";
import { type DigestName, b64decode, ctEqual, paramError, parseError, pbkdf2 } from "../util.js";

const FORMAT = "pbkdf2-keycloak-json";

export interface KeycloakPbkdf2 {
  digest: DigestName;
  algorithm: "pbkdf2" | "pbkdf2-sha256" | "pbkdf2-sha512";
  iterations: number;
  salt: Buffer;
  dk: Buffer;
}

const ALGS: Record<string, DigestName> = { pbkdf2: "sha1", "pbkdf2-sha256": "sha256", "pbkdf2-sha512": "sha512" };

type Obj = Record<string, unknown>;

function asObject(v: unknown): Obj | undefined {
  if (typeof v === "string") {
    const t = v.trim();
    if (!t.startsWith("{")) return undefined;
    try {
      const o = JSON.parse(t) as unknown;
      return o && typeof o === "object" && !Array.isArray(o) ? (o as Obj) : undefined;
    } catch {
      return undefined;
    }
  }
  return v && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : undefined;
}

/**
 * Splits any accepted layout into Keycloak's (secretData, credentialData) pair:
 *  (a) value = secretData JSON, params.credentialData = credentialData JSON (string or object);
 *  (b) value = {"secretData": "<json>", "credentialData": "<json>"} (single PasswordHash column);
 *  (c) flat  = {"value", "salt", "hashIterations", "algorithm"} (Calimatic's alternative).
 */
export function splitKeycloak(value: string, params: Obj = {}): { secret: Obj; cred: Obj | undefined } | undefined {
  const top = asObject(value);
  if (!top) return undefined;
  if ("secretData" in top) {
    const secret = asObject(top.secretData);
    if (!secret) return undefined;
    return { secret, cred: asObject(top.credentialData) ?? asObject(params.credentialData) };
  }
  if ("value" in top && "salt" in top) {
    const cred = asObject(params.credentialData) ?? ("hashIterations" in top ? top : "hashIterations" in params ? params : undefined);
    return { secret: top, cred };
  }
  return undefined;
}

export function keycloakIdentify(value: string): number {
  if (!value.startsWith("{")) return 0;
  const parts = splitKeycloak(value);
  if (!parts) return 0;
  const alg = parts.cred?.algorithm;
  if (typeof alg === "string" && !(alg in ALGS)) return 0; // e.g. argon2 credentials
  // Complete (layout b/c): only Keycloak stores this. Secret data alone: needs params.credentialData.
  return parts.cred ? 1 : 0.9;
}

export function parseKeycloak(value: string, params: Obj): KeycloakPbkdf2 {
  const parts = splitKeycloak(value, params);
  if (!parts) throw parseError(FORMAT, "expected Keycloak secretData JSON ({value, salt}) or {secretData, credentialData}");
  const { secret, cred } = parts;
  if (!cred) throw paramError(FORMAT, "credentialData (Keycloak credential_data JSON with hashIterations and algorithm)");
  const algorithm = typeof cred.algorithm === "string" ? cred.algorithm : "pbkdf2-sha256";
  const dg = ALGS[algorithm];
  if (!dg) throw parseError(FORMAT, "credentialData.algorithm must be pbkdf2, pbkdf2-sha256 or pbkdf2-sha512");
  const iterations = typeof cred.hashIterations === "number" ? cred.hashIterations : Number(cred.hashIterations);
  if (!Number.isInteger(iterations) || iterations < 1) throw parseError(FORMAT, "credentialData.hashIterations must be a positive integer");
  const dk = typeof secret.value === "string" ? b64decode(secret.value) : undefined;
  const salt = typeof secret.salt === "string" ? b64decode(secret.salt) : undefined;
  if (!dk || dk.length < 16) throw parseError(FORMAT, "secretData.value must be base64 of the derived key");
  if (!salt) throw parseError(FORMAT, "secretData.salt must be base64");
  return { digest: dg, algorithm: algorithm as KeycloakPbkdf2["algorithm"], iterations, salt, dk };
}

/** Keycloak's (secretData, credentialData) strings for a PBKDF2 credential. */
export function keycloakCredential(p: { algorithm: KeycloakPbkdf2["algorithm"]; iterations: number; salt: Uint8Array; dk: Uint8Array }): {
  secretData: string;
  credentialData: string;
} {
  return {
    secretData: JSON.stringify({ value: Buffer.from(p.dk).toString("base64"), salt: Buffer.from(p.salt).toString("base64"), additionalParameters: {} }),
    credentialData: JSON.stringify({ hashIterations: p.iterations, algorithm: p.algorithm, additionalParameters: {} }),
  };
}

export const keycloakPbkdf2 = defineFormat<KeycloakPbkdf2>({
  id: FORMAT,
  family: "pbkdf2",
  title: "Keycloak PBKDF2 credential (secretData + credentialData JSON)",
  needs: ["credentialData (unless value is {secretData, credentialData})"],
  identify: keycloakIdentify,
  parse: parseKeycloak,
  verify: async (pw, p) => ctEqual(await pbkdf2(FORMAT, p.digest, pw, p.salt, p.iterations, p.dk.length), p.dk),
  heavy: true,
});
