import { z } from "zod";
import { DashboardConfigSchema } from "./dashboard/config.js";
import { WebhooksConfigSchema } from "./webhooks/config.js";

/**
 * The optional `serve:` config block (`authmigrate serve`, lazy on-login migration).
 * Secrets (`secret`, `legacy.clientSecret`) should come from `${ENV}` interpolation.
 */
const RateRuleSchema = z
  .object({
    /** Attempts allowed in `windowSec` before the key is locked out. */
    max: z.number().int().positive(),
    windowSec: z.number().positive(),
    /** How long a locked key gets 429 + Retry-After. */
    lockoutSec: z.number().positive(),
  })
  .strict();

export const OidcLegacySchema = z
  .object({
    type: z.literal("oidc"),
    /** Legacy issuer (`iss` of its id_tokens), e.g. `https://old-tenant.auth0.com/`. */
    issuer: z.string().url(),
    /** Default: from `${issuer}/.well-known/openid-configuration`. */
    tokenEndpoint: z.string().url().optional(),
    jwksUri: z.string().url().optional(),
    clientId: z.string().min(1),
    clientSecret: z.string().optional(),
    /** `password`, or Auth0's `http://auth0.com/oauth/grant-type/password-realm` (then set `realm`). */
    grantType: z.string().default("password"),
    realm: z.string().optional(),
    audience: z.string().optional(),
    scope: z.string().default("openid profile email"),
    /** id_token claim used as the user's externalId (the id the bulk run uses too). */
    externalIdClaim: z.string().default("sub"),
    /**
     * Auth0 tenant → tenant (seed 004): Get User searches the old tenant's users through its
     * Management API (client credentials, scope `read:users`) instead of a legacy SQL source.
     */
    management: z
      .object({
        /** Management API origin, e.g. `https://old-tenant.auth0.com`; default: the issuer's origin. */
        baseUrl: z.string().url().optional(),
        /** Default: `${baseUrl}/api/v2/`. */
        audience: z.string().optional(),
        /** Default: the legacy `clientId` / `clientSecret` (seed 004 uses one M2M app for both grants). */
        clientId: z.string().min(1).optional(),
        clientSecret: z.string().min(1).optional(),
        /** The old tenant's database connection name (`identities.connection`). */
        connection: z.string().min(1),
      })
      .strict()
      .optional(),
  })
  .strict();

export const DbLegacySchema = z.object({ type: z.literal("db") }).strict();

export const ServeConfigSchema = z
  .object({
    host: z.string().default("127.0.0.1"),
    port: z.number().int().min(0).max(65535).default(8787),
    /** Shared secret every hook caller presents (Bearer, X-Api-Key header, or HMAC key). ≥ 16 chars. */
    secret: z.string().min(16, "serve.secret must be at least 16 characters (use ${AUTHMIGRATE_SERVE_SECRET})"),
    auth: z
      .object({
        /** `Authorization: Bearer <secret>`. */
        bearer: z.boolean().default(true),
        /** Header carrying the secret as an API key (Ory Kratos `auth.type: api_key`), e.g. `X-Api-Key`. */
        apiKeyHeader: z.string().optional(),
        /** `X-Authmigrate-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`. */
        hmac: z.boolean().default(true),
        /** Signatures older/newer than this are stale. */
        maxSkewSec: z.number().int().positive().default(300),
      })
      .strict()
      .default({ bearer: true, hmac: true, maxSkewSec: 300 }),
    routes: z
      .object({
        verify: z.boolean().default(true),
        kratos: z.boolean().default(false),
        prelude: z.boolean().default(false),
        auth0: z.boolean().default(false),
      })
      .strict()
      .default({ verify: true, kratos: false, prelude: false, auth0: false }),
    /** Who checks the password: the legacy database + hash engine (default), or the legacy IdP's password grant. */
    legacy: z.discriminatedUnion("type", [DbLegacySchema, OidcLegacySchema]).default({ type: "db" }),
    /** Prelude `session_validation_url`: how the legacy token is verified and resolved to the legacy user. */
    prelude: z
      .object({
        issuer: z.string().min(1),
        jwksUri: z.string().url(),
        audience: z.union([z.string(), z.array(z.string())]),
        algorithms: z.array(z.string()).default(["RS256", "ES256"]),
        /** Token claim identifying the user, looked up in the legacy source. */
        claim: z.string().default("email"),
        /** Which mapped column the claim is matched against. */
        lookupBy: z.enum(["email", "externalId"]).default("email"),
      })
      .strict()
      .optional(),
    auth0: z
      .object({
        /** Prefix for profile.user_id (Auth0 advises one per custom DB connection). Same rule in Login and Get User. */
        userIdPrefix: z.string().default(""),
      })
      .strict()
      .default({ userIdPrefix: "" }),
    /** Just-in-time: after a successful legacy check, create/update the user in `target` with that password. */
    jit: z.boolean().default(false),
    rateLimit: z
      .object({
        perIdentifier: RateRuleSchema.default({ max: 5, windowSec: 300, lockoutSec: 900 }),
        perIp: RateRuleSchema.default({ max: 600, windowSec: 60, lockoutSec: 300 }),
        /** Take the client IP from the first X-Forwarded-For entry (only behind a trusted proxy). */
        trustProxy: z.boolean().default(false),
        /**
         * `redis://host:6379`: every serve instance shares the per-IP and per-identifier counters
         * (without it each process counts alone). Redis down → each process falls back to its own.
         */
        redis: z.string().regex(/^rediss?:\/\//, "a redis:// or rediss:// URL").optional(),
      })
      .strict()
      .default({
        perIdentifier: { max: 5, windowSec: 300, lockoutSec: 900 },
        perIp: { max: 600, windowSec: 60, lockoutSec: 300 },
        trustProxy: false,
      }),
    /** Largest request body (413 above). */
    bodyLimitBytes: z.number().int().positive().default(16 * 1024),
    /** Per-request time limit (Prelude and Auth0 give up after ~5 s / 20 s). */
    timeoutMs: z.number().int().positive().default(4500),
    /** The read-only migration dashboard at `/`, its JSON API and /metrics (docs/dashboard.md). */
    dashboard: DashboardConfigSchema.optional(),
    /** `POST /webhooks/:provider`: signed provider events → inbox → legacy DB / ledger (docs/sync.md). */
    webhooks: WebhooksConfigSchema.optional(),
  })
  .strict();

export type ServeConfig = z.infer<typeof ServeConfigSchema>;
export type ServeConfigInput = z.input<typeof ServeConfigSchema>;
export type OidcLegacyConfig = z.infer<typeof OidcLegacySchema>;
