import { z } from "zod";

/** `aws cognito-idp list-users --user-pool-id … > page-1.json` (one file, or a directory of pages). */
export const CognitoSourceConfigSchema = z
  .object({
    type: z.literal("cognito"),
    /** One list-users output file, or a directory of them (`*.json`, read in natural order). */
    path: z.string().min(1),
    /**
     * externalId: `sub` (stable, what apps usually store; default) or `Username` (the pool's
     * user name, e.g. for pools where users sign in with a chosen name you key on).
     */
    externalId: z.enum(["sub", "username"]).default("sub"),
    /** Yield the export's raw records and map them yourself with `mapping.fields` (set automatically when the config has them). */
    raw: z.boolean().default(false),
  })
  .strict();

export type CognitoSourceConfig = z.infer<typeof CognitoSourceConfigSchema>;
