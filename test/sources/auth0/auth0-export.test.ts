import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config/load.js";
import { runMigration } from "../../../src/engine/run.js";
import { verifyMigration } from "../../../src/engine/verify.js";
import { isAuthmigrateError } from "../../../src/errors.js";
import { startAuth0 } from "../../../src/simulators/auth0/index.js";
import { Auth0ExportSource, SourceConfigSchema, createSource } from "../../../src/sources/index.js";
import { Auth0Instance, Auth0OptionsSchema } from "../../../src/targets/auth0/index.js";
import { tempDir } from "../../helpers.js";

const FIXTURES = path.resolve(__dirname, "../../fixtures/sources/auth0");
const BCRYPT_A = "$2b$10$VvC10Nhzh8oCRE6A9ywlS.iV7fjqU4LFPnENq2jGdtLyn.SK0Ybju"; // "correct horse battery staple"

async function readAll(src: { read(): AsyncIterable<{ row: Record<string, unknown>; location: string; error?: string }> }) {
  const out: { row: Record<string, unknown>; location: string; error?: string }[] = [];
  for await (const r of src.read()) out.push(r);
  return out;
}

describe("auth0-export source", () => {
  it("is a registered source type; the hash file is optional", () => {
    const c = SourceConfigSchema.parse({ type: "auth0-export", path: "users.ndjson", passwordHashes: "hashes.ndjson" });
    expect(createSource(c, { cwd: FIXTURES })).toBeInstanceOf(Auth0ExportSource);
    expect(SourceConfigSchema.safeParse({ type: "auth0-export" }).success).toBe(false);
  });

  it("merges password hashes by user id (auth0|<_id.$oid>), falls back to email for database users, keeps identities as-is", async () => {
    const src = createSource(SourceConfigSchema.parse({ type: "auth0-export", path: "users.ndjson", passwordHashes: "hashes.ndjson" }), { cwd: FIXTURES }) as Auth0ExportSource;
    expect(src.describe()).toContain("password hashes");
    const recs = await readAll(src);
    expect(recs).toHaveLength(6);
    const byId = new Map(recs.filter((r) => !r.error).map((r) => [r.row.user_id, r.row]));
    expect(byId.get("auth0|5f1c0000000000000000000a")).toMatchObject({ email: "Ann@Example.com", passwordHash: BCRYPT_A, passwordSetDate: "2024-01-15T00:00:00.000Z", app_metadata: { roles: ["admin"] } });
    expect(byId.get("auth0|5f1c0000000000000000000b")!.passwordHash).toMatch(/^\$2a\$10\$LrBf/);
    // imported earlier with its own user_id: joined by email within the same connection
    expect(byId.get("auth0|legacy-imported-7")!.passwordHash).toBe(BCRYPT_A);
    // social user: no hash, identities untouched
    const carol = byId.get("google-oauth2|1122334455")!;
    expect(carol.passwordHash).toBeUndefined();
    expect(carol.identities).toEqual([{ connection: "google-oauth2", provider: "google-oauth2", user_id: "1122334455", isSocial: true }]);
    expect(byId.get("auth0|5f1c0000000000000000000e")!.passwordHash).toBeUndefined();
    expect(recs.find((r) => r.error)).toMatchObject({ location: "users.ndjson:5", error: expect.stringContaining("invalid JSON") });
    expect(src.matchedHashes).toBe(3);
    expect(src.unmatchedHashes).toBe(1);
    expect(await src.columns()).toEqual(expect.arrayContaining(["user_id", "email", "identities", "passwordHash"]));
  });

  it("without a hash file rows come through unchanged; a malformed hash file is a SOURCE_PARSE_ERROR naming the line", async () => {
    const plain = await readAll(createSource(SourceConfigSchema.parse({ type: "auth0-export", path: "users.ndjson" }), { cwd: FIXTURES }));
    expect(plain.filter((r) => !r.error).every((r) => r.row.passwordHash === undefined)).toBe(true);
    const dir = tempDir();
    writeFileSync(path.join(dir, "h.ndjson"), '{"_id":{"$oid":"1"},"passwordHash":"$2b$x"}\n{broken\n');
    const err = await readAll(createSource(SourceConfigSchema.parse({ type: "auth0-export", path: path.join(FIXTURES, "users.ndjson"), passwordHashes: "h.ndjson" }), { cwd: dir })).catch((e: unknown) => e);
    expect(isAuthmigrateError(err) && err.code).toBe("SOURCE_PARSE_ERROR");
    expect(String((err as Error).message)).toContain("h.ndjson:2");
    const missing = await readAll(createSource(SourceConfigSchema.parse({ type: "auth0-export", path: "users.ndjson", passwordHashes: "nope.ndjson" }), { cwd: FIXTURES })).catch((e: unknown) => e);
    expect(isAuthmigrateError(missing) && missing.code).toBe("SOURCE_NOT_FOUND");
  });

  it("Auth0 tenant → Auth0 tenant: users keep their user_id and sign in with their old password; verify ok", async () => {
    const sim = await startAuth0({ jobDelayMs: 2 });
    try {
      const dir = tempDir();
      const config = parseConfig({
        source: { type: "auth0-export", path: path.join(FIXTURES, "users.ndjson"), passwordHashes: path.join(FIXTURES, "hashes.ndjson") },
        mapping: {
          fields: { externalId: "user_id", email: "email", emailVerified: "email_verified", password: "passwordHash", givenName: "given_name", familyName: "family_name", displayName: "name", createdAt: "created_at" },
        },
        target: { type: "auth0", baseUrl: sim.url, clientId: sim.clientId, clientSecret: sim.clientSecret, connectionId: sim.connectionId, pollIntervalMs: 5 },
        ledger: { url: "ledger.sqlite" },
        run: { batchSize: 10, concurrency: 1, outDir: "out", rateLimit: 200 },
      } as never);
      const report = await runMigration({ config, cwd: dir });
      expect(report.counts).toMatchObject({ total: 6, created: 5, failed: 1 });
      const t = new Auth0Instance(Auth0OptionsSchema.parse({ baseUrl: sim.url, clientId: sim.clientId, clientSecret: sim.clientSecret, connectionId: sim.connectionId }), { cwd: dir });
      expect(sim.store.users.get("auth0|5f1c0000000000000000000a")).toMatchObject({ email: "ann@example.com", given_name: "Ann", email_verified: true });
      expect(await t.signIn("ann@example.com", "correct horse battery staple")).toBe(true);
      expect(await t.signIn("bob@example.com", "pässwörd")).toBe(true);
      expect(await t.signIn("eve@example.com", "anything")).toBe(false);
      const verify = await verifyMigration({ config, cwd: dir });
      expect(verify).toMatchObject({ ok: true, missingInTarget: [], mismatches: [] });
    } finally {
      await sim.close();
    }
  });
});
