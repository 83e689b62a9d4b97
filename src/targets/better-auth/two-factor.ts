import { symmetricEncrypt } from "better-auth/crypto";
import type { MigrationUser } from "../../model/user.js";

/**
 * Legacy TOTP secrets → better-auth's twoFactor plugin, so users keep their authenticator app.
 * better-auth (≥ 1.7) reads an imported secret stored as `base32:<secret>`, encrypted like its own
 * with the app's secret (BETTER_AUTH_SECRET). Backup codes cannot be carried over (legacy systems
 * keep them hashed): an empty list is stored, encrypted like the plugin's default
 * `storeBackupCodes: "encrypted"`, and users generate new ones in the app.
 */
export interface TwoFactorRow {
  id: string;
  secret: string;
  backupCodes: string;
  userId: string;
  verified: boolean | number;
}

const BASE32 = /^[A-Z2-7]+$/;

/** The user's TOTP secret as canonical base32 (upper case, no spaces or padding), or undefined. */
export function totpSecret(user: MigrationUser): string | undefined {
  const totp = user.mfa.find((m) => m.type === "totp");
  if (!totp) return undefined;
  const s = totp.secret.replace(/[\s-]/g, "").replace(/=+$/, "").toUpperCase();
  if (!BASE32.test(s)) throw new TwoFactorSecretError();
  return s;
}

export class TwoFactorSecretError extends Error {
  readonly reason = "mfa_secret_invalid: the TOTP secret is not base32 (what authenticator apps use); fix the mapping or drop mfa for this user";
}

export async function twoFactorRow(appSecret: string, id: string, userId: string, secret: string, bool: (b: boolean) => boolean | number): Promise<TwoFactorRow> {
  return {
    id,
    secret: await symmetricEncrypt({ key: appSecret, data: `base32:${secret}` }),
    backupCodes: await symmetricEncrypt({ key: appSecret, data: "[]" }),
    userId,
    verified: bool(true),
  };
}
