import { z } from "zod";

/**
 * The project's password hash parameters: Firebase console → Authentication → Users → ⋮ →
 * "Password hash parameters" (`base64_signer_key`, `base64_salt_separator`, `rounds`, `mem_cost`).
 * The signer key is a secret: put it in an environment variable (`${FIREBASE_SIGNER_KEY}`).
 */
export const FirebaseHashConfigSchema = z
  .object({
    signerKey: z.string().regex(/^[A-Za-z0-9+/_-]+=*$/, "base64_signer_key from the console (base64)"),
    saltSeparator: z.string().regex(/^[A-Za-z0-9+/_-]*=*$/, "base64_salt_separator from the console (base64)").default("Bw=="),
    rounds: z.number().int().min(1).max(8),
    memCost: z.number().int().min(1).max(14),
  })
  .strict();

/** `firebase auth:export users.json --format=json` (or `users.csv --format=csv`). */
export const FirebaseSourceConfigSchema = z
  .object({
    type: z.literal("firebase"),
    path: z.string().min(1),
    /** Default: from the file extension (`.csv` → csv, anything else → json). */
    format: z.enum(["json", "csv"]).optional(),
    /** Without it, password users are migrated without a credential (reset / lazy migration) and warned about. */
    hashConfig: FirebaseHashConfigSchema.optional(),
    /** Yield the export's raw records and map them yourself with `mapping.fields` (set automatically when the config has them). */
    raw: z.boolean().default(false),
  })
  .strict();

export type FirebaseSourceConfig = z.infer<typeof FirebaseSourceConfigSchema>;
export type FirebaseHashConfig = z.infer<typeof FirebaseHashConfigSchema>;
