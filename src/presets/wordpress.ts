import { z } from "zod";
import { hasColumns, requireColumns } from "./detect.js";
import { truthyKeys } from "./php-serialize.js";
import { withRoles } from "./roles.js";
import { definePreset, type Missing } from "./types.js";

const Options = z
  .object({
    /** `$table_prefix` from wp-config.php: tables are `<prefix>users` / `<prefix>usermeta`, roles in meta key `<prefix>capabilities`. */
    tablePrefix: z.string().regex(/^[A-Za-z0-9_]*$/, "letters, digits and _ only").default("wp_"),
  })
  .strict();

const USER_COLUMNS = ["ID", "user_login", "user_pass", "user_email", "user_registered", "user_status", "display_name"];
const META_COLUMNS = ["user_id", "meta_key", "meta_value"];

/**
 * WordPress: `wp_users` + `wp_usermeta`. Roles are the keys of the serialized PHP array in the
 * `<prefix>capabilities` meta row; first/last name and locale are meta rows too.
 * Hashes: phpass `$P$` (WordPress < 6.8), `$wp$2y$` (6.8+), plain bcrypt from plugins, legacy
 * unsalted md5 (WordPress < 2.5, still accepted at login).
 */
export const wordpress = definePreset({
  name: "wordpress",
  aliases: ["wp"],
  title: "WordPress",
  summary: "wp_users + wp_usermeta (roles from <prefix>capabilities); phpass $P$, $wp$2y$ bcrypt, legacy md5",
  options: Options,
  hashFormats: ["phpass-wordpress", "wordpress-bcrypt", "bcrypt", "md5-raw"],
  placeholderSource: { type: "mysql", url: "mysql://wordpress:${LEGACY_DB_PASSWORD}@localhost:3306/wordpress" },
  detect(db) {
    // Every `<prefix>users` that has a `<prefix>usermeta` next to it is a candidate install.
    const prefixes = [...db.tables.keys()]
      .filter((t) => t.endsWith("users") && hasColumns(db, t, ["ID", "user_login", "user_pass"]))
      .map((t) => t.slice(0, -"users".length))
      .filter((p) => db.tables.has(`${p}usermeta`))
      .sort((a, b) => a.length - b.length || a.localeCompare(b));
    const notes: string[] = [];
    if (prefixes.length === 0) {
      const missing: Missing[] = requireColumns(db, "wp_users", USER_COLUMNS, "point --source at the WordPress database (DB_NAME in wp-config.php), or pass the table prefix as preset option tablePrefix");
      return { options: {}, missing: missing.length ? missing : requireColumns(db, "wp_usermeta", META_COLUMNS, "restore wp_usermeta: roles and names live there"), notes };
    }
    const tablePrefix = prefixes[0]!;
    if (prefixes.length > 1) notes.push(`several WordPress installs share this database (prefixes ${prefixes.join(", ")}); using "${tablePrefix}" — set preset.tablePrefix for another`);
    // Multisite: per-site roles live in <prefix><blogId>_capabilities; only the main site's are read.
    if (db.tables.has(`${tablePrefix}blogs`)) notes.push(`multisite install: roles are read from the main site (${tablePrefix}capabilities) only; other sites' roles stay in WordPress`);
    const missing = [
      ...requireColumns(db, `${tablePrefix}users`, USER_COLUMNS, "this does not look like a WordPress users table; check the table prefix"),
      ...requireColumns(db, `${tablePrefix}usermeta`, META_COLUMNS, "this does not look like a WordPress usermeta table; check the table prefix"),
    ];
    return { options: { tablePrefix }, missing, notes };
  },
  expand({ tablePrefix }, sql) {
    const { q, str } = sql;
    const meta = (key: string, alias: string): string =>
      `(SELECT MAX(m.${q("meta_value")}) FROM ${q(`${tablePrefix}usermeta`)} m WHERE m.${q("user_id")} = u.${q("ID")} AND m.${q("meta_key")} = ${str(key)}) AS ${q(alias)}`;
    const query = [
      `SELECT u.*, NULLIF(u.${q("user_pass")}, '') AS ${q("am_password")},`,
      `  ${meta("first_name", "first_name")},`,
      `  ${meta("last_name", "last_name")},`,
      `  ${meta("locale", "locale")},`,
      `  ${meta(`${tablePrefix}capabilities`, "am_capabilities")}`,
      `FROM ${q(`${tablePrefix}users`)} u`,
    ].join("\n");
    return {
      source: { query, orderBy: ["ID"] },
      mapping: {
        fields: { externalId: "ID", email: "user_email", username: "user_login", displayName: "display_name", givenName: "first_name", familyName: "last_name", locale: "locale", password: "am_password", createdAt: "user_registered" },
        roles: { map: { administrator: "admin", editor: "editor", author: "author", contributor: "contributor", subscriber: "member" }, default: "member" },
      },
      // 32 hex characters in user_pass are WordPress < 2.5's unsalted md5 (wp_check_password still accepts them).
      hashes: { assume: "md5-raw" },
      transform: (roles) => (row, user) => {
        let legacy: string[] = [];
        const caps = row.am_capabilities;
        let metadata = { ...user.metadata };
        if (typeof caps === "string" && caps.trim() !== "") {
          try {
            legacy = truthyKeys(caps);
          } catch {
            metadata = { ...metadata, capabilitiesUnreadable: true };
          }
        }
        // user_status is WordPress's spam flag (multisite); any non-zero value means "not allowed in".
        const spam = Number(row.user_status ?? 0) !== 0;
        return withRoles({ ...user, metadata, ...(spam ? { status: "disabled" } : {}) }, legacy, roles);
      },
    };
  },
});
