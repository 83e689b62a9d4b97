/**
 * Sign-up bootstrap (seed 003 step 4, "Bootstrap an Auth-native sign-up"): a user who signed up
 * on the new provider holds a token without `external_id`; one `CreateUser` call provisions (or
 * links) the internal user and writes the internal id back with `update-external-id`.
 *
 * Idempotent and recoverable:
 * - token already carries `external_id` → nothing is written, the existing user is returned;
 * - a row already exists for this provider user id → only `update-external-id` is (re)tried
 *   (the half-provisioned case: DB row written, external id not yet);
 * - a row exists with the same (verified) email → linked, not duplicated;
 * - otherwise: insert the row, run the sign-up side effects, then `update-external-id`.
 *
 * Use it only behind `DualTokenVerifier.bootstrap()`; it does nothing but provision-or-link.
 */
import { AuthmigrateError } from "../errors.js";
import type { Claims } from "./verifier.js";

export interface BootstrapRow {
  /** Your internal user id: what becomes the provider's `external_id`. */
  id: string;
}

export interface NewUserInput {
  /** The provider's user id (token `sub`). */
  authId: string;
  email: string | undefined;
  claims: Claims;
}

export interface UserBootstrapOptions<Row extends BootstrapRow> {
  /** The row provisioned for this provider user id (store the provider id on the row). */
  findByAuthId(authId: string): Promise<Row | null>;
  findByEmail(email: string): Promise<Row | null>;
  /** Insert a new row carrying `authId`. A unique-constraint error on `authId` is fine: it is re-read. */
  insertRow(input: NewUserInput): Promise<Row>;
  /** The provider's update-external-id call (e.g. Prelude `PUT /v2/session/apps/{app}/users/{authId}/external_id`). */
  updateExternalId(authId: string, externalId: string): Promise<void>;
  /** Record the provider user id on an existing row found by email (so a retry finds it by id). Optional. */
  linkRow?(row: Row, authId: string): Promise<Row | void>;
  /** Sign-up side effects (workspace, welcome email, analytics): run once, right after the insert. Enqueue, don't do slow work here. */
  onCreated?(row: Row, input: NewUserInput): Promise<void>;
  /** Only link by email when the token says the email is verified (default true; false invites account takeover). */
  requireVerifiedEmail?: boolean;
  /** Claim names; defaults `sub`, `email`, `email_verified`, `external_id`. */
  claims?: { authId?: string; email?: string; emailVerified?: string; externalId?: string };
}

export type BootstrapOutcome =
  /** token already had external_id */
  | "existing"
  /** row existed for this provider id; update-external-id (re)written */
  | "recovered"
  /** linked to a row found by email */
  | "linked"
  /** new row inserted */
  | "created";

export interface BootstrapResult<Row extends BootstrapRow> {
  outcome: BootstrapOutcome;
  userId: string;
  row: Row | null;
}

export type UserBootstrap<Row extends BootstrapRow> = (claims: Claims) => Promise<BootstrapResult<Row>>;

/**
 * `const bootstrap = createUserBootstrap({...}); app.post("/users/bootstrap", honoAuth(dual.bootstrap()),
 *  async (c) => c.json(await bootstrap(c.get("auth").claims)))`. Errors are `AuthmigrateError`s:
 * `BOOTSTRAP_BAD_TOKEN` (400), `BOOTSTRAP_EMAIL_UNVERIFIED` (409), `BOOTSTRAP_EXTERNAL_ID_FAILED` (503, retryable).
 */
export function createUserBootstrap<Row extends BootstrapRow>(opts: UserBootstrapOptions<Row>): UserBootstrap<Row> {
  const names = { authId: "sub", email: "email", emailVerified: "email_verified", externalId: "external_id", ...(opts.claims ?? {}) };
  const requireVerified = opts.requireVerifiedEmail ?? true;
  /** One bootstrap per provider user at a time in this process (double clicks, retries racing). */
  const inflight = new Map<string, Promise<BootstrapResult<Row>>>();

  const writeExternalId = async (authId: string, row: Row): Promise<void> => {
    try {
      await opts.updateExternalId(authId, row.id);
    } catch (e) {
      throw new AuthmigrateError("BOOTSTRAP_EXTERNAL_ID_FAILED", "The user row exists but update-external-id failed; retry the bootstrap", {
        retryable: true,
        meta: { status: 503, userId: row.id },
        cause: e,
      });
    }
  };

  async function run(claims: Claims, authId: string): Promise<BootstrapResult<Row>> {
    const ext = claims[names.externalId];
    if (typeof ext === "string" && ext !== "") return { outcome: "existing", userId: ext, row: await opts.findByAuthId(authId) };

    // Half-provisioned (or finished but the token predates it): only retry update-external-id.
    const known = await opts.findByAuthId(authId);
    if (known) {
      await writeExternalId(authId, known);
      return { outcome: "recovered", userId: known.id, row: known };
    }

    const rawEmail = claims[names.email];
    const email = typeof rawEmail === "string" && rawEmail !== "" ? rawEmail.trim().toLowerCase() : undefined;
    const verified = claims[names.emailVerified] === true || claims[names.emailVerified] === "true";
    if (email) {
      const existing = await opts.findByEmail(email);
      if (existing) {
        if (requireVerified && !verified) {
          throw new AuthmigrateError("BOOTSTRAP_EMAIL_UNVERIFIED", "An account with this email exists; verify the email to link to it", { meta: { status: 409 } });
        }
        const linked = (await opts.linkRow?.(existing, authId)) ?? existing;
        await writeExternalId(authId, linked);
        return { outcome: "linked", userId: linked.id, row: linked };
      }
    }

    const input: NewUserInput = { authId, email, claims };
    let row: Row;
    try {
      row = await opts.insertRow(input);
    } catch (e) {
      // Another process won the race (unique constraint on the provider id): continue with its row.
      const raced = await opts.findByAuthId(authId);
      if (!raced) throw e;
      await writeExternalId(authId, raced);
      return { outcome: "recovered", userId: raced.id, row: raced };
    }
    await opts.onCreated?.(row, input);
    await writeExternalId(authId, row);
    return { outcome: "created", userId: row.id, row };
  }

  return (claims) => {
    const authId = claims[names.authId];
    if (typeof authId !== "string" || authId === "") {
      return Promise.reject(new AuthmigrateError("BOOTSTRAP_BAD_TOKEN", `The token has no ${names.authId} claim`, { meta: { status: 400 } }));
    }
    let p = inflight.get(authId);
    if (!p) {
      p = run(claims, authId).finally(() => inflight.delete(authId));
      inflight.set(authId, p);
    }
    return p;
  };
}
