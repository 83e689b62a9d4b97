/**
 * The test directory: 40 inetOrgPerson users with real password hashes in several {SCHEME}s
 * (slappasswd for what OpenLDAP makes itself; PBKDF2 in passlib's format, which OpenLDAP's
 * contrib module writes, generated here with node:crypto), groups of three kinds, and the edge
 * cases a real directory has.
 */
import { pbkdf2Sync, randomBytes } from "node:crypto";
import { slappasswd, SUFFIX } from "./slapd.js";

export interface TestUser {
  uid: string;
  dn: string;
  cn: string;
  email?: string;
  password?: string;
  /** What is stored in userPassword, in order. */
  stored: string[];
  /** Hash-engine format id expected for the credential, or undefined for none. */
  format?: string;
  disabled: boolean;
  groups: string[];
}

/** passlib's ab64: standard base64 without padding, `+` → `.`. */
const ab64 = (b: Buffer) => b.toString("base64").replace(/=+$/, "").replace(/\+/g, ".");

function pbkdf2(password: string, digest: "sha256" | "sha512"): string {
  const salt = randomBytes(16);
  const dk = pbkdf2Sync(password, salt, 10_000, digest === "sha256" ? 32 : 64, digest);
  return `{PBKDF2-${digest.toUpperCase()}}10000$${ab64(salt)}$${ab64(dk)}`;
}

const SCHEMES: { format: string; make: (pw: string) => string }[] = [
  { format: "ldap-ssha", make: (pw) => slappasswd("{SSHA}", pw) },
  { format: "ldap-ssha512", make: (pw) => slappasswd("{SSHA512}", pw) },
  { format: "ldap-crypt", make: (pw) => slappasswd("{CRYPT}", pw, "$2b$08$%.22s") }, // bcrypt through crypt(3)
  { format: "ldap-ssha256", make: (pw) => slappasswd("{SSHA256}", pw) },
  { format: "ldap-crypt", make: (pw) => slappasswd("{CRYPT}", pw, "$6$%.16s") }, // sha512-crypt
  { format: "ldap-pbkdf2-sha256", make: (pw) => pbkdf2(pw, "sha256") },
  { format: "ldap-sha", make: (pw) => slappasswd("{SHA}", pw) },
  { format: "ldap-smd5", make: (pw) => slappasswd("{SMD5}", pw) },
  { format: "ldap-pbkdf2-sha512", make: (pw) => pbkdf2(pw, "sha512") },
  { format: "argon2i", make: (pw) => slappasswd("{ARGON2}", pw) }, // OpenLDAP's argon2 module
];

const UNICODE_NAMES: Record<number, [string, string, string]> = {
  16: ["Zoë Ångström", "Zoë", "Ångström"],
  17: ["李小龙", "小龙", "李"],
  18: ["Дмитрий Шостакович", "Дмитрий", "Шостакович"],
  19: ["José Núñez-O'Brien", "José", "Núñez-O'Brien"],
};

/** LDIF line: base64 (`::`) for anything that is not a plain ASCII SAFE-STRING. */
function line(attr: string, value: string | Buffer): string {
  if (Buffer.isBuffer(value) || !/^[\x01-\x09\x0b\x0c\x0e-\x1f\x21-\x39\x3b\x3d-\x7f][\x01-\x09\x0b\x0c\x0e-\x7f]*$/.test(value) || value.endsWith(" ")) {
    return `${attr}:: ${Buffer.from(value).toString("base64")}`;
  }
  return `${attr}: ${value}`;
}

export const PHOTO = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x80, 0xfe, 0x00, 0xd9]);

export function buildDirectory(count = 40): { ldif: string; users: TestUser[] } {
  const users: TestUser[] = [];
  const entries: string[] = [
    `dn: ou=people,${SUFFIX}\nobjectClass: organizationalUnit\nou: people`,
    `dn: ou=disabled,${SUFFIX}\nobjectClass: organizationalUnit\nou: disabled`,
    `dn: ou=groups,${SUFFIX}\nobjectClass: organizationalUnit\nou: groups`,
  ];
  for (let i = 1; i <= count; i++) {
    const uid = `user${String(i).padStart(2, "0")}`;
    const ou = i === 5 || i === 6 ? "disabled" : "people";
    const dn = `uid=${uid},ou=${ou},${SUFFIX}`;
    const [cn, given, sn] = UNICODE_NAMES[i] ?? [`User ${i}`, "User", String(i)];
    const password = `pässwörd-${uid}-${i % 3 === 0 ? "✓" : "x"}`;
    const scheme = SCHEMES[i % SCHEMES.length]!;
    const u: TestUser = { uid, dn, cn, password, stored: [], disabled: ou === "disabled" || i === 7, groups: [] };
    if (i !== 9 && i !== 10) u.email = `${uid}@example.org`;
    if (i === 11) {
      delete u.password; // no userPassword at all
    } else if (i === 12) {
      u.stored = ["plain-text-password"]; // cleartext: not a hash
      delete u.password;
    } else if (i === 15) {
      const good = SCHEMES[0]!.make(password);
      u.stored = ["{UNKNOWNSCHEME}abcdef", good];
      u.format = "ldap-ssha";
    } else {
      u.stored = [scheme.make(password)];
      u.format = scheme.format;
    }
    const lines = [`dn: ${dn}`, "objectClass: inetOrgPerson", line("uid", uid), line("cn", cn), line("sn", sn), line("givenName", given)];
    if (u.email) lines.push(line("mail", u.email));
    if (i === 13) lines.push(line("mail", `${uid}.alias@example.org`));
    for (const s of u.stored) lines.push(line("userPassword", s));
    if (i % 4 === 0) lines.push(line("telephoneNumber", `+1 415 555 01${String(i).padStart(2, "0")}`));
    if (i === 14) lines.push(line("jpegPhoto", PHOTO));
    if (i === 7) lines.push("pwdAccountLockedTime: 000001010000Z");
    // lastbind overlay's last successful bind, for some users
    if (i % 5 === 0) lines.push(`authTimestamp: 2024${String((i % 12) + 1).padStart(2, "0")}15083000Z`);
    entries.push(lines.join("\n"));
    users.push(u);
  }
  const byUid = (n: number) => users[n - 1]!;
  const engineering = [1, 2, 3, 4, 5, 8, 13, 14, 15, 16, 17].map(byUid);
  const sales = [1, 18, 19, 20, 21, 22, 23, 24, 25].map(byUid);
  const ops = [30, 31, 32, 33, 34, 35].map(byUid);
  for (const u of engineering) u.groups.push("engineering");
  for (const u of sales) u.groups.push("sales");
  for (const u of ops) u.groups.push("ops");
  entries.push([`dn: cn=engineering,ou=groups,${SUFFIX}`, "objectClass: groupOfNames", "cn: engineering", "description: Engineering", ...engineering.map((u) => `member: ${u.dn}`)].join("\n"));
  // Member DNs as another tool might write them: different case and spaces after commas.
  entries.push([`dn: cn=sales,ou=groups,${SUFFIX}`, "objectClass: groupOfNames", "cn: sales", ...sales.map((u) => `member: ${u.dn.replace(/,/g, ", ").replace("uid=", "UID=")}`)].join("\n"));
  entries.push([`dn: cn=ops,ou=groups,${SUFFIX}`, "objectClass: posixGroup", "cn: ops", "gidNumber: 5000", ...ops.map((u) => `memberUid: ${u.uid}`)].join("\n"));
  return { ldif: entries.join("\n\n") + "\n", users };
}

/** Users expected to sign in after migration: active, with an email and a hash the engine knows. */
export const usable = (u: TestUser) => !u.disabled && u.email !== undefined && u.format !== undefined && u.password !== undefined;
