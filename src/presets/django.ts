import { z } from "zod";
import { requireColumns, tablesWith } from "./detect.js";
import { withRoles } from "./roles.js";
import { stringList } from "./sql.js";
import { definePreset } from "./types.js";

const Options = z
  .object({
    /** The user table: `auth_user`, or `<app>_<model>` for a custom AUTH_USER_MODEL. */
    userTable: z.string().min(1).default("auth_user"),
    /** Read group memberships (`<userTable>_groups` → auth_group) as roles. */
    groups: z.boolean().default(true),
  })
  .strict();

const USER_COLUMNS = ["id", "password", "last_login", "is_superuser", "is_staff", "is_active", "date_joined", "email"];

/**
 * Django `django.contrib.auth`: `auth_user` (or a custom user model with the same columns),
 * groups as roles, is_superuser/is_staff as the `admin`/`staff` roles. Every Django hasher the
 * engine knows is identified from the value (`pbkdf2_sha256$`, `argon2$`, `bcrypt_sha256$`, …).
 * Unusable passwords (`!…`, set_unusable_password) are read as "no password".
 */
export const django = definePreset({
  name: "django",
  title: "Django (django.contrib.auth)",
  summary: "auth_user + auth_user_groups/auth_group → roles; is_active, is_staff/is_superuser; every Django hasher",
  options: Options,
  hashFormats: [
    "pbkdf2-sha256-django", "pbkdf2-sha1-django", "django-argon2", "bcrypt-sha256-django", "django-bcrypt", "django-scrypt",
    "django-salted-sha1", "django-salted-md5", "django-unsalted-sha1", "django-unsalted-md5", "md5-raw", "django-crypt",
  ],
  placeholderSource: { type: "postgres", url: "postgres://django:${LEGACY_DB_PASSWORD}@localhost:5432/django" },
  detect(db) {
    const notes: string[] = [];
    let userTable = "auth_user";
    if (!db.tables.has(userTable)) {
      // A custom AUTH_USER_MODEL (AbstractUser) keeps the columns under another table name.
      const candidates = tablesWith(db, ["password", "last_login", "is_superuser", "is_active", "email"]);
      if (candidates.length === 1) {
        userTable = candidates[0]!;
        notes.push(`no auth_user table; using the custom user model table "${userTable}"`);
      }
    }
    const missing = requireColumns(db, userTable, USER_COLUMNS, "point --source at the Django database (DATABASES['default']), or set preset.userTable to your AUTH_USER_MODEL's table");
    const groupsTable = `${userTable}_groups`;
    const groups = db.tables.has(groupsTable) && db.tables.has("auth_group");
    if (!groups) notes.push(`no ${groupsTable}/auth_group tables: users get the default role (groups: false)`);
    if (db.tables.has("account_emailaddress")) notes.push("django-allauth tables found: verified emails and social accounts are not read by this preset (map them with a query if you need them)");
    return { options: { ...(userTable !== "auth_user" ? { userTable } : {}), ...(groups ? {} : { groups: false }) }, missing, notes };
  },
  expand({ userTable, groups }, sql) {
    const { q, jsonAgg } = sql;
    const groupsSql = groups
      ? `,\n  (SELECT ${jsonAgg(`g.${q("name")}`)} FROM ${q(`${userTable}_groups`)} ug JOIN ${q("auth_group")} g ON g.${q("id")} = ug.${q("group_id")} WHERE ug.${q("user_id")} = u.${q("id")}) AS ${q("am_groups")}`
      : "";
    const query = [
      // "!" prefixes Django's unusable passwords: no credential rather than an unknown hash.
      `SELECT u.*, CASE WHEN u.${q("password")} LIKE '!%' OR u.${q("password")} = '' THEN NULL ELSE u.${q("password")} END AS ${q("am_password")}${groupsSql}`,
      `FROM ${q(userTable)} u`,
    ].join("\n");
    return {
      source: { query, orderBy: ["id"] },
      mapping: {
        fields: { externalId: "id", email: "email", username: "username", givenName: "first_name", familyName: "last_name", password: "am_password", active: "is_active", createdAt: "date_joined", lastLoginAt: "last_login" },
        roles: { map: { superuser: "admin", staff: "staff" }, default: "member" },
      },
      transform: (roles) => (row, user) => {
        const legacy: string[] = [];
        if (truthy(row.is_superuser)) legacy.push("superuser");
        if (truthy(row.is_staff)) legacy.push("staff");
        legacy.push(...stringList(row.am_groups));
        return withRoles(user, legacy, roles);
      },
    };
  },
});

function truthy(v: unknown): boolean {
  return v === true || v === 1 || v === "1" || v === "t" || v === "true";
}
