import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import { skip } from "../../src/config/schema.js";
import { mapUser } from "../../src/mapping/map-user.js";
import { checkColumns } from "../../src/mapping/check-columns.js";
import { isValidEmail, toE164 } from "../../src/mapping/normalize.js";
import { legacyConfig } from "../helpers.js";

const BCRYPT = "$2b$10$VvC10Nhzh8oCRE6A9ywlS.iV7fjqU4LFPnENq2jGdtLyn.SK0Ybju";

function opts(overrides: Parameters<typeof legacyConfig>[0] = {}) {
  const c = parseConfig(legacyConfig(overrides));
  return { mapping: c.mapping, validation: c.validation, hashes: c.hashes };
}

const row = (r: Record<string, unknown>) => ({ row: { Id: 7, Email: " Jane@School.EDU ", FirstName: "Jane", LastName: "Smith", TenantId: 3, RoleId: 2, IsActive: 1, ...r }, location: "Users Id=7" });

describe("mapUser (seed 000 field map)", () => {
  it("maps the seed's fields: email lower+trim, role via map, tenant → membership, hash identified", async () => {
    const m = await mapUser(row({ PasswordHash: BCRYPT, PhoneNumber: "+1 (555) 123-4567", LastLoginDate: "2026-10-01 12:00:00" }), opts());
    expect(m.issues).toEqual([]);
    expect(m.user).toMatchObject({
      externalId: "7",
      email: "jane@school.edu",
      profile: { givenName: "Jane", familyName: "Smith" },
      memberships: [{ orgExternalId: "3", roles: ["org_admin"] }],
      credential: { kind: "hash", format: "bcrypt", value: BCRYPT },
      phones: ["+15551234567"],
      status: "active",
    });
    expect(m.user!.lastLoginAt!.toISOString()).toBe("2026-10-01T12:00:00.000Z");
  });

  it("unknown role falls back to the default with a warning; inactive → disabled", async () => {
    const m = await mapUser(row({ RoleId: 99, IsActive: 0 }), opts());
    expect(m.user!.memberships[0]!.roles).toEqual(["member"]);
    expect(m.user!.status).toBe("disabled");
    expect(m.issues.map((i) => [i.code, i.severity])).toEqual([["unknown_role", "warning"]]);
  });

  it("reports missing and invalid emails as errors naming the column", async () => {
    const none = await mapUser(row({ Email: "  " }), opts());
    expect(none.issues[0]).toMatchObject({ code: "no_email", severity: "error", field: "Email" });
    const bad = await mapUser(row({ Email: "jane.doe@" }), opts());
    expect(bad.issues[0]).toMatchObject({ code: "invalid_email", severity: "error" });
  });

  it("truncates names over the limit with a warning, or fails them when configured", async () => {
    const long = "B".repeat(130);
    const t = await mapUser(row({ FirstName: long }), opts());
    expect(t.user!.profile.givenName).toHaveLength(100);
    expect(t.issues[0]).toMatchObject({ code: "name_too_long", severity: "warning" });
    const f = await mapUser(row({ FirstName: long }), opts({ validation: { names: { maxLength: 100, onTooLong: "fail" } } }));
    expect(f.issues[0]).toMatchObject({ code: "name_too_long", severity: "error" });
  });

  it("keeps a non-E.164 phone in metadata with a warning, never drops it", async () => {
    const m = await mapUser(row({ PhoneNumber: "n/a" }), opts());
    expect(m.user!.phones).toEqual([]);
    expect(m.user!.metadata.phone).toBe("n/a");
    expect(m.issues[0]!.code).toBe("invalid_phone");
  });

  it("transform can rewrite or skip a user, and a throwing transform becomes a reported issue", async () => {
    const rewrite = opts({ mapping: { ...legacyConfig().mapping, transform: (_r, u) => ({ ...u, username: "jsmith" }) } });
    expect((await mapUser(row({}), rewrite)).user!.username).toBe("jsmith");
    const skipper = opts({ mapping: { ...legacyConfig().mapping, transform: () => skip("test account") } });
    expect(await mapUser(row({}), skipper)).toMatchObject({ skipped: "test account" });
    const thrower = opts({ mapping: { ...legacyConfig().mapping, transform: () => { throw new Error("boom"); } } });
    expect((await mapUser(row({}), thrower)).issues[0]).toMatchObject({ code: "transform_error", message: "transform threw: boom" });
    const invalid = opts({ mapping: { ...legacyConfig().mapping, transform: (_r, u) => ({ ...u, phones: ["555"] }) } });
    expect((await mapUser(row({}), invalid)).issues[0]).toMatchObject({ code: "invalid_record", field: "phones.0" });
  });

  it("never puts the hash in an issue message", async () => {
    const m = await mapUser(row({ PasswordHash: "definitely-not-a-known-hash-format" }), opts());
    expect(m.user!.credential).toEqual({ kind: "none" });
    expect(JSON.stringify(m.issues)).not.toContain("definitely-not");
  });
});

describe("checkColumns", () => {
  it("names the unknown column and lists the available ones", () => {
    expect(() => checkColumns({ email: "EMail" }, ["Id", "Email"], "mapping.fields")).toThrowError(
      expect.objectContaining({ code: "MAPPING_UNKNOWN_COLUMN", message: 'mapping.fields.email: unknown column "EMail"', hint: 'did you mean "Email"? available columns: Id, Email' }),
    );
  });
});

describe("normalisation", () => {
  it.each([
    ["jane@school.edu", true],
    ["jane.doe@", false],
    ["@school.edu", false],
    ["john doe@school.edu", false],
    ["maria@localhost", false],
    ["wei..chen@school.edu", false],
  ])("isValidEmail(%s) = %s", (e, ok) => expect(isValidEmail(e)).toBe(ok));

  it("E.164 with and without a default country code", () => {
    expect(toE164("(555) 123-4567", "+1")).toBe("+15551234567");
    expect(toE164("(555) 123-4567")).toBeUndefined();
    expect(toE164("0044 20 7946 0958")).toBe("+442079460958");
  });
});
