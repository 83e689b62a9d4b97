import { hashSync } from "bcryptjs";
import { describe, expect, it } from "vitest";
import {
  REJECTION_MESSAGE,
  createUserMigrationHandler,
  legacyDbVerifier,
  toCognitoAttributes,
  type LegacyDbUser,
  type RejectReason,
  type UserMigrationEvent,
} from "../../src/cognito/index.js";

/** The event shape from the Cognito Developer Guide ("Migrate user Lambda trigger"). */
function event(triggerSource: string, userName: string, password?: string): UserMigrationEvent {
  return {
    version: "1",
    triggerSource,
    region: "us-east-1",
    userPoolId: "us-east-1_EXAMPLE",
    userName,
    callerContext: { awsSdkVersion: "aws-sdk-unknown-unknown", clientId: "client-123" },
    request: { ...(password !== undefined ? { password } : {}), validationData: {}, clientMetadata: {} },
    response: { userAttributes: null, finalUserStatus: null, messageAction: null, desiredDeliveryMediums: null, forceAliasCreation: null, enableSMSMFA: null },
  };
}

const alice: LegacyDbUser = {
  hash: hashSync("correct horse", 4),
  attributes: { email: "alice@example.com", email_verified: true, given_name: "Alice", "custom:legacy_id": 42, username: "alice", sub: "x", phone_number: null },
};
const bob: LegacyDbUser = { hash: { format: "bcrypt", value: hashSync("pw-bob", 4) }, attributes: { email: "bob@example.com", email_verified: false } };
const carol: LegacyDbUser = { hash: hashSync("pw-carol", 4), attributes: { email: "carol@example.com", email_verified: true }, disabled: true };
const users: Record<string, LegacyDbUser> = { alice, "alice@example.com": alice, bob, carol };

function handlerWithLog() {
  const rejects: RejectReason[] = [];
  const handler = createUserMigrationHandler({
    ...legacyDbVerifier({ findUser: async (u) => users[u] ?? null }),
    onReject: (r) => rejects.push(r),
  });
  return { handler, rejects };
}

describe("Cognito UserMigration trigger", () => {
  it("UserMigration_Authentication with the right password → same event, response filled (CONFIRMED, SUPPRESS, string attributes)", async () => {
    const { handler } = handlerWithLog();
    const ev = event("UserMigration_Authentication", "alice@example.com", "correct horse");
    const out = await handler(ev);
    expect(out.userName).toBe("alice@example.com");
    expect(out.triggerSource).toBe("UserMigration_Authentication");
    expect(out.callerContext).toEqual(ev.callerContext);
    expect(out.response).toEqual({
      userAttributes: { email: "alice@example.com", email_verified: "true", given_name: "Alice", "custom:legacy_id": "42" },
      finalUserStatus: "CONFIRMED",
      messageAction: "SUPPRESS",
      desiredDeliveryMediums: null,
      forceAliasCreation: null,
      enableSMSMFA: null,
    });
    // the input event is not mutated
    expect(ev.response.userAttributes).toBeNull();
  });

  it("wrong password, unknown user, disabled user, missing password → the same generic Error", async () => {
    const { handler, rejects } = handlerWithLog();
    const msgs: string[] = [];
    for (const ev of [
      event("UserMigration_Authentication", "alice", "wrong"),
      event("UserMigration_Authentication", "nobody", "correct horse"),
      event("UserMigration_Authentication", "carol", "pw-carol"),
      event("UserMigration_Authentication", "alice"),
    ]) {
      const err = await handler(ev).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(Error);
      msgs.push((err as Error).message);
    }
    expect(new Set(msgs)).toEqual(new Set([REJECTION_MESSAGE]));
    expect(rejects).toEqual(["bad_credentials", "bad_credentials", "bad_credentials", "missing_password"]);
  });

  it("UserMigration_ForgotPassword → attributes without a password check, SUPPRESS, no finalUserStatus", async () => {
    const { handler } = handlerWithLog();
    const out = await handler(event("UserMigration_ForgotPassword", "alice"));
    expect(out.response.userAttributes).toMatchObject({ email: "alice@example.com", email_verified: "true" });
    expect(out.response.messageAction).toBe("SUPPRESS");
    expect(out.response.finalUserStatus).toBeNull();
  });

  it("ForgotPassword: unknown user, or no verified email/phone to send the code to → the same generic Error", async () => {
    const { handler, rejects } = handlerWithLog();
    await expect(handler(event("UserMigration_ForgotPassword", "nobody"))).rejects.toThrow(REJECTION_MESSAGE);
    await expect(handler(event("UserMigration_ForgotPassword", "bob"))).rejects.toThrow(REJECTION_MESSAGE);
    expect(rejects).toEqual(["unknown_user", "no_verified_contact"]);
  });

  it("a failing legacy store or an unknown trigger source → generic Error, reason reported", async () => {
    const seen: [RejectReason, unknown][] = [];
    const handler = createUserMigrationHandler({
      verify: async () => {
        throw new Error("db down: secret connection string");
      },
      lookup: async () => null,
      onReject: (r, _e, err) => seen.push([r, err]),
    });
    const err = (await handler(event("UserMigration_Authentication", "alice", "x")).catch((e: unknown) => e)) as Error;
    expect(err.message).toBe(REJECTION_MESSAGE);
    await expect(handler(event("PreSignUp_SignUp", "alice"))).rejects.toThrow(REJECTION_MESSAGE);
    expect(seen.map((s) => s[0])).toEqual(["error", "unsupported_trigger"]);
    expect((seen[0]![1] as Error).message).toMatch(/db down/);
  });

  it("options: RESET_REQUIRED, RESEND, delivery mediums, forceAliasCreation", async () => {
    const handler = createUserMigrationHandler({
      verify: async () => ({ attributes: { email: "a@b.c", email_verified: "true" } }),
      lookup: async () => null,
      finalUserStatus: "RESET_REQUIRED",
      messageAction: "RESEND",
      desiredDeliveryMediums: ["EMAIL"],
      forceAliasCreation: true,
    });
    const out = await handler(event("UserMigration_Authentication", "a@b.c", "pw"));
    expect(out.response).toMatchObject({ finalUserStatus: "RESET_REQUIRED", messageAction: "RESEND", desiredDeliveryMediums: ["EMAIL"], forceAliasCreation: true });
  });

  it("legacyDbVerifier works with a packed/typed hash and still checks a dummy hash for unknown users", async () => {
    const v = legacyDbVerifier({ findUser: async (u) => users[u] ?? null });
    expect(await v.verify("bob", "pw-bob", event("UserMigration_Authentication", "bob", "pw-bob"))).toEqual({ attributes: bob.attributes });
    const t0 = performance.now();
    expect(await v.verify("nobody", "x", event("UserMigration_Authentication", "nobody", "x"))).toBeNull();
    // the dummy bcrypt (cost 10) was really computed: well above a map lookup
    expect(performance.now() - t0).toBeGreaterThan(5);
  });

  it("toCognitoAttributes stringifies and drops reserved / empty attributes", () => {
    expect(toCognitoAttributes({ email: "a@b.c", email_verified: true, n: 1, sub: "s", username: "u", x: null, y: undefined })).toEqual({ email: "a@b.c", email_verified: "true", n: "1" });
  });
});
