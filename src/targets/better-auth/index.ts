import { z } from "zod";
import { hashFormats, isVerifiable } from "../../hashes/index.js";
import type { Target } from "../types.js";
import { BetterAuthInstance } from "./instance.js";

export const BetterAuthTargetOptionsSchema = z.object({
  /** SQLite file (relative to the config file) or a `postgres://` / `postgresql://` URL: the app's better-auth database. */
  database: z.string().min(1),
  /** Create the organization plugin's tables and write orgs + memberships. */
  organizations: z.boolean().default(true),
  /** Create the admin plugin's columns (`role`, `banned`, …) so disabled users can be imported as banned. */
  admin: z.boolean().default(false),
  /** Id shape of new rows: better-auth's default 32-char random ids, or UUIDs for apps using `advanced.database.generateId: "uuid"`. */
  idFormat: z.enum(["random", "uuid"]).default("random"),
  /**
   * Import legacy TOTP secrets (`mfa`) into the twoFactor plugin, so users keep their authenticator
   * app: creates the plugin's table/column and encrypts each secret with the app's secret — use
   * `"${BETTER_AUTH_SECRET}"`, never a literal. Without it, TOTP secrets are not imported.
   */
  twoFactor: z.object({ secret: z.string().min(16, "the app's BETTER_AUTH_SECRET (at least 16 characters)") }).strict().optional(),
});

export type BetterAuthTargetOptionsInput = z.input<typeof BetterAuthTargetOptionsSchema>;

/**
 * better-auth: writes straight into the app's own database (user, account, organization, member).
 * Legacy hashes go into `account.password` as-is or packed; the `authmigrate/better-auth` plugin
 * verifies them at sign-in and re-hashes to better-auth's scrypt.
 */
export const betterAuthTarget: Target<typeof BetterAuthTargetOptionsSchema> = {
  id: "better-auth",
  description: "better-auth (self-hosted): writes users, accounts, organizations and members into its SQLite/PostgreSQL database",
  capabilities: {
    maxBatchSize: 500,
    update: true,
    orgs: true,
    rollback: true,
    // Every format the hash engine verifies: the legacyPasswords() plugin checks them at sign-in.
    hashFormats: hashFormats.filter(isVerifiable),
    // One email per user (user.email), OAuth identities as account rows, no phone field in core.
    mirror: { identifiers: { email: "one", phone: "none", oauth: "many" }, profile: true, password: true },
  },
  options: BetterAuthTargetOptionsSchema,
  create: (options, ctx) => new BetterAuthInstance(options, ctx),
};

export { BetterAuthInstance, DISABLED_BAN_REASON } from "./instance.js";
