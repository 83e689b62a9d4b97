import { z } from "zod";

export const PRELUDE_API = "https://api.prelude.dev";

/** Target block of the config (`target: { type: prelude, … }`). Secrets come in as `${ENV}` and are never printed. */
export const PreludeTargetOptionsSchema = z
  .object({
    /** Application id (`$APP_ID`, e.g. `54e9ujn`). */
    appId: z.string().min(1).regex(/^[\w-]+$/, "must be a Prelude application id"),
    /** Management API key (`$PRELUDE_API_KEY`); keep it out of the file: `apiKey: ${PRELUDE_API_KEY}`. */
    apiKey: z.string().min(1),
    baseUrl: z.string().url().default(PRELUDE_API),
    /** Per-request timeout. */
    timeoutMs: z.number().int().positive().default(30_000),
    /**
     * Legacy provider name → Prelude provider name, applied before the defaults (which strip an
     * `oauth_` prefix, e.g. `oauth_google` → `google`, and fold `google-oauth2`, `google.com`… into `google`).
     */
    providerNames: z.record(z.string(), z.string().min(1)).default({}),
    /** Send `extraEmails` as further `email_address` identifiers (seed 003: "every email"). */
    extraEmails: z.boolean().default(true),
    /**
     * Updates of users this tool created: `add` only adds missing identifiers; `diff` also removes
     * identifiers the legacy record no longer has (seed 003 step 1 mirror rule). Profile is always patched.
     */
    identifierSync: z.enum(["add", "diff"]).default("add"),
    /** Prelude documents no way to block a user: `import` creates disabled legacy users like active ones, `fail` reports them. */
    disabledUsers: z.enum(["import", "fail"]).default("import"),
  })
  .strict();

export type PreludeTargetOptions = z.infer<typeof PreludeTargetOptionsSchema>;
export type PreludeTargetOptionsInput = z.input<typeof PreludeTargetOptionsSchema>;
