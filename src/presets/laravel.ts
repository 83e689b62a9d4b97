import { z } from "zod";
import { hasColumns, requireColumns, tablesWith } from "./detect.js";
import { isSet, withRoles } from "./roles.js";
import { stringList } from "./sql.js";
import { definePreset } from "./types.js";

const Options = z
  .object({
    table: z.string().min(1).default("users"),
    /** spatie/laravel-permission: read `model_has_roles` → `roles` as roles. */
    permissions: z.boolean().default(false),
    /** The Eloquent class in `model_has_roles.model_type` for users. */
    userModel: z.string().min(1).default("App\\Models\\User"),
  })
  .strict();

/**
 * Laravel's default `users` table (the framework's own migration): bcrypt `$2y$` or argon2
 * (`Hash::driver('argon')`), `email_verified_at` → email verified. `remember_token` is a
 * session token, not a credential: it is ignored on purpose.
 */
export const laravel = definePreset({
  name: "laravel",
  title: "Laravel",
  summary: "users (name, email, email_verified_at, password); bcrypt $2y$ / argon2; remember_token ignored",
  options: Options,
  hashFormats: ["bcrypt", "argon2id", "argon2i"],
  placeholderSource: { type: "mysql", url: "mysql://laravel:${LEGACY_DB_PASSWORD}@localhost:3306/laravel" },
  detect(db) {
    const notes: string[] = [];
    let table = "users";
    if (!db.tables.has(table)) {
      const c = tablesWith(db, ["id", "email", "password", "remember_token"]);
      if (c.length === 1) {
        table = c[0]!;
        notes.push(`no users table; using "${table}"`);
      }
    }
    const missing = requireColumns(db, table, ["id", "name", "email", "password"], "point --source at the Laravel database (DB_DATABASE in .env), or set preset.table");
    if (!db.tables.get(table)?.has("email_verified_at")) notes.push("no email_verified_at column: every email is imported as unverified");
    const permissions = hasColumns(db, "model_has_roles", ["role_id", "model_type", "model_id"]) && hasColumns(db, "roles", ["id", "name"]);
    if (permissions) notes.push('spatie/laravel-permission found: roles are read for model_type "App\\Models\\User" (set preset.userModel if your User class differs)');
    return { options: { ...(table !== "users" ? { table } : {}), ...(permissions ? { permissions } : {}) }, missing, notes };
  },
  expand({ table, permissions, userModel }, { q, jsonAgg, str }) {
    const rolesSql = permissions
      ? `,\n  (SELECT ${jsonAgg(`r.${q("name")}`)} FROM ${q("model_has_roles")} mr JOIN ${q("roles")} r ON r.${q("id")} = mr.${q("role_id")} WHERE mr.${q("model_id")} = u.${q("id")} AND mr.${q("model_type")} = ${str(userModel)}) AS ${q("am_roles")}`
      : "";
    return {
      source: { query: `SELECT u.*, NULLIF(u.${q("password")}, '') AS ${q("am_password")}${rolesSql}\nFROM ${q(table)} u`, orderBy: ["id"] },
      mapping: {
        fields: { externalId: "id", email: "email", displayName: "name", password: "am_password", createdAt: "created_at" },
        roles: { map: {}, default: "member" },
      },
      transform: (roles) => (row, user) => {
        const legacy = permissions ? stringList(row.am_roles) : typeof row.role === "string" && row.role ? [row.role] : [];
        return withRoles({ ...user, emailVerified: isSet(row.email_verified_at) }, legacy, roles);
      },
    };
  },
});
