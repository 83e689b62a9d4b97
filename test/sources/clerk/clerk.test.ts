import path from "node:path";
import { describe, expect, it } from "vitest";
import { verifyPassword } from "../../../src/hashes/index.js";
import { ClerkSource, SourceConfigSchema, createSource, type SourceRecord } from "../../../src/sources/index.js";
import { assertMigrated, expectedOf, FIXTURES, migrate } from "../provider-e2e.js";

const DIR = path.join(FIXTURES, "clerk");
const expected = expectedOf("clerk");

async function readAll(): Promise<SourceRecord[]> {
  const src = createSource(SourceConfigSchema.parse({ type: "clerk", path: "users.csv" }), { cwd: DIR });
  const out: SourceRecord[] = [];
  for await (const r of src.read()) out.push(r);
  return out;
}
const recOf = (recs: SourceRecord[], i: number) => recs.find((r) => r.user?.externalId === expected[i]!.externalId)!;

describe("clerk source (user export CSV)", () => {
  it("every password_hasher in the fixture becomes a credential the hash engine verifies with the old password", async () => {
    const recs = await readAll();
    expect(createSource(SourceConfigSchema.parse({ type: "clerk", path: "users.csv" }), { cwd: DIR })).toBeInstanceOf(ClerkSource);
    const formats: Record<string, string> = {};
    for (const [i, e] of expected.entries()) {
      if (e.password === undefined) continue;
      const rec = recOf(recs, i);
      const cred = rec.user!.credential as { kind: string; format: string; value: string; params?: Record<string, unknown> };
      expect(cred.kind, e.externalId).toBe("hash");
      formats[String(rec.row.password_hasher)] = cred.format;
      expect(await verifyPassword(e.password, cred), `${String(rec.row.password_hasher)} user ${i}`).toBe(true);
    }
    expect(formats).toEqual({
      argon2id: "argon2id",
      pbkdf2_sha256_django: "pbkdf2-sha256-django",
      scrypt_firebase: "firebase-scrypt",
      pbkdf2_sha256: "pbkdf2-passlib-sha256",
      bcrypt: "bcrypt",
    });
    // A hasher authmigrate does not know: no credential, a warning naming the hasher (not the digest).
    const odd = recOf(recs, 24);
    expect(odd.user!.credential).toEqual({ kind: "none" });
    expect(odd.issues).toEqual([expect.objectContaining({ code: "unknown_hash_format", message: expect.stringContaining('"sha512_symfony"') })]);
    expect(JSON.stringify(odd.issues)).not.toContain("0123456789abcdef");
  });

  it("emails (primary, verified, extra), phones, TOTP, unicode names; a short row is reported with its line", async () => {
    const recs = await readAll();
    const u1 = recOf(recs, 1).user!;
    expect(u1).toMatchObject({ profile: { givenName: "José", familyName: "Иванов" }, username: "josé1", phones: ["+442079460001"], emailVerified: true });
    const u2 = recOf(recs, 2).user!;
    expect(u2.extraEmails).toEqual(["alt2@clerk.test"]);
    expect(recOf(recs, 9).user!.mfa).toEqual([{ type: "totp", secret: recOf(recs, 9).row.totp_secret }]);
    expect(recOf(recs, 15).user!.metadata).toEqual({ unverifiedEmails: ["pending15@clerk.test"] });
    expect(recOf(recs, 5).user!.credential).toEqual({ kind: "none" });
    expect(recs.filter((r) => r.error).map((r) => r.error)).toEqual(["users.csv:9: expected 13 columns, found 4"]);
  });

  it("end to end into better-auth: every user with a digest signs in with the old password", async () => {
    const m = await migrate({ type: "clerk", path: path.join(DIR, "users.csv") });
    const ok = expected.filter((e) => !e.fails).length;
    expect(m.report.counts).toMatchObject({ total: expected.length + 1, created: ok, failed: expected.length + 1 - ok });
    await assertMigrated(m, expected);
  }, 120_000);
});
