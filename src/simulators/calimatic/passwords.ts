import { pbkdf2 as pbkdf2Cb, timingSafeEqual } from "node:crypto";
import { promisify } from "node:util";
import { compare as bcryptCompare, hash as bcryptHash } from "@node-rs/bcrypt";

/**
 * Password storage of the Calimatic simulator. Deliberately independent of authmigrate's own
 * hash engine (src/hashes): the simulator plays the provider, so a wrong conversion on our side
 * must fail here exactly as it would at Calimatic.
 *
 * Seed 000: "Supported formats: bcrypt ($2b$, $2a$) and PBKDF2 (Keycloak JSON format). PBKDF2
 * hashes are automatically upgraded to bcrypt on first login."
 */

const pbkdf2 = promisify(pbkdf2Cb);

export type StoredPassword =
  | { kind: "bcrypt"; hash: string }
  | { kind: "pbkdf2"; digest: "sha1" | "sha256" | "sha512"; iterations: number; salt: Buffer; dk: Buffer };

/** bcrypt as the seed lists it: `$2a$`/`$2b$`, two-digit cost, 53 chars of salt + checksum. */
const BCRYPT = /^\$2[ab]\$(0[4-9]|[12]\d|3[01])\$[./A-Za-z0-9]{53}$/;

const KEYCLOAK_ALGS: Record<string, "sha1" | "sha256" | "sha512"> = { pbkdf2: "sha1", "pbkdf2-sha256": "sha256", "pbkdf2-sha512": "sha512" };

/** Largest PBKDF2 iteration count accepted (Keycloak's own defaults are 27,500–600,000). */
const MAX_ITERATIONS = 1_000_000;

type Obj = Record<string, unknown>;

function obj(v: unknown): Obj | undefined {
  if (typeof v === "string") {
    try {
      return obj(JSON.parse(v) as unknown);
    } catch {
      return undefined;
    }
  }
  return v && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : undefined;
}

function b64(v: unknown): Buffer | undefined {
  if (typeof v !== "string" || !/^[A-Za-z0-9+/]+={0,2}$/.test(v)) return undefined;
  return Buffer.from(v, "base64");
}

/**
 * Parses the `passwordHash` of an import item. Accepted Keycloak layouts (the seed says only
 * "PBKDF2 (Keycloak JSON format)"):
 *  - `{"secretData": "<json or object>", "credentialData": "<json or object>"}` — Keycloak's credential pair;
 *  - `{"value", "salt", "hashIterations", "algorithm"}` — the flat export layout.
 * Returns undefined for anything else ("Unsupported password hash format").
 */
export function parsePasswordHash(value: string): StoredPassword | undefined {
  if (BCRYPT.test(value)) return { kind: "bcrypt", hash: value };
  const top = obj(value.trim().startsWith("{") ? value : undefined);
  if (!top) return undefined;
  const secret = "secretData" in top ? obj(top.secretData) : top;
  const cred = "secretData" in top ? obj(top.credentialData) : top;
  if (!secret || !cred) return undefined;
  const digest = KEYCLOAK_ALGS[typeof cred.algorithm === "string" ? cred.algorithm : ""];
  const iterations = typeof cred.hashIterations === "number" ? cred.hashIterations : Number.NaN;
  const salt = b64(secret.salt);
  const dk = b64(secret.value);
  if (!digest || !Number.isInteger(iterations) || iterations < 1 || iterations > MAX_ITERATIONS || !salt || !dk || dk.length < 16) return undefined;
  return { kind: "pbkdf2", digest, iterations, salt, dk };
}

export async function verifyStored(password: string, stored: StoredPassword): Promise<boolean> {
  if (stored.kind === "bcrypt") return bcryptCompare(password, stored.hash);
  const got = await pbkdf2(Buffer.from(password, "utf8"), stored.salt, stored.iterations, stored.dk.length, stored.digest);
  return got.length === stored.dk.length && timingSafeEqual(got, stored.dk);
}

export async function bcryptOf(password: string, cost: number): Promise<StoredPassword> {
  return { kind: "bcrypt", hash: await bcryptHash(password, cost) };
}
