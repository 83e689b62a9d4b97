import { z } from "zod";

/** Clerk dashboard → Settings → "Export users" (CSV with password digests). */
export const ClerkSourceConfigSchema = z
  .object({
    type: z.literal("clerk"),
    path: z.string().min(1),
    /** Yield the export's raw records and map them yourself with `mapping.fields` (set automatically when the config has them). */
    raw: z.boolean().default(false),
  })
  .strict();

export type ClerkSourceConfig = z.infer<typeof ClerkSourceConfigSchema>;
