import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config/load.js";
import { verifyPassword } from "../../../src/hashes/index.js";
import { FirebaseSource, SourceConfigSchema, createSource, type SourceRecord } from "../../../src/sources/index.js";
import { assertMigrated, expectedOf, FIXTURES, mapAll, migrate } from "../provider-e2e.js";

const DIR = path.join(FIXTURES, "firebase");
const hashConfig = JSON.parse(readFileSync(path.join(DIR, "hash-config.json"), "utf8")) as Record<string, unknown>;
const expected = expectedOf("firebase");

async function readAll(format: "json" | "csv"): Promise<SourceRecord[]> {
  const src = createSource(SourceConfigSchema.parse({ type: "firebase", path: `users.${format}`, hashConfig }), { cwd: DIR });
  const out: SourceRecord[] = [];
  for await (const r of src.read()) out.push(r);
  return out;
}

describe("firebase source (auth:export)", () => {
  it("is registered; hashConfig is checked (base64 signer key, rounds 1..8, mem_cost 1..14)", () => {
    expect(createSource(SourceConfigSchema.parse({ type: "firebase", path: "users.json" }), { cwd: DIR })).toBeInstanceOf(FirebaseSource);
    const bad = SourceConfigSchema.safeParse({ type: "firebase", path: "u.json", hashConfig: { signerKey: "not base64!", rounds: 8, memCost: 14 } });
    expect(bad.success).toBe(false);
    expect(SourceConfigSchema.safeParse({ type: "firebase", path: "u.json", hashConfig: { signerKey: "abc=", rounds: 9, memCost: 14 } }).success).toBe(false);
  });

  it("JSON: builds canonical users with firebase-scrypt credentials the hash engine verifies", async () => {
    const recs = await readAll("json");
    const users = recs.filter((r) => r.user);
    expect(users).toHaveLength(expected.length);
    const first = users[0]!.user!;
    expect(first.credential).toMatchObject({ kind: "hash", format: "firebase-scrypt" });
    // Straight through the hash engine with the credential exactly as the source built it.
    const cred = first.credential as { format: string; value: string; params: Record<string, unknown> };
    expect(await verifyPassword(expected[0]!.password!, cred)).toBe(true);
    expect(await verifyPassword("wrong", cred)).toBe(false);
    const byId = new Map(users.map((r) => [r.user!.externalId, r.user!]));
    const jose = byId.get(expected[1]!.externalId)!;
    expect(jose.profile).toEqual({ displayName: "José Иванов" });
    expect(jose.createdAt).toEqual(new Date(1600086400000));
    expect(jose.lastLoginAt).toEqual(new Date(1700003600000));
    expect(byId.get(expected[4]!.externalId)!.status).toBe("disabled");
    expect(byId.get(expected[5]!.externalId)).toMatchObject({ credential: { kind: "none" }, identities: [{ provider: "google", providerUserId: "g-105" }] });
    expect(byId.get(expected[9]!.externalId)!.phones).toEqual(["+15555550109"]);
    expect(byId.get(expected[11]!.externalId)!.metadata).toEqual({ customAttributes: { role: "admin", plan: "pro" } });
    // Broken customAttributes: a warning, the user still comes through.
    const broken = users.find((r) => r.user!.externalId === expected[12]!.externalId)!;
    expect(broken.issues).toEqual([expect.objectContaining({ code: "invalid_record", severity: "warning", field: "customAttributes" })]);
    expect(byId.get(expected[14]!.externalId)!.metadata?.mfaFactors).toHaveLength(1);
    // Malformed records: reported with their position, reading continued past them.
    const errors = recs.filter((r) => r.error);
    expect(errors.map((r) => r.error)).toEqual([
      expect.stringMatching(/^users\.json\[20\]: localId is missing/),
      expect.stringMatching(/^users\.json\[33\]: expected an object, found number/),
    ]);
  });

  it("CSV (no header, positional columns) gives the same users as JSON; a short row is reported with its line", async () => {
    const [json, csv] = [await readAll("json"), await readAll("csv")];
    const strip = (r: SourceRecord) => ({ ...r.user, metadata: { ...r.user!.metadata, mfaFactors: undefined } });
    expect(csv.filter((r) => r.user).map(strip)).toEqual(json.filter((r) => r.user).map(strip));
    expect(csv.filter((r) => r.error).map((r) => r.error)).toEqual([
      "users.csv:6: expected 28 columns (auth:export CSV has no header row), found 6",
      expect.stringMatching(/^users\.csv:22: localId is missing/),
    ]);
  });

  it("without hashConfig: no fake credential, a warning per password user", async () => {
    const config = parseConfig({ source: { type: "firebase", path: "users.json" }, target: { type: "better-auth", database: "x.db" } });
    const mapped = (await mapAll(config, DIR)).filter((m) => m.user);
    expect(mapped.every((m) => m.user!.credential.kind === "none")).toBe(true);
    expect(mapped[0]!.issues.map((i) => i.code)).toContain("unknown_hash_format");
  });

  it("explicit mapping.fields switch the source to raw rows", async () => {
    const config = parseConfig({
      source: { type: "firebase", path: "users.json" },
      mapping: { fields: { externalId: "localId", email: "email", displayName: "displayName" } },
      target: { type: "better-auth", database: "x.db" },
    });
    expect(config.source).toMatchObject({ raw: true });
    const mapped = await mapAll(config, DIR);
    expect(mapped[1]!.user).toMatchObject({ externalId: expected[1]!.externalId, profile: { displayName: "José Иванов" }, credential: { kind: "none" } });
  });

  it("end to end into better-auth: old passwords sign in, social-only users get no credential, disabled users are banned", async () => {
    const m = await migrate({ type: "firebase", path: path.join(DIR, "users.json"), hashConfig });
    const ok = expected.filter((e) => !e.fails).length;
    expect(m.report.counts).toMatchObject({ total: expected.length + 2, created: ok, failed: expected.length + 2 - ok });
    await assertMigrated(m, expected);
  }, 120_000);
});
