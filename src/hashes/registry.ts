import type { AnyHashFormat } from "./format.js";
import * as argon2 from "./formats/argon2.js";
import * as bcrypt from "./formats/bcrypt.js";
import * as crypt from "./formats/crypt.js";
import * as dg from "./formats/digest.js";
import { keycloakPbkdf2 } from "./formats/keycloak.js";
import * as ldap from "./formats/ldap.js";
import * as pbkdf2 from "./formats/pbkdf2.js";
import * as scrypt from "./formats/scrypt.js";

/** Every format the engine knows, in one list. Order only breaks ties between equal confidences. */
export const FORMATS: readonly AnyHashFormat[] = [
  // bcrypt family
  bcrypt.bcrypt,
  bcrypt.djangoBcrypt,
  bcrypt.djangoBcryptSha256,
  bcrypt.passlibBcryptSha256,
  bcrypt.wordpressBcrypt,
  bcrypt.deviseBcrypt,
  // argon2
  argon2.argon2id,
  argon2.argon2i,
  argon2.argon2d,
  argon2.djangoArgon2,
  // scrypt
  scrypt.scryptPhc,
  scrypt.scryptKratos,
  scrypt.djangoScrypt,
  scrypt.werkzeugScrypt,
  scrypt.betterAuthScrypt,
  scrypt.firebaseScrypt,
  scrypt.firebaseScryptKratos,
  scrypt.firebaseScryptSupabase,
  // pbkdf2
  pbkdf2.djangoPbkdf2Sha256,
  pbkdf2.djangoPbkdf2Sha1,
  pbkdf2.passlibPbkdf2Sha256,
  pbkdf2.passlibPbkdf2Sha512,
  pbkdf2.passlibPbkdf2Sha1,
  pbkdf2.phcPbkdf2,
  keycloakPbkdf2,
  pbkdf2.aspnetV3,
  pbkdf2.aspnetV2,
  pbkdf2.atlassianPbkdf2,
  pbkdf2.werkzeugPbkdf2,
  pbkdf2.ldapPbkdf2Sha256,
  pbkdf2.ldapPbkdf2Sha512,
  pbkdf2.ldapPbkdf2Sha1,
  pbkdf2.postgresScram,
  // LDAP
  ldap.ldapSsha,
  ldap.ldapSsha256,
  ldap.ldapSsha384,
  ldap.ldapSsha512,
  ldap.ldapSha,
  ldap.ldapSha256,
  ldap.ldapSha384,
  ldap.ldapSha512,
  ldap.ldapMd5,
  ldap.ldapSmd5,
  crypt.ldapCrypt,
  // crypt(3) and PHP
  crypt.phpassWordpress,
  crypt.phpassPhpbb,
  crypt.drupal7,
  crypt.drupal7Upgraded,
  crypt.md5CryptFormat,
  crypt.apr1Format,
  crypt.sha256CryptFormat,
  crypt.sha512CryptFormat,
  crypt.desCryptFormat,
  crypt.djangoCrypt,
  crypt.yescryptFormat,
  // digests
  dg.md5Raw,
  dg.sha1Raw,
  dg.sha224Raw,
  dg.sha256Raw,
  dg.sha384Raw,
  dg.sha512Raw,
  ...dg.saltedFormats,
  dg.joomlaMd5,
  ...dg.hmacFormats,
  dg.kratosSha,
  dg.kratosMd5,
  dg.kratosHmac,
  dg.djangoSaltedSha1,
  dg.djangoSaltedMd5,
  dg.djangoUnsaltedSha1,
  dg.djangoUnsaltedMd5,
  dg.mysql41,
  dg.mysql323,
  dg.postgresMd5,
  dg.nthash,
];

const BY_ID = new Map<string, AnyHashFormat>(FORMATS.map((f) => [f.id, f]));

/** Aliases accepted for --format / hashes.assume (older or friendlier names). */
export const ALIASES: Readonly<Record<string, string>> = {
  "keycloak-pbkdf2": "pbkdf2-keycloak-json",
  "keycloak-pbkdf2-sha256": "pbkdf2-keycloak-json",
  "keycloak-pbkdf2-sha512": "pbkdf2-keycloak-json",
  "keycloak-pbkdf2-sha1": "pbkdf2-keycloak-json",
  "laravel-bcrypt": "bcrypt",
  "scrypt-passlib": "scrypt-phc",
  "firebase": "firebase-scrypt",
  "phpass": "phpass-wordpress",
  "md5": "md5-raw",
  "sha1": "sha1-raw",
  "sha256": "sha256-raw",
  "sha512": "sha512-raw",
  "ldap-sha1": "ldap-sha",
  "pbkdf2-django": "pbkdf2-sha256-django",
  "django-pbkdf2-sha256": "pbkdf2-sha256-django",
  "django-pbkdf2-sha1": "pbkdf2-sha1-django",
  "aspnet-identity": "aspnet-identity-v3",
};

export function getFormat(id: string): AnyHashFormat | undefined {
  return BY_ID.get(id) ?? BY_ID.get(ALIASES[id] ?? "");
}
