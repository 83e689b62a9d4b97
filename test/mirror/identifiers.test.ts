import { describe, expect, it } from "vitest";
import { desiredIdentifiers, diffIdentifiers } from "../../src/mirror/index.js";
import { MigrationUserSchema } from "../../src/model/user.js";
import type { MirrorCapabilities, MirrorIdentifier } from "../../src/targets/types.js";

const MANY: MirrorCapabilities = { identifiers: { email: "many", phone: "many", oauth: "many" }, profile: true, password: false };
const email = (value: string): MirrorIdentifier => ({ kind: "email", value });
const phone = (value: string): MirrorIdentifier => ({ kind: "phone", value });
const oauth = (value: string): MirrorIdentifier => ({ kind: "oauth", value });

const user = MigrationUserSchema.parse({
  externalId: "42",
  email: "Jane@Example.com",
  extraEmails: ["jane@work.example"],
  phones: ["+15551234567"],
  identities: [{ provider: "oauth_google", providerUserId: "g-1" }, { provider: "google-oauth2", providerUserId: "g-2" }],
});

describe("desiredIdentifiers", () => {
  it("lists every email, phone and OAuth identity with legacy provider names folded", () => {
    expect(desiredIdentifiers(user, MANY)).toEqual([email("jane@example.com"), email("jane@work.example"), phone("+15551234567"), oauth("google:g-1"), oauth("google:g-2")]);
  });

  it("keeps only the primary value of a single-slot kind and nothing of an unsupported kind", () => {
    const caps: MirrorCapabilities = { identifiers: { email: "one", phone: "none", oauth: "none" }, profile: true, password: true };
    expect(desiredIdentifiers(user, caps)).toEqual([email("jane@example.com")]);
  });
});

describe("diffIdentifiers", () => {
  it("drops existing \\ desired, adds desired \\ existing and leaves the intersection", () => {
    const existing = [email("a@x.io"), email("old@x.io"), phone("+15550000001"), oauth("github:7")];
    const desired = [email("A@x.io"), email("new@x.io"), phone("+15550000001"), oauth("GitHub:7"), oauth("google:1")];
    const d = diffIdentifiers(existing, desired);
    expect(d.add).toEqual([email("new@x.io"), oauth("google:1")]);
    expect(d.remove).toEqual([email("old@x.io")]);
    // Emails and OAuth providers compare case-insensitively.
    expect(d.keep.map((i) => i.value)).toEqual(["A@x.io", "+15550000001", "GitHub:7"]);
  });

  it("compares kinds separately: the same string as an email and as an OAuth value are different identifiers", () => {
    const d = diffIdentifiers([oauth("x:a@b.io")], [email("a@b.io")]);
    expect(d.add).toEqual([email("a@b.io")]);
    expect(d.remove).toEqual([oauth("x:a@b.io")]);
  });

  it("OAuth subjects are case-sensitive", () => {
    const d = diffIdentifiers([oauth("github:AbC")], [oauth("github:abc")]);
    expect(d.add).toHaveLength(1);
    expect(d.remove).toHaveLength(1);
  });

  it("leaves kinds outside the scope alone", () => {
    const d = diffIdentifiers([email("a@x.io"), phone("+15550000001")], [email("b@x.io")], ["email"]);
    expect(d.remove).toEqual([email("a@x.io")]);
    expect(d.add).toEqual([email("b@x.io")]);
  });
});
