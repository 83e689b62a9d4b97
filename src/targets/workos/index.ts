import { z } from "zod";
import { capability, hashFormats } from "../../hashes/index.js";
import type { Target } from "../types.js";
import { WorkosInstance } from "./instance.js";

export const WORKOS_API = "https://api.workos.com";

export const WorkosTargetOptionsSchema = z.object({
  /** Secret API key (`sk_…`); keep it out of the file: `apiKey: ${WORKOS_API_KEY}`. */
  apiKey: z.string().min(1).refine((k) => k.startsWith("sk_"), "must be a WorkOS secret key (sk_…)"),
  /** `client_…`: only for `signIn` (verify's pilot sign-ins through the password grant). */
  clientId: z.string().min(1).optional(),
  baseUrl: z.string().url().default(WORKOS_API),
  /**
   * Hashed users WorkOS cannot take a password for (planner strategy `lazy`, a hash convert() refuses,
   * or a 422 "Invalid password hash type"): `reset` = create without password, then send a password
   * reset; `lazy` = create without password (your login path verifies the legacy hash and sets it);
   * `none` = nothing sent. Users without any hash get their reset from the engine (`passwords.reset`);
   * social-only users never get one.
   */
  passwordless: z.enum(["reset", "lazy", "none"]).default("reset"),
  /** `dual-write` (seed 002 §4): skip users that already carry a WorkOS id (ledger target id or `metadata[targetIdField]`). */
  mode: z.enum(["big-bang", "dual-write"]).default("big-bang"),
  /** Metadata key (set by your mapping from the legacy `workos_user_id` column) holding a WorkOS id the app's dual-write stored. */
  targetIdField: z.string().min(1).default("workos_user_id"),
  /** Legacy role (after mapping.roles) → WorkOS role slug; unmapped roles are sent as-is. */
  roleSlugs: z.record(z.string(), z.string().min(1)).default({}),
  /** The environment has WorkOS's multiple-roles feature: memberships get `role_slugs`; else only the first role is sent. */
  multipleRoles: z.boolean().default(false),
  /** State of org domains created from the legacy org's domain. */
  orgDomainState: z.enum(["verified", "pending"]).default("pending"),
  /** `always`: create users with `email_verified: true` (seed 002: environments requiring verified emails block unverified imports). */
  emailVerified: z.enum(["source", "always"]).default("source"),
  /** WorkOS users cannot be disabled: `fail` reports disabled legacy users, `import` creates them like active ones. */
  disabledUsers: z.enum(["fail", "import"]).default("fail"),
  /** Client-side pace (requests per second, all calls); AuthKit allows 500 writes / 10 s. */
  requestsPerSecond: z.number().positive().default(50),
  timeoutMs: z.number().int().positive().default(30_000),
});

export type WorkosTargetOptionsInput = z.input<typeof WorkosTargetOptionsSchema>;

/** Hash-engine formats WorkOS takes as-is or after a lossless re-encode (bcrypt, scrypt, firebase-scrypt, ssha, pbkdf2, argon2). */
export const WORKOS_HASH_FORMATS: readonly string[] = hashFormats.filter((f) => {
  const s = capability(f, "workos").strategy;
  return s === "native" || s === "re-encode";
});

/**
 * WorkOS User Management (seed 002, targets.md §3): one `POST /user_management/users` per user
 * (no bulk endpoint) with `password_hash` + `password_hash_type`, organizations by external_id,
 * memberships with role slugs, password resets for users without a usable hash.
 */
export const workosTarget: Target<typeof WorkosTargetOptionsSchema> = {
  id: "workos",
  description: "WorkOS User Management: users with imported password hashes, organizations, memberships; password resets for the rest",
  capabilities: {
    // Per-user calls inside; 50 per batch keeps a batch's retry (after a 429) short.
    maxBatchSize: 50,
    update: true,
    orgs: true,
    rollback: true,
    // A duplicate email / external_id is looked up and linked inside writeUsers.
    idempotentCreate: true,
    // Each lookup request is retried on its own (retryRead).
    retriesReads: true,
    hashFormats: WORKOS_HASH_FORMATS,
    // AuthKit writes: 500 / 10 s per environment (seed 002 says 100/s; the docs' lower figure wins).
    rateLimit: { requestsPerSecond: 50, burst: 50 },
    // One email per user (PUT replaces it); phones / OAuth links are not WorkOS user fields.
    mirror: { identifiers: { email: "one", phone: "none", oauth: "none" }, profile: true, password: true },
  },
  options: WorkosTargetOptionsSchema,
  create: (options, ctx) => new WorkosInstance(options, ctx),
};

export { WorkosInstance } from "./instance.js";
export type { WorkosTargetOptions } from "./instance.js";
