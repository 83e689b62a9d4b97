import { z } from "zod";

/** Supabase's `auth.users` + `auth.identities` (+ `auth.mfa_factors`), read straight from its PostgreSQL database. */
export const SupabaseSourceConfigSchema = z
  .object({
    type: z.literal("supabase"),
    /** The project's direct connection string (Project Settings → Database), e.g. postgres://postgres:${SUPABASE_DB_PASSWORD}@db.<ref>.supabase.co:5432/postgres */
    url: z.string().min(1),
    /** Schema holding the auth tables (`auth` on Supabase; another name for a restored copy). */
    schema: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "a plain schema name").default("auth"),
    /** Users fetched per page (keyset pagination on users.id). */
    pageSize: z.number().int().positive().default(1000),
    /** Yield the raw rows and map them yourself with `mapping.fields` (set automatically when the config has them). */
    raw: z.boolean().default(false),
  })
  .strict();

export type SupabaseSourceConfig = z.infer<typeof SupabaseSourceConfigSchema>;
