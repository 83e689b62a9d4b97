import { z } from "zod";
import type { Identity } from "../model/user.js";
import { hasColumns, requireColumns, tablesWith } from "./detect.js";
import { withRoles } from "./roles.js";
import { jsonList, stringList } from "./sql.js";
import { definePreset } from "./types.js";

const Options = z
  .object({
    /** The user table: `auth_user`, or `<app>_<model>` for a custom AUTH_USER_MODEL. */
    userTable: z.string().min(1).default("auth_user"),
    /** Read group memberships (`<userTable>_groups` → auth_group) as roles. */
    groups: z.boolean().default(true),
    /** django-allauth: verified addresses (account_emailaddress) and social accounts (socialaccount_socialaccount → identities). */
    allauth: z.boolean().default(false),
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
    const allauth = hasColumns(db, "account_emailaddress", ["email", "verified", "user_id"]) && hasColumns(db, "socialaccount_socialaccount", ["provider", "uid", "user_id"]);
    if (db.tables.has("account_emailaddress") && !allauth) notes.push("account_emailaddress without socialaccount_socialaccount: django-allauth data is not read");
    return { options: { ...(userTable !== "auth_user" ? { userTable } : {}), ...(groups ? {} : { groups: false }), ...(allauth ? { allauth } : {}) }, missing, notes };
  },
  expand({ userTable, groups, allauth }, sql) {
    const { q, jsonAgg, jsonArray } = sql;
    const groupsSql = groups
      ? `,\n  (SELECT ${jsonAgg(`g.${q("name")}`)} FROM ${q(`${userTable}_groups`)} ug JOIN ${q("auth_group")} g ON g.${q("id")} = ug.${q("group_id")} WHERE ug.${q("user_id")} = u.${q("id")}) AS ${q("am_groups")}`
      : "";
    // allauth: the user's own address counts as verified only if allauth verified that address.
    const allauthSql = allauth
      ? `,\n  (SELECT MAX(CASE WHEN e.${q("verified")} THEN 1 ELSE 0 END) FROM ${q("account_emailaddress")} e WHERE e.${q("user_id")} = u.${q("id")} AND LOWER(e.${q("email")}) = LOWER(u.${q("email")})) AS ${q("am_email_verified")}` +
        `,\n  (SELECT ${jsonAgg(jsonArray(`s.${q("provider")}`, `s.${q("uid")}`))} FROM ${q("socialaccount_socialaccount")} s WHERE s.${q("user_id")} = u.${q("id")}) AS ${q("am_social")}`
      : "";
    const query = [
      // "!" prefixes Django's unusable passwords: no credential rather than an unknown hash.
      `SELECT u.*, CASE WHEN u.${q("password")} LIKE '!%' OR u.${q("password")} = '' THEN NULL ELSE u.${q("password")} END AS ${q("am_password")}${groupsSql}${allauthSql}`,
      `FROM ${q(userTable)} u`,
    ].join("\n");
    return {
      source: { query, orderBy: ["id"] },
      mapping: {
        fields: { externalId: "id", email: "email", username: "username", givenName: "first_name", familyName: "last_name", password: "am_password", active: "is_active", createdAt: "date_joined", lastLoginAt: "last_login" },
        roles: { map: { superuser: "admin", staff: "staff" }, default: "member" },
      },
      // A bare 32-hex value is UnsaltedMD5PasswordHasher's legacy form: md5, not NTLM or a salted digest.
      hashes: { assume: "md5-raw" },
      transform: (roles) => (row, user) => {
        const legacy: string[] = [];
        if (truthy(row.is_superuser)) legacy.push("superuser");
        if (truthy(row.is_staff)) legacy.push("staff");
        legacy.push(...stringList(row.am_groups));
        if (!allauth) return withRoles(user, legacy, roles);
        const identities: Identity[] = [];
        for (const pair of jsonList(row.am_social)) {
          if (Array.isArray(pair) && pair[0] && pair[1]) identities.push({ provider: String(pair[0]).toLowerCase(), providerUserId: String(pair[1]) });
        }
        return withRoles({ ...user, emailVerified: Number(row.am_email_verified ?? 0) === 1, identities: [...(user.identities ?? []), ...identities] }, legacy, roles);
      },
    };
  },
});

function truthy(v: unknown): boolean {
  return v === true || v === 1 || v === "1" || v === "t" || v === "true";
}
