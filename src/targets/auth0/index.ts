import { z } from "zod";
import { capability, hashFormats } from "../../hashes/index.js";
import type { Target } from "../types.js";
import { Auth0Instance } from "./instance.js";
import { AUTH0_FILE_MAX } from "./records.js";

export const Auth0OptionsSchema = z
  .object({
    /** Tenant domain, e.g. `acme.eu.auth0.com` (→ `https://acme.eu.auth0.com`)… */
    domain: z.string().min(1).optional(),
    /** …or the full base URL (custom domain, simulator). */
    baseUrl: z.string().url().optional(),
    /** Machine-to-machine application authorized for the Management API. */
    clientId: z.string().min(1),
    /** Its secret. Use `${AUTH0_CLIENT_SECRET}`. */
    clientSecret: z.string().min(1),
    /** Management API audience; default `<baseUrl>/api/v2/` (set it when baseUrl is a custom domain). */
    audience: z.string().min(1).optional(),
    /** `con_…` of the database connection users are imported into. */
    connectionId: z.string().min(1),
    /** Name of that connection: password sign-in realm, lookups and count filter (default: any database connection; sign-in uses Username-Password-Authentication). */
    connection: z.string().min(1).optional(),
    /** Existing users (same email): `false` = DUPLICATED_USER → linked (`skipped`); `true` = profile and metadata replaced (passwords never are). */
    upsert: z.boolean().default(false),
    /** Send the legacy id as `user_id` (stored as `auth0|<id>`): ids are then known without lookups. */
    setUserId: z.boolean().default(true),
    /** app_metadata key that carries the legacy id (read back by verify). */
    externalIdKey: z.string().min(1).default("external_id"),
    /** Send `username` (only for connections with "Requires Username"). */
    sendUsername: z.boolean().default(false),
    /** Ask Auth0 to email tenant admins when each job finishes. */
    sendCompletionEmail: z.boolean().default(false),
    /** Correlation string put on every import job (`external_id`). */
    jobExternalId: z.string().max(100).optional(),
    /** Import jobs in flight at once (Auth0 allows 2 per tenant). */
    maxConcurrentJobs: z.number().int().min(1).max(2).default(2),
    /** Largest job file (JSON array) in bytes; Auth0's limit is 500 KB. */
    maxBatchBytes: z.number().int().positive().max(AUTH0_FILE_MAX).default(AUTH0_FILE_MAX),
    /** Interval between polls of an import job. */
    pollIntervalMs: z.number().int().positive().default(2000),
    /** Give up waiting for one import job after this long (retryable). */
    timeoutMs: z.number().int().positive().default(30 * 60_000),
    /** Per-HTTP-request timeout. */
    requestTimeoutMs: z.number().int().positive().default(30_000),
  })
  .refine((o) => !!o.domain !== !!o.baseUrl, { message: "set exactly one of domain or baseUrl", path: ["domain"] })
  .transform((o) => {
    const baseUrl = (o.baseUrl ?? `https://${o.domain!.replace(/^https?:\/\//, "")}`).replace(/\/+$/, "");
    return { ...o, baseUrl, audience: o.audience ?? `${baseUrl}/api/v2/` };
  });

export type Auth0Options = z.infer<typeof Auth0OptionsSchema>;
export type Auth0OptionsInput = z.input<typeof Auth0OptionsSchema>;

/**
 * Auth0: bulk user imports (`POST /api/v2/jobs/users-imports`, async jobs polled, `/errors` per
 * user), Management API client-credentials token, bcrypt `password_hash` and
 * `custom_password_hash` (md4/md5/sha*, hmac, ldap, pbkdf2, argon2, scrypt). No organizations yet.
 * See docs/targets/auth0.md.
 */
export const auth0Target: Target<typeof Auth0OptionsSchema> = {
  id: "auth0",
  description: "Auth0: bulk user import jobs (≤500 KB files, 2 concurrent), bcrypt + custom_password_hash, Management API for verify and rollback",
  capabilities: {
    maxBatchSize: 1000,
    maxBatchBytes: AUTH0_FILE_MAX,
    update: true,
    orgs: false,
    rollback: true,
    hashFormats: hashFormats.filter((f) => {
      const s = capability(f, "auth0").strategy;
      return s === "native" || s === "re-encode";
    }),
    // DUPLICATED_USER → linked to the existing user (users-by-email): no lookup before every create.
    idempotentCreate: true,
    // Each lookup request is retried on its own (retryRead).
    retriesReads: true,
    // Management API: dev tenants ≈ 2 req/s (burst 10), paid production ≈ 16 req/s (burst 50):
    // set run.rateLimit for your plan; 429s slow the run's limiter down anyway.
    rateLimit: { requestsPerSecond: 10, burst: 10 },
  },
  options: Auth0OptionsSchema,
  create: (options, ctx) => new Auth0Instance(options, ctx),
};

export { Auth0Instance } from "./instance.js";
export type { Auth0Job, Auth0JobError, Auth0User } from "./instance.js";
export { AUTH0_FILE_MAX, passwordFor, roundsByEmail, splitByBytes, toImportUser } from "./records.js";
