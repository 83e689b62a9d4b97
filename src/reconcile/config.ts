import { z } from "zod";

/**
 * target-to-legacy writes: which legacy column receives which field of the target's record.
 * Keys: `email` (primary email), `phone` (first phone) or `profile.<field>` in the target's own
 * field names (better-auth `profile.name`, WorkOS `profile.first_name`; see docs/sync.md).
 */
export const LegacyWriteSchema = z
  .object({
    /** Legacy table to write, e.g. "Users". */
    table: z.string().min(1),
    /** Its column holding the legacy id (what `mapping.fields.externalId` reads), e.g. "Id". */
    keyColumn: z.string().min(1),
    columns: z
      .record(z.string().regex(/^(email|phone|profile\.[A-Za-z0-9_]+)$/, "keys are email, phone or profile.<field>"), z.string().min(1))
      .refine((c) => Object.keys(c).length > 0, "map at least one field to a column"),
  })
  .strict();

export const ReconcileConfigSchema = z
  .object({
    /** `reconcile --watch` default period, seconds. */
    interval: z.number().int().positive().default(300),
    /** Samples kept per drift kind in the report. */
    sampleSize: z.number().int().positive().max(10_000).default(20),
    /** Needed by `reconcile --fix --direction target-to-legacy`. */
    legacyWrite: LegacyWriteSchema.optional(),
  })
  .strict();

export type ReconcileConfig = z.infer<typeof ReconcileConfigSchema>;
export type LegacyWriteConfig = z.infer<typeof LegacyWriteSchema>;
