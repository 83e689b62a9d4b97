import { z } from "zod";

/** `kc.sh export --dir <dir> --realm <realm> [--users different_files]`: the directory, or one realm / users file. */
export const KeycloakSourceConfigSchema = z
  .object({
    type: z.literal("keycloak"),
    /** A `<realm>-realm.json` / `<realm>-users-<n>.json` file, or the export directory (all of them, in order). */
    path: z.string().min(1),
    /** In a directory holding several realms' exports, read only this realm's files. */
    realm: z.string().min(1).optional(),
    /**
     * Group paths: `memberships` → `/acme/admins` is a membership of org `acme` with role `admins`
     * (create the orgs with an `orgs` block, e.g. from the realm file's `groups`); `metadata` → kept
     * as `metadata.groups` only.
     */
    groups: z.enum(["memberships", "metadata"]).default("memberships"),
    /** Yield the export's raw records and map them yourself with `mapping.fields` (set automatically when the config has them). */
    raw: z.boolean().default(false),
  })
  .strict();

export type KeycloakSourceConfig = z.infer<typeof KeycloakSourceConfigSchema>;
