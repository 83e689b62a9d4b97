/**
 * `authmigrate/better-auth`: what an app adds to its better-auth config so users imported by
 * authmigrate sign in with their old password, and get better-auth's native hash on the way:
 *
 *   import { legacyPasswords } from "authmigrate/better-auth";
 *   betterAuth({ emailAndPassword: { enabled: true }, plugins: [legacyPasswords()] });
 *
 * Only this file (and the hash engine) is loaded by apps: it must not import the target's DB code.
 */
import type { Account, BetterAuthPlugin } from "better-auth";
import { verifyPassword as verifyLegacyPassword } from "../../hashes/index.js";
import { isAuthmigrateError } from "../../errors.js";
import { engineKnows, isBetterAuthHash } from "./password.js";

export { isBetterAuthHash } from "./password.js";

export interface LegacyPasswordsOptions {
  /**
   * Re-hash with the app's password hasher (better-auth's scrypt unless configured otherwise) and
   * store it after the first successful legacy verification. Default true.
   */
  upgrade?: boolean;
  /**
   * Which stored strings are the app's own format, verified by the app's `password.verify`.
   * Default: better-auth's scrypt `salt:key`. Set it when `emailAndPassword.password.hash` produces
   * something else (e.g. argon2), so those hashes are not treated as legacy and re-hashed on each sign-in.
   */
  isNativeHash?: (hash: string) => boolean;
  /**
   * Verify CPU-heavy legacy formats in authmigrate's worker-thread pool. Default false: inside an
   * app (and its bundler) verification runs in-process; bcrypt, argon2 and scrypt are async native
   * code anyway, and each user takes this path only once.
   */
  workerPool?: boolean;
}

type PasswordVerify = (data: { hash: string; password: string }) => Promise<boolean>;

/** What the plugin (with default options) verifies through authmigrate's hash engine rather than better-auth's. */
export function isLegacyHash(hash: string): boolean {
  return !isBetterAuthHash(hash) && engineKnows(hash);
}

/**
 * better-auth plugin: wraps the app's `password.verify`. Native hashes go to the app's verify;
 * legacy ones to authmigrate's hash engine; after a successful legacy check the credential
 * account is updated to a native hash. Unknown or malformed hashes verify as false. Hashes and
 * passwords are never logged.
 */
export function legacyPasswords(options: LegacyPasswordsOptions = {}): BetterAuthPlugin {
  const upgrade = options.upgrade ?? true;
  const isNative = options.isNativeHash ?? isBetterAuthHash;
  const pool = options.workerPool ?? false;
  return {
    id: "authmigrate-legacy-passwords",
    init(ctx) {
      const native = ctx.password;

      const verifyNative: PasswordVerify = async (data) => {
        try {
          return await native.verify(data);
        } catch {
          // better-auth's own verify throws on strings that are not `salt:key`: that is a wrong password, not a 500.
          return false;
        }
      };

      /** Replace every credential row still holding `legacy` (unsalted formats may repeat it across users). */
      const upgradeHash = async (legacy: string, password: string): Promise<void> => {
        try {
          const rows = await ctx.adapter.findMany<Account>({
            model: "account",
            where: [
              { field: "providerId", value: "credential" },
              { field: "password", value: legacy },
            ],
          });
          if (rows.length === 0) return;
          const hash = await native.hash(password);
          for (const row of rows) await ctx.internalAdapter.updateAccount(row.id, { password: hash });
        } catch (e) {
          // Sign-in still succeeds; the next one tries again.
          ctx.logger.error("authmigrate: could not upgrade a legacy password hash", isAuthmigrateError(e) ? e.code : "db_error");
        }
      };

      const verify: PasswordVerify = async ({ hash, password }) => {
        if (typeof hash !== "string" || isNative(hash) || !engineKnows(hash)) return verifyNative({ hash, password });
        let ok: boolean;
        try {
          ok = await verifyLegacyPassword(password, { format: "auto", value: hash }, { pool });
        } catch (e) {
          ctx.logger.warn("authmigrate: legacy password hash could not be verified", isAuthmigrateError(e) ? e.code : "error");
          return false;
        }
        if (ok && upgrade) await upgradeHash(hash, password);
        return ok;
      };

      return { context: { password: { ...native, verify } } };
    },
  };
}
