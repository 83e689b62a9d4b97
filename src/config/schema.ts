import { z } from "zod";
import { SourceConfigSchema } from "../sources/types.js";
import { WriteBackSchema } from "../sources/write-back.js";
import type { MigrationUserInput } from "../model/user.js";
import { ServeConfigSchema } from "../server/config.js";
import { ReconcileConfigSchema } from "../reconcile/config.js";

/** A field map value: the source column (or dot path for JSON sources) to read. */
const column = z.string().min(1);

export const FieldMapSchema = z
  .object({
    externalId: column,
    email: column,
    emailVerified: column.optional(),
    givenName: column.optional(),
    familyName: column.optional(),
    displayName: column.optional(),
    username: column.optional(),
    picture: column.optional(),
    locale: column.optional(),
    phone: column.optional(),
    password: column.optional(),
    /** Column holding extra hash inputs (a separate salt, Keycloak credentialData…), read as JSON if it parses, else as `{salt: value}`. */
    passwordParams: column.optional(),
    /** Column with a truthy "active" flag (1/0, true/false, "Y"/"N"). */
    active: column.optional(),
    createdAt: column.optional(),
    lastLoginAt: column.optional(),
    /** Column with the legacy tenant/organization id. */
    org: column.optional(),
    /** Column with the legacy role id/name. */
    role: column.optional(),
  })
  .strict();

export const MappingSchema = z
  .object({
    fields: FieldMapSchema,
    /** metadata key -> source column, copied as-is (e.g. `{ legacyTenantId: "TenantId" }`). */
    metadata: z.record(z.string(), column).default({}),
    /** Where the phone column goes: E.164 `phones` (invalid numbers fall back to metadata with a warning) or `metadata.phone`. */
    phoneTo: z.enum(["phones", "metadata"]).default("phones"),
    /** Country calling code for national-format numbers, e.g. "+1". */
    defaultCountryCode: z.string().regex(/^\+\d{1,3}$/).optional(),
    roles: z
      .object({
        /** legacy role value (as string) -> target role name, like seed 000's ROLE_MAP. */
        map: z.record(z.string(), z.string().min(1)).default({}),
        default: z.string().min(1).default("member"),
      })
      .default({ map: {}, default: "member" }),
    /** legacy tenant value (as string) -> org externalId; unmapped tenants use the tenant value itself. */
    tenants: z.record(z.string(), z.string().min(1)).default({}),
    /**
     * Escape hatch: build the user yourself. Receives the raw row and the user the field map
     * produced; return a user, or `skip(reason)` to leave the row out (it is reported, not dropped).
     */
    transform: z.custom<TransformFn>((v) => typeof v === "function", "must be a function").optional(),
  })
  .strict();

export const OrgsSchema = z
  .object({
    source: SourceConfigSchema,
    fields: z
      .object({
        externalId: column,
        name: column,
        slug: column.optional(),
        domain: column.optional(),
        type: column.optional(),
        plan: column.optional(),
      })
      .strict(),
  })
  .strict();

export const ValidationSchema = z
  .object({
    names: z
      .object({
        maxLength: z.number().int().positive().default(100),
        /** `truncate` keeps the user and warns; `fail` reports the user as failed. */
        onTooLong: z.enum(["truncate", "fail"]).default("truncate"),
      })
      .default({ maxLength: 100, onTooLong: "truncate" }),
    duplicates: z
      .object({
        /** Which record of a group sharing one normalized email is migrated; the others are `duplicate_of:<id>`. */
        keep: z.enum(["first", "latest-login", "fail"]).default("first"),
      })
      .default({ keep: "first" }),
    /** Inactive legacy users: migrate them disabled, or skip them (reported as `inactive`). */
    inactive: z.enum(["disable", "skip"]).default("disable"),
  })
  .strict();

export const HashesSchema = z
  .object({
    /** Format to assume when a value is ambiguous (e.g. 32 hex chars could be md5-raw or others). */
    assume: z.string().optional(),
    /** Extra params merged into every credential (peppers, Firebase project keys…). Secrets: use ${ENV}. */
    params: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

export const PasswordsSchema = z
  .object({
    /** Force one strategy for everyone (seed 000 A–D): hash | reset | temporary | sso. Default: per user, the best the hash allows. */
    strategy: z.enum(["hash", "reset", "temporary", "sso"]).optional(),
    /** Send reset emails (targets that can) to users without a usable hash (`missing`), to `all`, or `none`. */
    reset: z.enum(["none", "missing", "all"]).default("missing"),
    /** CSV (0600) receiving generated temporary passwords for the operator to distribute. */
    temporaryPasswordsFile: z.string().default(".authmigrate/temporary-passwords.csv"),
  })
  .strict();

export const LedgerSchema = z
  .object({
    /** SQLite file path (default) or a postgres:// URL. */
    url: z.string().min(1).default(".authmigrate/ledger.sqlite"),
  })
  .strict();

export const RunSchema = z
  .object({
    concurrency: z.number().int().positive().default(4),
    /** Users per target call; capped by the target's own maximum. */
    batchSize: z.number().int().positive().default(500),
    /** Directory for report.jsonl and retry.csv. */
    outDir: z.string().default(".authmigrate"),
    /** Requests per second to the target, overriding the target's documented default (one limiter for the whole run). */
    rateLimit: z.number().positive().optional(),
    /**
     * Redis URL (`redis://127.0.0.1:6379`): the rate limit becomes one token bucket shared by every
     * process and machine migrating into the same target (docs/scale-out.md). Unset: per process.
     */
    rateLimitRedis: z.string().min(1).optional(),
    /** `run --workers` / `worker`: chunking and leases (docs/scale-out.md). */
    scale: z
      .object({
        /** Source records per chunk (a key range of the keyset order). */
        chunkSize: z.number().int().positive().default(5000),
        /** A chunk whose worker sent no heartbeat for this long is taken over by another worker. */
        leaseSeconds: z.number().positive().default(30),
        /** How often a worker renews its lease and reports its progress. */
        heartbeatSeconds: z.number().positive().default(5),
      })
      .strict()
      .default({ chunkSize: 5000, leaseSeconds: 30, heartbeatSeconds: 5 }),
    /** Attempts per batch/user before it is reported `failed` (429, 5xx, timeouts, resets are retried). */
    retries: z.number().int().min(0).default(5),
    /** Write each migrated user's target id back into the legacy table (seed 002's workos_user_id). */
    writeBack: WriteBackSchema.optional(),
  })
  .strict();

export const TargetConfigSchema = z.object({ type: z.string().min(1) }).passthrough();

/**
 * An application-framework preset (src/presets, docs/presets.md): `"django"` or
 * `{ name: "wordpress", tablePrefix: "wp_" }`. Expanded before validation into source query,
 * mapping, orgs and hash settings; keys the config sets itself override the preset's.
 */
export const PresetRefSchema = z.union([z.string().min(1), z.object({ name: z.string().min(1) }).passthrough()]);

export const ConfigSchema = z
  .object({
    preset: PresetRefSchema.optional(),
    source: SourceConfigSchema,
    orgs: OrgsSchema.optional(),
    mapping: MappingSchema,
    validation: ValidationSchema.default(ValidationSchema.parse({})),
    hashes: HashesSchema.default({ params: {} }),
    passwords: PasswordsSchema.default(PasswordsSchema.parse({})),
    target: TargetConfigSchema,
    ledger: LedgerSchema.default({ url: ".authmigrate/ledger.sqlite" }),
    run: RunSchema.default(RunSchema.parse({})),
    /** `authmigrate serve` (lazy on-login migration); see docs/serve.md. */
    serve: ServeConfigSchema.optional(),
    /** `authmigrate reconcile` (docs/sync.md). */
    reconcile: ReconcileConfigSchema.optional(),
  })
  .strict();

export type Config = z.infer<typeof ConfigSchema>;
export type ConfigInput = z.input<typeof ConfigSchema>;
type MappingInput = z.input<typeof MappingSchema>;
/** A config using `preset:`: `mapping` is optional and overrides only the keys it sets. */
export type PresetConfigInput = Omit<ConfigInput, "mapping" | "preset"> & {
  preset: z.input<typeof PresetRefSchema>;
  mapping?: Omit<MappingInput, "fields"> & { fields?: Partial<MappingInput["fields"]> };
};
export type MappingConfig = z.infer<typeof MappingSchema>;
export type ValidationConfig = z.infer<typeof ValidationSchema>;

/** Returned by a transform to leave a row out; it lands in the report with this reason. */
export interface Skip {
  readonly skip: true;
  readonly reason: string;
}
export function skip(reason: string): Skip {
  return { skip: true, reason };
}
export function isSkip(v: unknown): v is Skip {
  return typeof v === "object" && v !== null && (v as Skip).skip === true;
}

export type TransformFn = (
  row: Record<string, unknown>,
  mapped: MigrationUserInput,
) => MigrationUserInput | Skip | Promise<MigrationUserInput | Skip>;
