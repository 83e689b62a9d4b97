import type { Issue } from "../../mapping/issues.js";
import type { Credential, Mfa } from "../../model/user.js";
import { base32, base32Secret, jsonObject, str } from "../provider/values.js";

type Obj = Record<string, unknown>;

const PBKDF2 = new Set(["pbkdf2", "pbkdf2-sha256", "pbkdf2-sha512"]);

/** Keycloak keeps argon2 parameters as string arrays in credentialData.additionalParameters. */
function param(cred: Obj, key: string): string | undefined {
  const add = jsonObject(cred.additionalParameters);
  const v = add?.[key];
  return str(Array.isArray(v) ? v[0] : v);
}

const nopad = (b64: string): string => b64.replace(/=+$/, "");

/** Keycloak's argon2 provider (KC 24+) → the PHC string the hash engine's argon2 formats parse. */
function argon2Phc(secret: Obj, cred: Obj): string | undefined {
  const value = str(secret.value);
  const salt = str(secret.salt);
  const t = Number(cred.hashIterations);
  const type = param(cred, "type") ?? "id";
  const m = Number(param(cred, "memory") ?? 7168);
  const p = Number(param(cred, "parallelism") ?? 1);
  const version = (param(cred, "version") ?? "1.3") === "1.0" ? 16 : 19;
  if (!value || !salt || !Number.isInteger(t) || !["id", "i", "d"].includes(type) || !Number.isInteger(m) || !Number.isInteger(p)) return undefined;
  return `$argon2${type}$v=${version}$m=${m},t=${t},p=${p}$${nopad(salt)}$${nopad(value)}`;
}

/** The newest `password` credential (Keycloak keeps one; imports can carry several) → canonical credential. */
export function passwordCredential(credentials: Obj[], issues: Issue[]): Credential {
  const pw = credentials.filter((c) => c?.type === "password");
  if (pw.length === 0) return { kind: "none" };
  const chosen = pw.reduce((a, b) => (Number(b.createdDate ?? 0) >= Number(a.createdDate ?? 0) ? b : a));
  const secretData = typeof chosen.secretData === "string" ? chosen.secretData : JSON.stringify(chosen.secretData ?? null);
  const secret = jsonObject(chosen.secretData);
  const cred = jsonObject(chosen.credentialData);
  const unusable = (why: string): Credential => {
    issues.push({ code: "unknown_hash_format", severity: "warning", field: "credentials", message: `password credential ${why}; the user will need a password reset` });
    return { kind: "none" };
  };
  if (!secret || !cred) return unusable("has secretData/credentialData that are not JSON objects");
  const algorithm = str(cred.algorithm) ?? "pbkdf2-sha256";
  if (PBKDF2.has(algorithm)) {
    const credentialData = typeof chosen.credentialData === "string" ? chosen.credentialData : JSON.stringify(cred);
    return { kind: "hash", format: "pbkdf2-keycloak-json", value: secretData, params: { credentialData } };
  }
  if (algorithm === "argon2") {
    const phc = argon2Phc(secret, cred);
    if (!phc) return unusable("uses argon2 with incomplete parameters");
    return { kind: "hash", format: `argon2${param(cred, "type") ?? "id"}`, value: phc, params: {} };
  }
  return unusable(`uses algorithm "${algorithm}", which authmigrate cannot verify`);
}

/**
 * `otp` credentials of subType totp → canonical TOTP secrets (base32). Keycloak stores the secret
 * as the characters it generated and shows authenticators their base32, unless credentialData
 * says `secretEncoding: BASE32` (secrets imported already encoded).
 */
export function totpFactors(credentials: Obj[], issues: Issue[]): Mfa[] {
  const out: Mfa[] = [];
  for (const c of credentials) {
    if (c?.type !== "otp") continue;
    const secret = jsonObject(c.secretData);
    const data = jsonObject(c.credentialData) ?? {};
    const value = str(secret?.value);
    if (!value) continue;
    if (str(data.subType) === "hotp") {
      issues.push({ code: "invalid_record", severity: "warning", field: "credentials", message: "HOTP (counter-based) OTP credential left out: only TOTP factors migrate" });
      continue;
    }
    const encoded = str(data.secretEncoding)?.toUpperCase() === "BASE32" ? base32Secret(value) : base32(Buffer.from(value, "utf8"));
    if (encoded) out.push({ type: "totp", secret: encoded });
  }
  return out;
}
