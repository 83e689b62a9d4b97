import path from "node:path";
import { describe, expect, it } from "vitest";
import { CognitoSource, SourceConfigSchema, createSource, type SourceRecord } from "../../../src/sources/index.js";
import { assertMigrated, expectedOf, FIXTURES, migrate } from "../provider-e2e.js";

const DIR = path.join(FIXTURES, "cognito");
const expected = expectedOf("cognito");

async function readAll(p: string, extra: Record<string, unknown> = {}): Promise<SourceRecord[]> {
  const src = createSource(SourceConfigSchema.parse({ type: "cognito", path: p, ...extra }), { cwd: DIR });
  const out: SourceRecord[] = [];
  for await (const r of src.read()) out.push(r);
  return out;
}
const userOf = (recs: SourceRecord[], i: number) => recs.find((r) => r.user?.externalId === expected[i]!.externalId)!.user!;

describe("cognito source (list-users pages)", () => {
  it("reads a directory of pages in order; a broken page and a malformed user are reported, the rest continues", async () => {
    expect(createSource(SourceConfigSchema.parse({ type: "cognito", path: "pages" }), { cwd: DIR })).toBeInstanceOf(CognitoSource);
    const recs = await readAll("pages");
    expect(recs.filter((r) => r.user).map((r) => r.user!.externalId)).toEqual(expected.map((e) => e.externalId));
    expect(recs.filter((r) => r.error).map((r) => r.error)).toEqual([
      expect.stringMatching(/^page-2\.json\[3\]: user has neither Username nor a sub/),
      expect.stringMatching(/^page-4\.json:\d+: invalid JSON/),
    ]);
    // a single page file works too
    expect((await readAll("pages/page-1.json")).filter((r) => r.user)).toHaveLength(12);
  });

  it("attributes → canonical fields; custom:* → metadata; no hash ever (credential none); status, MFA, federated identities", async () => {
    const recs = await readAll("pages");
    const u0 = userOf(recs, 0);
    expect(u0).toMatchObject({ email: "user00@cognito.test", emailVerified: false, profile: { givenName: "Ana", familyName: "García" }, credential: { kind: "none" } });
    expect(u0.metadata).toMatchObject({ tenant: "globex", cognitoStatus: "CONFIRMED", cognitoUsername: "user00@cognito.test" });
    expect(u0.createdAt).toEqual(new Date("2022-01-10T08:00:00Z"));
    expect(recs.every((r) => !r.user || r.user.credential!.kind === "none")).toBe(true);
    expect(userOf(recs, 3)).toMatchObject({ identities: [{ provider: "google", providerUserId: "200003" }], metadata: { cognitoStatus: "EXTERNAL_PROVIDER" } });
    expect(userOf(recs, 7).status).toBe("disabled");
    expect(userOf(recs, 5).metadata).toMatchObject({ cognitoStatus: "FORCE_CHANGE_PASSWORD" });
    expect(userOf(recs, 9)).toMatchObject({ phones: ["+14155550109"], metadata: { mfa: ["SMS_MFA"] } });
    expect(userOf(recs, 9).mfa ?? []).toEqual([]); // SMS factors carry no secret to migrate
    // externalId from Username instead of sub
    const byName = await readAll("pages", { externalId: "username" });
    expect(byName.find((r) => r.user)!.user!.externalId).toBe("user00@cognito.test");
  });

  it("end to end into better-auth: users land without a fake credential, disabled users banned, Google links kept", async () => {
    const m = await migrate({ type: "cognito", path: path.join(DIR, "pages") }, { passwords: { reset: "none" } });
    const ok = expected.filter((e) => !e.fails).length;
    expect(m.report.counts).toMatchObject({ total: expected.length + 2, created: ok, failed: expected.length + 2 - ok });
    await assertMigrated(m, expected);
  }, 120_000);
});
