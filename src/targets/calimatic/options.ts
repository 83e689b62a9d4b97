import { z } from "zod";

/** Target block of the config (`target: { type: calimatic, … }`). Secrets come in as `${ENV}` and are never printed. */
export const CalimaticTargetOptionsSchema = z
  .object({
    /** `https://auth.calimatic.com` (a trailing `/api/v1` is accepted too). */
    baseUrl: z.string().url().default("https://auth.calimatic.com"),
    /** `x-api-key` with org:users:manage — needed to create organizations. */
    apiKey: z.string().min(1).optional(),
    /** App client (`x-client-id` / `x-client-secret`): import, resolve, reset-password, migration-status. */
    clientId: z.string().min(1),
    clientSecret: z.string().min(1),
    /** Admin-portal cookie for `/tools/migration-status` (seed: `Cookie: your-session-cookie`); default: the client credentials. */
    sessionCookie: z.string().min(1).optional(),
    /** Licenses assigned to every imported user (seed: `["edtech"]`). */
    defaultApplications: z.array(z.string().min(1)).default([]),
    /** Organization for users without a (resolved) membership. */
    defaultOrganizationId: z.string().min(1).optional(),
    /** Seed: "Migration -- don't spam existing users". */
    sendInviteEmails: z.boolean().default(false),
    /**
     * `true` (seed default): a user whose email already exists is linked (`skipped`, `exists_by_email`), never touched.
     * `false`: such a user is then overwritten with the legacy profile by a second import call (still recorded as
     * linked, never rolled back, and never given authmigrate's `metadata.migratedBy` mark).
     * Updates of users authmigrate migrated always go with `skipExisting: false`.
     */
    skipExisting: z.boolean().default(true),
    /** Role for users without one (seed: `ROLE_MAP[…] || "member"`). */
    defaultRole: z.string().min(1).default("member"),
    /** Used for a missing first/last name (Calimatic requires both); unset = such users fail with `missing_first_name`/`missing_last_name`. */
    placeholderName: z.string().min(1).max(100).optional(),
    /** `type` / `plan` of created organizations when the legacy org has none. */
    orgDefaults: z.object({ type: z.string().min(1).optional(), plan: z.string().min(1).optional() }).default({}),
    /** Send the legacy password again on updates (default false: never overwrite a password the user may have changed in Calimatic). */
    updatePasswords: z.boolean().default(false),
    /**
     * Import calls per second; 0 = no spacing. Unset: the run's shared adaptive limiter paces imports
     * (seeded from capabilities.rateLimit = 0.5/s — the seed waits 2 s between batches — or `run.rateLimit`).
     */
    importsPerSecond: z.number().min(0).optional(),
    /** Other calls per second (resolve, reset-password, delete…). 0 = unlimited. */
    requestsPerSecond: z.number().min(0).default(10),
    /** Per-request timeout. */
    timeoutMs: z.number().int().positive().default(60_000),
    /** Parallel per-user calls (lookups, resets, deletes). */
    concurrency: z.number().int().min(1).max(32).default(4),
  })
  .strict();

export type CalimaticTargetOptions = z.infer<typeof CalimaticTargetOptionsSchema>;
export type CalimaticTargetOptionsInput = z.input<typeof CalimaticTargetOptionsSchema>;
