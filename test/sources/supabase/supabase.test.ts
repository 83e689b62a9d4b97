import { readFileSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyPassword } from "../../../src/hashes/index.js";
import { SourceConfigSchema, SupabaseSource, createSource, type SourceRecord } from "../../../src/sources/index.js";
import { freshPgDatabase } from "../../helpers.js";
import { assertMigrated, expectedOf, FIXTURES, migrate } from "../provider-e2e.js";

const expected = expectedOf("supabase");
const SQL = readFileSync(path.join(FIXTURES, "supabase", "auth-schema.sql"), "utf8");

async function load(url: string, extra = ""): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(SQL + extra);
  } finally {
    await c.end();
  }
}

async function readAll(url: string, extra: Record<string, unknown> = {}): Promise<SourceRecord[]> {
  const src = createSource(SourceConfigSchema.parse({ type: "supabase", url, ...extra }), { cwd: "/" });
  const out: SourceRecord[] = [];
  try {
    for await (const r of src.read()) out.push(r);
  } finally {
    await src.close();
  }
  return out;
}
const recOf = (recs: SourceRecord[], i: number) => recs.find((r) => r.user?.externalId === expected[i]!.externalId)!;

describe("supabase source (auth.users + auth.identities from PostgreSQL)", () => {
  let db: { url: string; drop: () => Promise<void> };
  beforeAll(async () => {
    db = await freshPgDatabase("am_supabase");
    await load(db.url);
  });
  afterAll(async () => db?.drop());

  it("pages by id (any page size gives the same users) and builds users with bcrypt credentials, identities, TOTP, bans", async () => {
    const small = await readAll(db.url, { pageSize: 7 });
    const big = await readAll(db.url);
    expect(createSource(SourceConfigSchema.parse({ type: "supabase", url: db.url }), { cwd: "/" })).toBeInstanceOf(SupabaseSource);
    expect(small.map((r) => r.user)).toEqual(big.map((r) => r.user));
    expect(new Set(big.map((r) => r.user!.externalId))).toEqual(new Set(expected.map((e) => e.externalId)));
    const ids = big.map((r) => r.user!.externalId);
    expect(ids).toEqual([...ids].sort()); // keyset order
    const u0 = recOf(big, 0);
    expect(u0.location).toBe(`auth.users id=${expected[0]!.externalId}`);
    expect(await verifyPassword(expected[0]!.password!, u0.user!.credential as { format: string; value: string })).toBe(true);
    expect(u0.user).toMatchObject({ emailVerified: true, profile: { displayName: "Ana García" }, metadata: { appMetadata: { providers: ["email"], role: "admin" } } });
    expect(recOf(big, 1).user!.emailVerified).toBe(false);
    expect(recOf(big, 3).user).toMatchObject({ credential: { kind: "none" }, identities: [{ provider: "google", providerUserId: "google-203" }] });
    expect(recOf(big, 6).user!.identities).toEqual([{ provider: "github", providerUserId: "github-206", email: "user06@supabase.test" }]);
    expect(recOf(big, 10).user!.phones).toEqual(["+4915112345010"]);
    expect(recOf(big, 4).user!.status).toBe("disabled"); // banned until 2099
    expect(recOf(big, 17).user!.status).toBe("active"); // ban expired
    expect(recOf(big, 22).user).toMatchObject({ status: "disabled", metadata: { deletedAt: "2024-06-01T00:00:00.000Z" } });
    expect(recOf(big, 9).user!.mfa).toEqual([{ type: "totp", secret: expect.stringMatching(/^[A-Z2-7]{32}$/) }]);
    // A password column that is not a hash: warned, no fake credential, the user still migrates.
    const plain = recOf(big, expected.length - 1);
    expect(plain.user!.credential).toEqual({ kind: "none" });
    expect(plain.issues).toEqual([expect.objectContaining({ code: "unknown_hash_format", field: "encrypted_password" })]);
    expect(JSON.stringify(plain.issues)).not.toContain("hunter2");
    // Token columns are never read.
    expect(Object.keys(u0.row)).not.toContain("confirmation_token");
  });

  it("older GoTrue schemas (no identities.provider_id, no mfa_factors) still read", async () => {
    const old = await freshPgDatabase("am_supabase_old");
    try {
      await load(old.url, "ALTER TABLE auth.identities DROP COLUMN provider_id CASCADE; DROP TABLE auth.mfa_factors;");
      const recs = await readAll(old.url);
      expect(recs.filter((r) => r.user)).toHaveLength(expected.length);
      expect(recOf(recs, 3).user!.identities).toMatchObject([{ provider: "google", providerUserId: expect.stringMatching(/^[0-9a-f-]{36}$/) }]);
      expect(recOf(recs, 9).user!.mfa).toEqual([]);
    } finally {
      await old.drop();
    }
  });

  it("a database without the auth tables is a clear error", async () => {
    const empty = await freshPgDatabase("am_supabase_empty");
    try {
      // trust auth ignores the password: it is only there to prove it never reaches a message
      const err = await readAll(empty.url.replace("postgres@", "postgres:s3cret-pw@")).catch((e: Error & { code?: string }) => e);
      expect(err).toMatchObject({ code: "SOURCE_NOT_FOUND", message: expect.stringContaining("no Supabase auth tables (auth.users, auth.identities)") });
      expect(JSON.stringify(err) + (err as Error).message).not.toContain("s3cret-pw");
    } finally {
      await empty.drop();
    }
  });

  it("end to end into better-auth: bcrypt users sign in, OAuth users have no credential, banned/deleted users are banned", async () => {
    const m = await migrate({ type: "supabase", url: db.url, pageSize: 10 });
    const ok = expected.filter((e) => !e.fails).length;
    expect(m.report.counts).toMatchObject({ total: expected.length, created: ok, failed: expected.length - ok });
    await assertMigrated(m, expected);
  }, 120_000);
});
