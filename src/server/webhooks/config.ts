import { z } from "zod";

/**
 * The `serve.webhooks` block: which providers may POST to `/webhooks/:provider`, how each one's
 * signature is checked, and where verified changes are applied (legacy DB and/or ledger).
 * Secrets should come from `${ENV}` interpolation; they are never logged or echoed.
 */

/** Signature schemes, per ../shared reference webhooks.md. `svix` = Clerk (svix-* headers). */
export const WEBHOOK_SCHEMES = ["standard", "svix", "workos", "authgear", "prelude"] as const;
export type WebhookScheme = (typeof WEBHOOK_SCHEMES)[number];

export const WebhookProviderSchema = z
  .object({
    /** Default: the provider key when it names a scheme (`workos`, `authgear`, `prelude`), `svix` for `clerk`. */
    scheme: z.enum(WEBHOOK_SCHEMES).optional(),
    /**
     * standard/svix: `whsec_<base64>`; workos: the dashboard secret (raw UTF-8 key); authgear: the
     * portal secret; prelude with `signature: "hmac"`: the shared key.
     */
    secret: z.string().min(1).optional(),
    /** Extra secrets accepted while rotating (standard/svix send several signatures during a rotation). */
    previousSecrets: z.array(z.string().min(1)).default([]),
    /** Override of `webhooks.toleranceSec` (WorkOS' SDK uses 180 s; Authgear has no timestamp). */
    toleranceSec: z.number().int().positive().optional(),
    /** Prelude: the `verification_token` registered with the webhook (activation handshake). */
    verificationToken: z.string().min(1).optional(),
    /** Prelude: `rsassa-pss` (current docs; app JWKS) or `hmac` (older `sha256=<b64>` docs). */
    signature: z.enum(["rsassa-pss", "hmac"]).default("rsassa-pss"),
    /** Prelude rsassa-pss: `https://<appID>.session.prelude.dev/.well-known/jwks.json`. */
    jwksUri: z.string().url().optional(),
    /**
     * Prelude batches and Authgear carry no delivery timestamp we can sign-check: an event whose
     * own time (`occurred_at`, `context.timestamp`) is older than this is answered 2xx and dropped.
     */
    maxEventAgeSec: z.number().int().positive().default(14 * 24 * 3600),
  })
  .strict();
export type WebhookProviderConfig = z.infer<typeof WebhookProviderSchema>;

/** A legacy column value: `$now` = the apply time (ISO string), anything else literally. */
const ColumnValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);

export const LegacyApplySchema = z
  .object({
    /** Legacy table, e.g. `Users`. The source's connection (`source.url` / `source.path`) is used, with its own write connection. */
    table: z.string().min(1),
    /** Column holding the legacy id (the ledger's externalId), e.g. `Id`. */
    keyColumn: z.string().min(1),
    /** Column holding the target's user id (seed 002's `workos_user_id`): finds rows for users without an external id, and links inserted rows. */
    targetIdColumn: z.string().min(1).optional(),
    /** Canonical field → legacy column. Only fields present in an event are written. */
    columns: z
      .object({
        email: z.string().optional(),
        emailVerified: z.string().optional(),
        givenName: z.string().optional(),
        familyName: z.string().optional(),
        name: z.string().optional(),
        username: z.string().optional(),
        phone: z.string().optional(),
        picture: z.string().optional(),
        /** Receives 1 / 0 (disabled events, deletes with `onDelete: deactivate`). */
        active: z.string().optional(),
        /** Receives the event time of the last applied change (ISO string). */
        updatedAt: z.string().optional(),
      })
      .strict()
      .default({}),
    /**
     * `ignore` (default): users created on the target are only linked in the ledger.
     * `insert`: insert a legacy row (needs `targetIdColumn`, so a redelivery finds it instead of inserting twice);
     * a row with the same email and no target id yet is linked instead of duplicated (seed 003 step 4).
     */
    onCreate: z.enum(["ignore", "insert"]).default("ignore"),
    /** How inserted rows get their key: `auto` (the DB generates it) or `targetId` (the target's id). */
    newKey: z.enum(["auto", "targetId"]).default("auto"),
    /** `delete` the row, `deactivate` (set `columns.active` = 0), `set` the `deleteSet` columns, or `ignore` (seed 003: optional). */
    onDelete: z.enum(["delete", "deactivate", "set", "ignore"]).default("ignore"),
    deleteSet: z.record(z.string(), ColumnValue).optional(),
    /** Fixed column values for inserted rows (NOT NULL columns without a default), e.g. `{ RoleId: 3, IsActive: 1 }`. */
    insertDefaults: z.record(z.string(), ColumnValue).default({}),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.onCreate === "insert" && !v.targetIdColumn) {
      ctx.addIssue({ code: "custom", path: ["targetIdColumn"], message: 'onCreate: "insert" needs targetIdColumn (so a redelivered create finds the row it inserted)' });
    }
    if (v.onDelete === "deactivate" && !v.columns.active) {
      ctx.addIssue({ code: "custom", path: ["columns", "active"], message: 'onDelete: "deactivate" needs columns.active (e.g. "IsActive")' });
    }
    if (v.onDelete === "set" && !v.deleteSet) {
      ctx.addIssue({ code: "custom", path: ["deleteSet"], message: 'onDelete: "set" needs deleteSet, e.g. { DeletedAt: "$now" }' });
    }
  });
export type LegacyApplyConfig = z.infer<typeof LegacyApplySchema>;

export const WebhooksConfigSchema = z
  .object({
    /** Provider key (the `:provider` URL segment) → its verification settings. */
    providers: z.record(z.string().regex(/^[a-z0-9][a-z0-9_-]{0,39}$/, "provider keys are lower-case letters, digits, - and _"), WebhookProviderSchema),
    /** Deliveries whose signed timestamp is further than this from now are rejected (stale / replayed). */
    toleranceSec: z.number().int().positive().default(300),
    /** Largest webhook body (413 above). Standard Webhooks suggests < 20 KB; Prelude batches are larger. */
    bodyLimitBytes: z.number().int().positive().default(256 * 1024),
    /** Inbox database; default: the ledger's (`ledger.url`). */
    inboxUrl: z.string().min(1).optional(),
    /** Where verified changes go. At least one of `legacy` / `ledger`. */
    apply: z
      .object({
        legacy: LegacyApplySchema.optional(),
        /** Link target ids ↔ external ids in the ledger (users created on the target side). */
        ledger: z.boolean().default(true),
      })
      .strict()
      .default({ ledger: true }),
    worker: z
      .object({
        /** Poll interval of the inbox processor when idle. */
        intervalMs: z.number().int().positive().default(250),
        batchSize: z.number().int().positive().max(1000).default(100),
        /** After this many failed attempts an event is dead-lettered (status `dead`, kept with its last error). */
        maxAttempts: z.number().int().positive().default(8),
        /** First retry delay; doubles per attempt (capped at 10 min). */
        backoffMs: z.number().int().nonnegative().default(1000),
        /** Apply in a worker thread (default): synchronous SQLite writes never delay acknowledgements. */
        thread: z.boolean().default(true),
        /**
         * Applied (`done`) events are deleted this many days after they were processed (checked
         * hourly); 0 keeps them forever. Redeliveries are recognised by these rows, so keep this
         * above the longest sender retry window (Svix/Clerk, Standard Webhooks: ~3 days) and above
         * `maxEventAgeSec` (14 days). Dead-lettered events are never pruned.
         */
        retainDays: z.number().nonnegative().default(30),
      })
      .strict()
      .default({ intervalMs: 250, batchSize: 100, maxAttempts: 8, backoffMs: 1000, thread: true, retainDays: 30 }),
  })
  .strict();
export type WebhooksConfig = z.infer<typeof WebhooksConfigSchema>;
export type WebhooksConfigInput = z.input<typeof WebhooksConfigSchema>;

/** The scheme a provider key uses (`clerk` → svix, `workos` → workos …). */
export function schemeOf(key: string, p: WebhookProviderConfig): WebhookScheme {
  if (p.scheme) return p.scheme;
  if (key === "clerk" || key === "svix") return "svix";
  if ((WEBHOOK_SCHEMES as readonly string[]).includes(key)) return key as WebhookScheme;
  return "standard";
}
