import { z } from "zod";
import { capability, hashFormats } from "../../hashes/index.js";
import type { Target } from "../types.js";
import { AUTHGEAR_BODY_MAX, AuthgearInstance } from "./instance.js";

export const AuthgearOptionsSchema = z
  .object({
    /** Project endpoint, e.g. `https://myapp.authgear.cloud` (or a self-hosted / simulator URL). */
    endpoint: z.string().url(),
    /** Project (app) id: the Admin API JWT's `aud`, e.g. `myapp`. */
    appId: z.string().min(1),
    /** Key id of the Admin API key (portal → Advanced → Admin API): the JWT header `kid`. */
    keyId: z.string().min(1),
    /** The Admin API private key, PEM. Secret: use `${AUTHGEAR_ADMIN_KEY}`. */
    privateKey: z.string().min(1).optional(),
    /** …or a PEM file (relative to the config file). */
    privateKeyFile: z.string().min(1).optional(),
    /** Login ID every record is matched on. */
    identifier: z.enum(["email", "phone_number", "preferred_username"]).default("email"),
    /** Existing users: `false` = skipped (linked), `true` = profile overwritten (passwords never are). */
    upsert: z.boolean().default(false),
    /** Interval between polls of an import job. */
    pollIntervalMs: z.number().int().positive().default(1000),
    /** Give up waiting for one import job after this long (retryable). */
    timeoutMs: z.number().int().positive().default(600_000),
    /** Per-HTTP-request timeout. */
    requestTimeoutMs: z.number().int().positive().default(30_000),
    /** Request body limit; Authgear's is 500 KB (500 000 bytes). */
    maxRequestBytes: z.number().int().positive().max(AUTHGEAR_BODY_MAX).default(AUTHGEAR_BODY_MAX),
    /** Records per import request (Authgear splits each into tasks of 100 server-side). */
    maxRecordsPerRequest: z.number().int().positive().default(500),
    /** Lifetime of each Admin API JWT (re-signed a minute before it expires). */
    tokenTtlSec: z.number().int().min(90).max(3600).default(300),
  })
  .refine((o) => !!o.privateKey !== !!o.privateKeyFile, { message: "set exactly one of privateKey or privateKeyFile", path: ["privateKey"] });

export type AuthgearOptions = z.infer<typeof AuthgearOptionsSchema>;
export type AuthgearOptionsInput = z.input<typeof AuthgearOptionsSchema>;

/**
 * Authgear: bulk User Import API (async jobs, polled), Admin API JWT auth, Admin API GraphQL for
 * lookups / verify / rollback, Authentication Flow API for sign-in checks. bcrypt only.
 */
export const authgearTarget: Target<typeof AuthgearOptionsSchema> = {
  id: "authgear",
  description: "Authgear: User Import API (async, bcrypt hashes), Admin API GraphQL for verify and rollback",
  capabilities: {
    maxBatchSize: 500,
    maxBatchBytes: AUTHGEAR_BODY_MAX,
    update: true,
    orgs: false,
    rollback: true,
    // bcrypt (and losslessly re-encodable bcrypt variants) only; everything else is lazy/reset.
    hashFormats: hashFormats.filter((f) => {
      const s = capability(f, "authgear").strategy;
      return s === "native" || s === "re-encode";
    }),
    // Admin API updateUser (profile) and deleteUser; no documented identity mutation: login IDs are not mirrored.
    mirror: { identifiers: { email: "none", phone: "none", oauth: "none" }, profile: true, password: false },
  },
  options: AuthgearOptionsSchema,
  create: (options, ctx) => new AuthgearInstance(options, ctx),
};

export { AuthgearInstance, userNodeId, userIdOf, failureReason } from "./instance.js";
export { AdminTokenSigner, loadPrivateKey } from "./admin-jwt.js";
export { splitByBytes, toRecord, passwordFor } from "./records.js";
