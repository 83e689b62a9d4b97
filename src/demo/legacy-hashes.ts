import bcrypt from "bcryptjs";
import { pbkdf2Sync } from "node:crypto";
import { randomBytes } from "./prng.js";

const BCRYPT_ALPHABET = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** bcrypt with a salt drawn from the seeded PRNG (bcryptjs accepts an explicit salt string), so output is deterministic. */
export function demoBcrypt(rand: () => number, password: string, cost: number, variant: "2a" | "2b"): string {
  let salt = "";
  for (let i = 0; i < 21; i++) salt += BCRYPT_ALPHABET[Math.floor(rand() * 64)];
  // The 22nd char only carries 2 bits; pick from the chars bcrypt itself emits there.
  salt += ".Oeu"[Math.floor(rand() * 4)];
  const hash = bcrypt.hashSync(password, `$2b$${String(cost).padStart(2, "0")}$${salt}`);
  return variant === "2a" ? "$2a$" + hash.slice(4) : hash;
}

/**
 * Keycloak's PBKDF2 credential as a legacy app stores it in ONE column: the credential's
 * secretData and credentialData JSON strings wrapped together (Calimatic "Keycloak JSON format").
 */
export function demoKeycloakPbkdf2(rand: () => number, password: string, iterations: number): string {
  const salt = randomBytes(rand, 16);
  const value = pbkdf2Sync(password, salt, iterations, 64, "sha256");
  return JSON.stringify({
    secretData: JSON.stringify({ value: value.toString("base64"), salt: salt.toString("base64"), additionalParameters: {} }),
    credentialData: JSON.stringify({ hashIterations: iterations, algorithm: "pbkdf2-sha256", additionalParameters: {} }),
  });
}
