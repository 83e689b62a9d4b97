import { z } from "zod";
import { requireColumns } from "./detect.js";
import { isoOf, isSet, withRoles } from "./roles.js";
import { definePreset } from "./types.js";

const Options = z
  .object({
    table: z.string().min(1).default("users"),
    /** Devise `config.pepper` (appended to the password before bcrypt). Use "${DEVISE_PEPPER}": it is a secret. */
    pepper: z.string().optional(),
  })
  .strict();

/**
 * Rails + Devise: `users.encrypted_password` (bcrypt; with `config.pepper` the `devise-bcrypt`
 * format), plus whichever modules the app enabled: confirmable (`confirmed_at` → email
 * verified), lockable (`locked_at` → disabled), trackable (`sign_in_count`, `last_sign_in_at`).
 * Missing module columns are simply not read.
 */
export const devise = definePreset({
  name: "devise",
  aliases: ["rails", "rails-devise"],
  title: "Rails Devise",
  summary: "users.encrypted_password (bcrypt, pepper option → devise-bcrypt); confirmed_at, locked_at, sign_in_count, last_sign_in_at",
  options: Options,
  hashFormats: ["bcrypt", "devise-bcrypt"],
  placeholderSource: { type: "postgres", url: "postgres://rails:${LEGACY_DB_PASSWORD}@localhost:5432/app_production" },
  detect(db) {
    const missing = requireColumns(db, "users", ["id", "email", "encrypted_password"], "point --source at the Rails database (config/database.yml), or set preset.table to your Devise model's table");
    const cols = db.tables.get("users") ?? new Set<string>();
    const notes: string[] = [];
    if (!cols.has("confirmed_at")) notes.push("confirmable not enabled (no confirmed_at): every email is imported as unverified");
    if (!cols.has("locked_at")) notes.push("lockable not enabled (no locked_at): no user is imported as locked");
    if (!cols.has("last_sign_in_at")) notes.push("trackable not enabled (no last_sign_in_at / sign_in_count)");
    notes.push('if config.pepper is set in config/initializers/devise.rb, set preset.pepper to "${DEVISE_PEPPER}" or no password will verify');
    return { options: {}, missing, notes };
  },
  expand({ table, pepper }, { q }) {
    return {
      source: { query: `SELECT u.*, NULLIF(u.${q("encrypted_password")}, '') AS ${q("am_password")}\nFROM ${q(table)} u`, orderBy: ["id"] },
      mapping: {
        fields: { externalId: "id", email: "email", password: "am_password", createdAt: "created_at" },
        roles: { map: {}, default: "member" },
      },
      transform: (roles) => (row, user) => {
        let credential = user.credential;
        // A peppered Devise hash looks exactly like bcrypt; only the config can tell.
        if (pepper && credential?.kind === "hash" && credential.format === "bcrypt") {
          credential = { ...credential, format: "devise-bcrypt", params: { ...credential.params, pepper } };
        }
        const locked = isSet(row.locked_at);
        const lastSignIn = isSet(row.last_sign_in_at) ? new Date(isoOf(row.last_sign_in_at)!) : undefined;
        const metadata: Record<string, unknown> = { ...user.metadata };
        if (row.sign_in_count !== undefined && row.sign_in_count !== null) metadata.signInCount = Number(row.sign_in_count);
        if (locked) metadata.lockedAt = isoOf(row.locked_at);
        const legacy = typeof row.role === "string" && row.role ? [row.role] : row.admin === true || row.admin === 1 ? ["admin"] : [];
        return withRoles(
          {
            ...user,
            ...(credential ? { credential } : {}),
            emailVerified: isSet(row.confirmed_at),
            metadata,
            ...(locked ? { status: "disabled" as const } : {}),
            ...(lastSignIn && !Number.isNaN(lastSignIn.getTime()) ? { lastLoginAt: lastSignIn } : {}),
          },
          legacy,
          roles,
        );
      },
    };
  },
});
