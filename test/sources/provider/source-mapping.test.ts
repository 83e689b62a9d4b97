import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config/load.js";
import { skip } from "../../../src/config/schema.js";
import { mapUser } from "../../../src/mapping/map-user.js";
import type { SourceRecord } from "../../../src/sources/types.js";

/** The generic "source supplies its own mapping" path: config defaults, then mapUser on records that carry a user. */
const base = { source: { type: "firebase", path: "users.json" }, target: { type: "better-auth", database: "x.db" } };

const record = (user: Record<string, unknown>, row: Record<string, unknown> = {}): SourceRecord => ({ row, location: "users.json[3]", user: { externalId: "u1", email: " Ana@Example.COM ", ...user } as never });

function opts(extra: Record<string, unknown> = {}) {
  const c = parseConfig({ ...base, ...extra });
  return { mapping: c.mapping, validation: c.validation, hashes: c.hashes };
}

describe("sources that map users themselves", () => {
  it("need no mapping block; mapping.fields switch them to raw rows; non-provider sources still require fields", () => {
    expect(parseConfig(base).source).toMatchObject({ raw: false });
    expect(parseConfig({ ...base, mapping: { metadata: { plan: "customAttributes" } } }).mapping.metadata).toEqual({ plan: "customAttributes" });
    expect(parseConfig({ ...base, mapping: { fields: { externalId: "localId", email: "email" } } }).source).toMatchObject({ raw: true });
    expect(() => parseConfig({ ...base, source: { type: "csv", path: "u.csv" } })).toThrow(/mapping/);
    expect(() => parseConfig({ ...base, source: { type: "firebase", path: "u.json", raw: true } })).toThrow(/mapping\.fields/);
  });

  it("the source's user gets the same checks as a field-mapped one: email normalised/required, names limited, hashes.params merged", async () => {
    const m = await mapUser(
      record({ profile: { displayName: "x".repeat(120) }, credential: { kind: "hash", format: "firebase-scrypt", value: "h", params: { salt: "s" } } }),
      opts({ hashes: { params: { signer_key: "k", salt: "global" } } }),
    );
    expect(m.user).toMatchObject({ email: "ana@example.com", profile: { displayName: "x".repeat(100) }, credential: { params: { signer_key: "k", salt: "s" } } });
    expect(m.issues.map((i) => i.code)).toEqual(["name_too_long"]);
    const none = await mapUser(record({ email: undefined }), opts());
    expect(none.issues).toEqual([expect.objectContaining({ code: "no_email", severity: "error" })]);
    const bad = await mapUser(record({ email: "not-an-email" }), opts());
    expect(bad.issues.map((i) => i.code)).toEqual(["invalid_email"]);
  });

  it("source warnings land in the report; an invalid user is a failed record naming the field; location is kept", async () => {
    const withWarning: SourceRecord = { ...record({}), issues: [{ code: "unknown_hash_format", severity: "warning", field: "passwordHash", message: "m" }] };
    expect((await mapUser(withWarning, opts())).issues.map((i) => i.code)).toEqual(["unknown_hash_format"]);
    const invalid = await mapUser(record({ phones: ["12"] }), opts());
    expect(invalid).toMatchObject({ location: "users.json[3]", externalId: "u1", issues: [{ code: "invalid_record", field: "phones.0" }] });
    expect(invalid.user).toBeUndefined();
  });

  it("mapping.metadata reads the raw record; mapping.transform gets the raw row and the built user, and may skip", async () => {
    const row = { customAttributes: { plan: "pro" }, localId: "u1" };
    const m = await mapUser(
      record({}, row),
      opts({ mapping: { metadata: { plan: "customAttributes.plan" }, transform: (r: Record<string, unknown>, u: { metadata: Record<string, unknown> }) => ({ ...u, metadata: { ...u.metadata, id: r.localId } }) } }),
    );
    expect(m.user!.metadata).toEqual({ plan: "pro", id: "u1" });
    const skipped = await mapUser(record({}, row), opts({ mapping: { transform: () => skip("test users stay") } }));
    expect(skipped.skipped).toBe("test users stay");
    expect(skipped.user).toBeUndefined();
  });
});
