import { z } from "zod";

/** Auth0 bulk user export (NDJSON or CSV) + the optional password-hash export from Auth0 support (NDJSON). */
export const Auth0ExportSourceConfigSchema = z
  .object({
    type: z.literal("auth0-export"),
    /** The gunzipped bulk export: `<tenant>.json` (NDJSON) or `<tenant>.csv`. */
    path: z.string().min(1),
    /** Default: from the file extension (`.csv` → csv, anything else → NDJSON). */
    format: z.enum(["json", "csv"]).optional(),
    /** The decrypted password-hash (and MFA secret) export from Auth0 support, NDJSON. */
    passwordHashes: z.string().min(1).optional(),
    /** Yield the export's raw records and map them yourself with `mapping.fields` (set automatically when the config has them). */
    raw: z.boolean().default(false),
  })
  .strict();

export type Auth0ExportSourceConfig = z.infer<typeof Auth0ExportSourceConfigSchema>;
