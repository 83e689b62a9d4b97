import type { AnyHashFormat } from "./format.js";
import * as bcryptFamily from "./formats/bcrypt.js";
import { keycloakPbkdf2 } from "./formats/keycloak.js";

/** Every format the engine knows, in one list. Order only breaks ties between equal confidences. */
export const FORMATS: readonly AnyHashFormat[] = [
  bcryptFamily.bcrypt,
  bcryptFamily.djangoBcrypt,
  bcryptFamily.djangoBcryptSha256,
  bcryptFamily.passlibBcryptSha256,
  bcryptFamily.wordpressBcrypt,
  bcryptFamily.deviseBcrypt,
  keycloakPbkdf2,
];

const BY_ID = new Map<string, AnyHashFormat>(FORMATS.map((f) => [f.id, f]));

/** Aliases accepted for --format / hashes.assume (older or friendlier names). */
const ALIASES: Record<string, string> = {
  "keycloak-pbkdf2": "pbkdf2-keycloak-json",
  "keycloak-pbkdf2-sha256": "pbkdf2-keycloak-json",
  "keycloak-pbkdf2-sha512": "pbkdf2-keycloak-json",
  "keycloak-pbkdf2-sha1": "pbkdf2-keycloak-json",
  "laravel-bcrypt": "bcrypt",
};

export function getFormat(id: string): AnyHashFormat | undefined {
  return BY_ID.get(id) ?? BY_ID.get(ALIASES[id] ?? "");
}
