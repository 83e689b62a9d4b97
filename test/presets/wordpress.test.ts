import { afterEach, describe, expect, it } from "vitest";
import { truthyKeys } from "../../src/presets/php-serialize.js";
import { tempDir } from "../helpers.js";
import { openTestDb, type Engine, type TestDb } from "./db.js";
import { NAMES, bcrypt2y, cli, expectSignIns, initAuditRun, md5Hex, vectors, type Known } from "./harness.js";

/** wp-admin/includes/schema.php (MySQL), and the same tables as the SQLite Database Integration plugin creates them. */
function ddl(engine: Engine, p: string): string {
  if (engine === "mysql") {
    return `
CREATE TABLE ${p}users (
  ID bigint(20) unsigned NOT NULL auto_increment,
  user_login varchar(60) NOT NULL default '',
  user_pass varchar(255) NOT NULL default '',
  user_nicename varchar(50) NOT NULL default '',
  user_email varchar(100) NOT NULL default '',
  user_url varchar(100) NOT NULL default '',
  user_registered datetime NOT NULL default '0000-00-00 00:00:00',
  user_activation_key varchar(255) NOT NULL default '',
  user_status int(11) NOT NULL default '0',
  display_name varchar(250) NOT NULL default '',
  PRIMARY KEY  (ID),
  KEY user_login_key (user_login),
  KEY user_nicename (user_nicename),
  KEY user_email (user_email)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_520_ci;
CREATE TABLE ${p}usermeta (
  umeta_id bigint(20) unsigned NOT NULL auto_increment,
  user_id bigint(20) unsigned NOT NULL default '0',
  meta_key varchar(255) default NULL,
  meta_value longtext,
  PRIMARY KEY  (umeta_id),
  KEY user_id (user_id),
  KEY meta_key (meta_key(191))
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_520_ci;
CREATE TABLE ${p}options (option_id bigint(20) unsigned NOT NULL auto_increment, option_name varchar(191) NOT NULL default '', option_value longtext NOT NULL, autoload varchar(20) NOT NULL default 'yes', PRIMARY KEY (option_id), UNIQUE KEY option_name (option_name));`;
  }
  return `
CREATE TABLE "${p}users" ("ID" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "user_login" text NOT NULL DEFAULT '', "user_pass" text NOT NULL DEFAULT '', "user_nicename" text NOT NULL DEFAULT '', "user_email" text NOT NULL DEFAULT '', "user_url" text NOT NULL DEFAULT '', "user_registered" text NOT NULL DEFAULT '0000-00-00 00:00:00', "user_activation_key" text NOT NULL DEFAULT '', "user_status" integer NOT NULL DEFAULT '0', "display_name" text NOT NULL DEFAULT '');
CREATE INDEX "${p}users__user_login_key" ON "${p}users" ("user_login");
CREATE INDEX "${p}users__user_email" ON "${p}users" ("user_email");
CREATE TABLE "${p}usermeta" ("umeta_id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "user_id" integer NOT NULL DEFAULT '0', "meta_key" text DEFAULT NULL, "meta_value" text);
CREATE INDEX "${p}usermeta__user_id" ON "${p}usermeta" ("user_id");`;
}

/** PHP serialize() of a role list, as WP_User::set_role stores it (lengths in bytes). */
const caps = (roles: string[]): string => `a:${roles.length}:{${roles.map((r) => `s:${Buffer.byteLength(r)}:"${r}";b:1;`).join("")}}`;
const ROLES = [["administrator"], ["editor"], ["author"], ["contributor"], ["subscriber"], ["editor", "subscriber"], [], ["shop_manager"]];

async function seed(db: TestDb, p: string): Promise<{ known: Known[]; formats: Set<string>; spam: number; noEmail: number }> {
  await db.exec(ddl(db.engine, p));
  const phpass = vectors("phpass-wordpress");
  const wpBcrypt = vectors("wordpress-bcrypt");
  const known: Known[] = [];
  const formats = new Set<string>();
  let spam = 0;
  let noEmail = 0;
  let meta = 1;
  for (let i = 0; i < 36; i++) {
    const id = i + 1;
    const [first, last] = NAMES[i % NAMES.length]!;
    let hash: string;
    let password: string | undefined;
    switch (i % 5) {
      case 0: { const v = phpass[i % phpass.length]!; hash = v.hash; password = v.password; formats.add("phpass-wordpress"); break; }
      case 1: { const v = wpBcrypt[i % wpBcrypt.length]!; hash = v.hash; password = v.password; formats.add("wordpress-bcrypt"); break; }
      case 2: password = `bcrypt-plugin-${id}`; hash = await bcrypt2y(password); formats.add("bcrypt"); break; // roots/wp-password-bcrypt
      case 3: password = `legacy-md5-${id}`; hash = md5Hex(password); formats.add("md5-raw"); break; // WordPress < 2.5
      default: { const v = phpass[(i + 1) % phpass.length]!; hash = v.hash; password = v.password; formats.add("phpass-wordpress"); }
    }
    if (i === 29) { hash = ""; password = undefined; } // never set a password (invited, never logged in)
    const email = i === 11 ? "" : `${first.toLowerCase().replace(/[^a-z]/g, "") || "wp"}${id}@Example.com `;
    if (!email) noEmail++;
    const isSpam = i % 13 === 6;
    if (isSpam) spam++;
    await db.insert(`${p}users`, {
      ID: id, user_login: `login${id}`, user_pass: hash, user_nicename: `login${id}`, user_email: email, user_url: "", user_registered: "2019-03-0" + ((i % 9) + 1) + " 10:00:00",
      user_activation_key: "", user_status: isSpam ? 1 : 0, display_name: `${first} ${last}`,
    });
    const metas: [string, string][] = [["nickname", `login${id}`], ["first_name", first], ["last_name", last], [`${p}capabilities`, caps(ROLES[i % ROLES.length]!)], [`${p}user_level`, "0"]];
    if (i % 4 === 0) metas.push(["locale", "de_DE"]);
    for (const [k, v] of metas) await db.insert(`${p}usermeta`, { umeta_id: meta++, user_id: id, meta_key: k, meta_value: v });
    known.push({ id: String(id), email: email || null, ...(password !== undefined ? { password } : {}), disabled: isSpam });
  }
  return { known, formats, spam, noEmail };
}

const open: TestDb[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

describe.each<[Engine, string]>([["mysql", "wpx7_"], ["sqlite", "wp_"]])("wordpress preset on %s (prefix %s)", (engine, prefix) => {
  it("detects the table prefix, reads roles from capabilities, and every usable hash signs in", async () => {
    const dir = tempDir("am-wp-");
    const db = await openTestDb(engine, dir);
    open.push(db);
    const { known, formats, spam, noEmail } = await seed(db, prefix);

    const out = await initAuditRun(dir, "wordpress", db.source, "authmigrate.config.yaml");
    expect(out.init).toMatchObject({ preset: "wordpress", users: 36 });
    expect(out.init.options).toEqual(prefix === "wp_" ? { tablePrefix: "wp_" } : { tablePrefix: prefix });
    expect(out.audit.totals).toMatchObject({ records: 36, users: 36, inactive: spam });
    expect(out.audit.emails.missing.count).toBe(noEmail);
    const byFormat = Object.fromEntries(out.audit.passwords.map((x) => [x.format, x.users]));
    for (const f of formats) expect(byFormat[f], f).toBeGreaterThan(0);
    expect(byFormat.none).toBe(1);

    expect(out.users.get("1")!.metadata).toMatchObject({ role: "admin", roles: ["admin"], legacyRoles: ["administrator"] });
    expect(out.users.get("6")!.metadata).toMatchObject({ roles: ["editor", "member"] });
    expect(out.users.get("7")!.metadata).toMatchObject({ role: "member", roles: ["member"] }); // no role on this site
    expect(out.users.get("8")!.metadata).toMatchObject({ roles: ["shop_manager"] }); // plugin role kept by name
    expect(out.users.get("1")!).toMatchObject({ username: "login1", email: "zo1@example.com", profile: { givenName: "Zoë", familyName: "Müller", displayName: "Zoë Müller", locale: "de_DE" } });
    expect(out.users.get("7")!.status).toBe("disabled");

    expect(out.report.filter((r) => r.status === "created")).toHaveLength(36 - noEmail);
    await expectSignIns(dir, known);
  }, 240_000);
});

describe("wordpress preset: errors", () => {
  it("a database without WordPress tables is refused with the missing table and the fix", async () => {
    const dir = tempDir("am-wp-");
    const db = await openTestDb("sqlite", dir);
    open.push(db);
    await db.exec(`CREATE TABLE "wp_posts" ("ID" integer PRIMARY KEY)`);
    const r = cli(["init", "--preset", "wordpress", "--source", db.source, "-o", "c.json"], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("does not look like a WordPress database: table wp_users not found");
    expect(r.stderr).toContain("tablePrefix");
  });

  it("reads serialized capabilities by byte length (multibyte role names)", () => {
    expect(truthyKeys(caps(["rédacteur", "editor"]))).toEqual(["rédacteur", "editor"]);
    expect(truthyKeys('a:2:{s:6:"editor";b:0;s:6:"author";b:1;}')).toEqual(["author"]);
    expect(() => truthyKeys('O:8:"stdClass":0:{}')).toThrow(/not a PHP serialized/);
  });
});
