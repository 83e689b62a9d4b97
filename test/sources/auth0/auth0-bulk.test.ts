import path from "node:path";
import { describe, expect, it } from "vitest";
import { verifyPassword } from "../../../src/hashes/index.js";
import { Auth0ExportSource, SourceConfigSchema, createSource, type SourceRecord } from "../../../src/sources/index.js";
import { assertMigrated, expectedOf, FIXTURES, migrate } from "../provider-e2e.js";

const DIR = path.join(FIXTURES, "auth0");
const expected = expectedOf("auth0");

async function readAll(file: string, hashes = true): Promise<{ recs: SourceRecord[]; src: Auth0ExportSource }> {
  const src = createSource(SourceConfigSchema.parse({ type: "auth0-export", path: file, ...(hashes ? { passwordHashes: "bulk-hashes.ndjson" } : {}) }), { cwd: DIR }) as Auth0ExportSource;
  const recs: SourceRecord[] = [];
  for await (const r of src.read()) recs.push(r);
  return { recs, src };
}
const userOf = (recs: SourceRecord[], i: number) => recs.find((r) => r.user?.externalId === expected[i]!.externalId)!;

describe("auth0-export source: built-in mapping (bulk export + password-hash export)", () => {
  it("NDJSON: users with bcrypt hashes, identities per connection, blocked → disabled, metadata, MFA secrets", async () => {
    const { recs, src } = await readAll("bulk-users.ndjson");
    expect(recs.filter((r) => r.user).map((r) => r.user!.externalId)).toEqual(expected.map((e) => e.externalId));
    expect(src.matchedHashes).toBe(expected.filter((e) => e.password).length);
    const u0 = userOf(recs, 0).user!;
    expect(u0).toMatchObject({ email: "user00@auth0.test", profile: { givenName: "Ana" }, metadata: { app_metadata: { roles: ["admin"] }, auth0Connection: "Username-Password-Authentication", logins_count: 0 } });
    expect(await verifyPassword(expected[0]!.password!, u0.credential as { format: string; value: string })).toBe(true);
    expect(await verifyPassword(expected[1]!.password!, userOf(recs, 1).user!.credential as { format: string; value: string })).toBe(true);
    // social user (no hash), a second linked identity, an enterprise (SAML) identity named by its connection
    expect(userOf(recs, 3).user).toMatchObject({ credential: { kind: "none" }, identities: [{ provider: "google", providerUserId: "100003" }] });
    expect(userOf(recs, 6).user!.identities).toEqual([{ provider: "github", providerUserId: "gh-6" }]);
    expect(userOf(recs, 19).user!.identities).toEqual([{ provider: "acme-saml", providerUserId: "acme-saml|user19@auth0.test" }]);
    expect(userOf(recs, 4).user!.status).toBe("disabled");
    expect(userOf(recs, 10).user!.phones).toEqual(["+14155550110"]);
    expect(userOf(recs, 14).user!.mfa).toEqual([{ type: "totp", secret: "JBSWY3DPEHPK3PXP" }]);
    expect(recs.filter((r) => r.error).map((r) => r.error)).toEqual([
      expect.stringMatching(/^bulk-users\.ndjson:10: invalid JSON/),
      expect.stringMatching(/^bulk-users\.ndjson:11: user_id is missing/),
    ]);
  });

  it("CSV (OWASP-escaped, flat identities[0].* columns) maps to the same users as NDJSON for the exported fields", async () => {
    const { recs } = await readAll("bulk-users.csv", false);
    const { recs: json } = await readAll("bulk-users.ndjson", false);
    const users = recs.filter((r) => r.user);
    expect(users).toHaveLength(expected.length);
    for (const [i, r] of users.entries()) {
      const jr = json.filter((x) => x.user)[i]!;
      const j = jr.user!;
      expect(r.user!.email).toBe(j.email);
      expect(r.user).toMatchObject({ externalId: j.externalId, emailVerified: j.emailVerified, status: j.status, profile: j.profile, createdAt: j.createdAt });
      // The CSV carries identities[0] only: exactly that identity survives (none when it is the database one).
      const first = (jr.row.identities as { user_id: string }[])[0]!.user_id;
      expect(r.user!.identities).toEqual(j.identities!.filter((x) => x.providerUserId === first));
    }
    expect(userOf(recs, 0).row).toMatchObject({ user_metadata: { theme: "light" }, identities: [{ provider: "auth0", connection: "Username-Password-Authentication" }] });
    expect(recs.filter((r) => r.error).map((r) => r.error)).toEqual(["bulk-users.csv:5: expected 13 columns, found 2"]);
  });

  it("end to end into better-auth: old passwords sign in, social/enterprise users get no credential, blocked users are banned", async () => {
    const m = await migrate({ type: "auth0-export", path: path.join(DIR, "bulk-users.ndjson"), passwordHashes: path.join(DIR, "bulk-hashes.ndjson") });
    const ok = expected.filter((e) => !e.fails).length;
    expect(m.report.counts).toMatchObject({ total: expected.length + 2, created: ok, failed: expected.length + 2 - ok });
    await assertMigrated(m, expected);
  }, 120_000);
});
