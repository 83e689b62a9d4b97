import path from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { verifyPassword } from "../../../src/hashes/index.js";
import { KeycloakSource, SourceConfigSchema, createSource, type SourceRecord } from "../../../src/sources/index.js";
import { assertMigrated, expectedOf, FIXTURES, migrate } from "../provider-e2e.js";

const DIR = path.join(FIXTURES, "keycloak");
const expected = expectedOf("keycloak");

async function readAll(p: string, extra: Record<string, unknown> = {}): Promise<SourceRecord[]> {
  const src = createSource(SourceConfigSchema.parse({ type: "keycloak", path: p, ...extra }), { cwd: DIR });
  const out: SourceRecord[] = [];
  for await (const r of src.read()) out.push(r);
  return out;
}

function fromBase32(s: string): string {
  const A = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = 0;
  let acc = 0;
  const out: number[] = [];
  for (const c of s) {
    acc = (acc << 5) | A.indexOf(c);
    bits += 5;
    if (bits >= 8) {
      out.push((acc >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return Buffer.from(out).toString("utf8");
}

const userOf = (recs: SourceRecord[], i: number) => recs.find((r) => r.user?.externalId === expected[i]!.externalId)!;

describe("keycloak source (realm export)", () => {
  it("reads the export directory (realm file without users skipped, users-N files in order) like the single realm file", async () => {
    expect(createSource(SourceConfigSchema.parse({ type: "keycloak", path: "dir" }), { cwd: DIR })).toBeInstanceOf(KeycloakSource);
    const dir = await readAll("dir");
    const single = await readAll("acme-realm-with-users.json");
    expect(dir.filter((r) => r.user).map((r) => r.user)).toEqual(single.filter((r) => r.user).map((r) => r.user));
    expect(dir.filter((r) => r.user).map((r) => r.user!.externalId)).toEqual(expected.map((e) => e.externalId));
    expect(dir.filter((r) => r.error).map((r) => r.error)).toEqual([expect.stringMatching(/^acme-users-1\.json\[5\]: user has no id/)]);
    expect(await readAll("dir", { realm: "other" }).catch((e: Error) => e.message)).toBe('no export files of realm "other" in dir');
    expect((await readAll("dir", { realm: "acme" })).length).toBe(dir.length);
  });

  it("credentials: pbkdf2-sha256/sha512/sha1 as Keycloak JSON, argon2 as PHC — all verify with the old password", async () => {
    const recs = await readAll("dir");
    const formats = new Map<string, string>();
    for (const i of [0, 2, 6, 10, 14]) {
      const cred = userOf(recs, i).user!.credential as { kind: "hash"; format: string; value: string; params: Record<string, unknown> };
      formats.set(String(i), `${cred.format}:${String(cred.params.credentialData ?? "").match(/"algorithm":"([^"]+)"/)?.[1] ?? ""}`);
      expect(await verifyPassword(expected[i]!.password!, cred), `user ${i}`).toBe(true);
      expect(await verifyPassword(`${expected[i]!.password!}!`, cred)).toBe(false);
    }
    expect(Object.fromEntries(formats)).toEqual({
      "0": "pbkdf2-keycloak-json:pbkdf2-sha256",
      "2": "pbkdf2-keycloak-json:pbkdf2-sha256",
      "6": "pbkdf2-keycloak-json:pbkdf2-sha512",
      "10": "pbkdf2-keycloak-json:pbkdf2",
      "14": "argon2id:",
    });
    // Broken secretData: no credential, a warning naming the field — never a fake credential.
    const broken = userOf(recs, 27);
    expect(broken.user!.credential).toEqual({ kind: "none" });
    expect(broken.issues).toEqual([expect.objectContaining({ code: "unknown_hash_format", field: "credentials" })]);
  });

  it("TOTP → base32 secret, roles/groups/requiredActions/attributes, federated identities, disabled", async () => {
    const recs = await readAll("dir");
    const otp = userOf(recs, 5).user!.mfa!;
    expect(otp).toHaveLength(1);
    expect(otp[0]!.secret).toMatch(/^[A-Z2-7]+$/);
    // base32 of the characters Keycloak stored (what its QR code carries)
    const raw = JSON.parse((recs.find((r) => r.user?.externalId === expected[5]!.externalId)!.row.credentials as { type: string; secretData: string }[]).find((c) => c.type === "otp")!.secretData).value as string;
    expect(raw.startsWith("kcotp")).toBe(true);
    // Decoding the base32 gives back exactly the characters Keycloak stored.
    expect(fromBase32(otp[0]!.secret)).toBe(raw);
    const u0 = userOf(recs, 0).user!;
    expect(u0.metadata).toMatchObject({ realmRoles: ["admin"], clientRoles: { "my-app": ["editor"] }, attributes: { legacy_id: ["1000"] } });
    expect(u0.memberships).toEqual([{ orgExternalId: "staff", roles: ["teachers"] }]);
    expect(userOf(recs, 1).user!.memberships).toEqual([{ orgExternalId: "students", roles: [] }]);
    expect(userOf(recs, 9).user!.metadata).toMatchObject({ requiredActions: ["UPDATE_PASSWORD", "VERIFY_EMAIL"] });
    expect(userOf(recs, 12).user!.phones).toEqual(["+4915112345612"]);
    expect(userOf(recs, 3).user!.identities).toEqual([{ provider: "google", providerUserId: "g-3", email: expect.stringContaining("@keycloak.test") }]);
    expect(userOf(recs, 8).user!.status).toBe("disabled");
    expect(userOf(recs, 1).user!.profile).toEqual({ givenName: "José", familyName: "Иванов" });
    const meta = await readAll("dir", { groups: "metadata" });
    expect(userOf(meta, 0).user).toMatchObject({ memberships: [], metadata: { groups: ["/staff/teachers"] } });
  });

  it("end to end into better-auth with orgs from the realm file's groups: passwords sign in, memberships land", async () => {
    const m = await migrate(
      { type: "keycloak", path: path.join(DIR, "dir") },
      {
        target: { type: "better-auth", database: "auth.db", admin: true, organizations: true },
        orgs: { source: { type: "json", path: path.join(DIR, "dir", "acme-realm.json"), key: "groups" }, fields: { externalId: "name", name: "name" } },
      },
    );
    const ok = expected.filter((e) => !e.fails).length;
    expect(m.report.counts).toMatchObject({ total: expected.length + 1, created: ok, failed: expected.length + 1 - ok });
    await assertMigrated(m, expected);
    const db = new Database(m.db, { readonly: true });
    const member = db
      .prepare("SELECT o.slug, m.role FROM member m JOIN organization o ON o.id = m.organizationId JOIN user u ON u.id = m.userId WHERE u.email = ?")
      .all(expected[0]!.email) as { slug: string; role: string }[];
    db.close();
    expect(member).toEqual([{ slug: "staff", role: "teachers" }]);
  }, 180_000);
});
