/**
 * `authmigrate/cognito`: the AWS Cognito "Migrate user" Lambda trigger
 * (lazy-migration-contracts.md §7). Cognito calls it when a sign-in
 * (USER_PASSWORD_AUTH / ADMIN_USER_PASSWORD_AUTH) or a forgot-password request names a user that
 * is not in the pool yet; the handler checks the legacy system and returns the user's attributes.
 *
 *   import { createUserMigrationHandler, legacyDbVerifier } from "authmigrate/cognito";
 *   export const handler = createUserMigrationHandler(legacyDbVerifier({ findUser: (u) => db.userByLogin(u) }));
 *
 * Every rejection throws the same generic Error, so the client cannot tell an unknown user from
 * a wrong password; the reason goes to `onReject` for your logs.
 */
import { verifyPassword, type StoredHash, type VerifyOptions } from "../hashes/index.js";

export type UserMigrationTriggerSource = "UserMigration_Authentication" | "UserMigration_ForgotPassword";

/** The event Cognito sends (and expects back, with `response` filled). */
export interface UserMigrationEvent {
  version: string;
  triggerSource: UserMigrationTriggerSource | (string & {});
  region: string;
  userPoolId: string;
  /** The username or alias (e.g. email) the user typed. */
  userName: string;
  callerContext: { awsSdkVersion: string; clientId: string };
  request: {
    /** Plaintext; only for `UserMigration_Authentication`. */
    password?: string;
    validationData?: Record<string, string> | null;
    clientMetadata?: Record<string, string> | null;
  };
  response: UserMigrationResponse;
}

export interface UserMigrationResponse {
  userAttributes: Record<string, string> | null;
  finalUserStatus?: "CONFIRMED" | "RESET_REQUIRED" | null;
  messageAction?: "SUPPRESS" | "RESEND" | null;
  desiredDeliveryMediums?: ("EMAIL" | "SMS")[] | null;
  forceAliasCreation?: boolean | null;
  enableSMSMFA?: boolean | null;
}

/** Attribute values may be given as strings, booleans or numbers; they are sent as strings. */
export type LegacyAttributes = Record<string, string | boolean | number | null | undefined>;

export interface LegacyUserResult {
  attributes: LegacyAttributes;
}

export type RejectReason =
  /** Sign-in: unknown user or wrong password (`verify` returned null; it does not say which). */
  | "bad_credentials"
  /** Forgot-password: `lookup` returned null. */
  | "unknown_user"
  | "missing_password"
  | "no_verified_contact"
  | "unsupported_trigger"
  | "error";

export interface UserMigrationHandlerOptions {
  /** Credentials check: attributes when `password` is right for `username`, null otherwise (unknown user or wrong password). */
  verify: (username: string, password: string, event: UserMigrationEvent) => Promise<LegacyUserResult | null>;
  /** Forgot-password: the user's attributes without a password check, null when unknown. */
  lookup: (username: string, event: UserMigrationEvent) => Promise<LegacyUserResult | null>;
  /** Default `"SUPPRESS"`: migrated users get no welcome message. */
  messageAction?: "SUPPRESS" | "RESEND";
  /** Sign-in flow status; default `"CONFIRMED"` (keeps the password just verified). */
  finalUserStatus?: "CONFIRMED" | "RESET_REQUIRED";
  desiredDeliveryMediums?: ("EMAIL" | "SMS")[];
  /** Move an email/phone alias owned by another user (default: not set → AliasExistsException). */
  forceAliasCreation?: boolean;
  /** Why a request was rejected (for your logs; the thrown error never says). */
  onReject?: (reason: RejectReason, event: UserMigrationEvent, error?: unknown) => void;
}

/** The one message every rejection carries. */
export const REJECTION_MESSAGE = "Incorrect username or password.";

/** Attributes Cognito manages itself and refuses in `userAttributes`. */
const RESERVED = new Set(["username", "sub", "identities", "cognito:username", "cognito:user_status", "cognito:mfa_enabled"]);

/** Cognito wants `Record<string, string>`: booleans → "true"/"false", nulls dropped, reserved names dropped. */
export function toCognitoAttributes(attrs: LegacyAttributes): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || RESERVED.has(k)) continue;
    out[k] = typeof v === "string" ? v : String(v);
  }
  return out;
}

export type UserMigrationHandler = (event: UserMigrationEvent) => Promise<UserMigrationEvent>;

export function createUserMigrationHandler(opts: UserMigrationHandlerOptions): UserMigrationHandler {
  const reject = (reason: RejectReason, event: UserMigrationEvent, error?: unknown): never => {
    try {
      opts.onReject?.(reason, event, error);
    } catch {
      // logging must not change the answer
    }
    throw new Error(REJECTION_MESSAGE);
  };

  return async (event) => {
    const username = event.userName;
    let user: LegacyUserResult | null;
    if (event.triggerSource === "UserMigration_Authentication") {
      const password = event.request?.password;
      if (typeof password !== "string" || password === "") return reject("missing_password", event);
      try {
        user = await opts.verify(username, password, event);
      } catch (e) {
        return reject("error", event, e);
      }
      if (!user) return reject("bad_credentials", event);
    } else if (event.triggerSource === "UserMigration_ForgotPassword") {
      try {
        user = await opts.lookup(username, event);
      } catch (e) {
        return reject("error", event, e);
      }
      if (!user) return reject("unknown_user", event);
    } else {
      return reject("unsupported_trigger", event);
    }

    const attributes = toCognitoAttributes(user.attributes);
    const response: UserMigrationResponse = { ...(event.response ?? {}), userAttributes: attributes, messageAction: opts.messageAction ?? "SUPPRESS" };
    if (event.triggerSource === "UserMigration_Authentication") {
      response.finalUserStatus = opts.finalUserStatus ?? "CONFIRMED";
    } else {
      // Forgot-password: Cognito creates the user and sends a reset code, which needs a verified channel.
      const email = attributes.email && attributes.email_verified === "true";
      const phone = attributes.phone_number && attributes.phone_number_verified === "true";
      if (!email && !phone) return reject("no_verified_contact", event);
    }
    if (opts.desiredDeliveryMediums) response.desiredDeliveryMediums = opts.desiredDeliveryMediums;
    if (opts.forceAliasCreation !== undefined) response.forceAliasCreation = opts.forceAliasCreation;
    return { ...event, response };
  };
}

// ---------------------------------------------------------------- legacy database verifier

export interface LegacyDbUser {
  /** The stored hash: `{ format, value, params? }`, or a string (format identified from the value, or a packed hash). */
  hash: StoredHash | string | null;
  attributes: LegacyAttributes;
  /** A disabled / locked legacy account is treated as unknown. */
  disabled?: boolean;
}

export interface LegacyDbVerifierOptions {
  /** Find the legacy user by what they typed (username or email). */
  findUser: (username: string) => Promise<LegacyDbUser | null>;
  /** Passed to `verifyPassword`; default `{ pool: false }` (one verification per Lambda invocation needs no worker pool). */
  verifyOptions?: VerifyOptions;
  /**
   * A hash checked when the user is unknown, so that "no such user" takes about as long as a
   * wrong password (no user enumeration by timing). Default: a bcrypt cost-10 hash.
   */
  dummyHash?: StoredHash;
}

const DUMMY_BCRYPT: StoredHash = { format: "bcrypt", value: "$2b$10$lu0dZsxPjaSEpC42EBe6quX5wZ4QgoFmXOZeTMMFxFSJWODy7S/pe" };

/** `{ verify, lookup }` for `createUserMigrationHandler`, backed by your legacy user table and the hash engine. */
export function legacyDbVerifier(opts: LegacyDbVerifierOptions): Pick<UserMigrationHandlerOptions, "verify" | "lookup"> {
  const verifyOpts: VerifyOptions = { pool: false, ...(opts.verifyOptions ?? {}) };
  const stored = (h: StoredHash | string): StoredHash => (typeof h === "string" ? { format: "auto", value: h } : h);
  return {
    async verify(username, password) {
      const user = await opts.findUser(username);
      if (!user || user.disabled || !user.hash) {
        await verifyPassword(password, opts.dummyHash ?? DUMMY_BCRYPT, verifyOpts).catch(() => false);
        return null;
      }
      const ok = await verifyPassword(password, stored(user.hash), verifyOpts);
      return ok ? { attributes: user.attributes } : null;
    },
    async lookup(username) {
      const user = await opts.findUser(username);
      if (!user || user.disabled) return null;
      return { attributes: user.attributes };
    },
  };
}
