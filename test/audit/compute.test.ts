import { describe, expect, it } from "vitest";
import { activityBucket, auditUsers } from "../../src/audit/compute.js";
import type { MappedRecord } from "../../src/mapping/map-user.js";
import { AS_OF, BCRYPT, ROWS, ago, makeConfig, mapRows, stream } from "./fixtures.js";

describe("auditUsers", () => {
  it("computes every section of the seed audit from mapped records", async () => {
    const records = await mapRows(ROWS as unknown as Record<string, unknown>[]);
    const fixedNow = new Date("2024-07-01T00:00:00Z");
    const r = await auditUsers(stream(records), { asOf: AS_OF, source: "postgres Users", now: () => fixedNow });

    expect(r.version).toBe(1);
    expect(r.asOf).toBe("2024-06-30T12:00:00.000Z");
    expect(r.generatedAt).toBe("2024-07-01T00:00:00.000Z");
    expect(r.source).toBe("postgres Users");
    expect(r.totals).toEqual({ records: 15, users: 15, active: 13, inactive: 2, failed: 0 });

    expect(r.activity).toEqual({ active_30d: 5, active_90d: 2, inactive_1y: 4, dormant: 2, neverLoggedIn: 1 });

    expect(r.duplicates.groups).toBe(2);
    expect(r.duplicates.extraRecords).toBe(3);
    expect(r.duplicates.list).toEqual([
      { email: "jane@school.edu", externalIds: ["1", "2", "3"] },
      { email: "bob@x.org", externalIds: ["4", "12"] },
    ]);

    expect(r.emails.missing).toEqual({ count: 2, samples: ["9", "10"] });
    expect(r.emails.invalid).toEqual({ count: 1, samples: ["11"] });
    expect(r.namesTooLong).toEqual({ count: 1, samples: ["14"], byField: { FirstName: 1 } });

    expect(r.roles).toEqual([
      { role: "edtech_teacher", raw: "4", users: 3, active: 3 },
      { role: "edtech_parent", raw: "6", users: 2, active: 2 },
      { role: "edtech_student", raw: "5", users: 2, active: 2 },
      { role: "member", raw: "3", users: 2, active: 1 },
      { role: "org_admin", raw: "2", users: 2, active: 2 },
      { role: "org_owner", raw: "1", users: 2, active: 1 },
      { role: "member", raw: "(none)", users: 1, active: 1 },
      { role: "member", raw: "9", users: 1, active: 1 },
    ]);
    expect(r.orgs).toEqual([
      { org: "springfield", users: 8, active: 8 },
      { org: "20", users: 3, active: 2 },
      { org: "(none)", users: 2, active: 2 },
      { org: "30", users: 2, active: 1 },
    ]);
    expect(r.passwords).toEqual([
      { format: "bcrypt", family: "bcrypt", users: 11 },
      { format: "none", users: 2 },
      { format: "pbkdf2-keycloak-json", family: "pbkdf2", users: 1 },
      { format: "unrecognised", users: 1 },
    ]);
    expect(r.failed).toEqual({ records: 0, byCode: {}, samples: [] });
    expect(r.issues).toMatchObject({ no_email: 2, invalid_email: 1, name_too_long: 1, unknown_role: 1, unknown_hash_format: 1 });
  });

  it("is JSON-serializable and never carries a password hash", async () => {
    const records = await mapRows(ROWS as unknown as Record<string, unknown>[]);
    const r = await auditUsers(records, { asOf: AS_OF });
    const json = JSON.stringify(r);
    expect(JSON.parse(json)).toEqual(r);
    expect(json).not.toContain(BCRYPT);
    expect(json).not.toContain("plaintext-password");
    expect(json).not.toContain("c2FsdA==");
  });

  it("counts records that failed to map by issue code, and keeps them out of the user sections", async () => {
    const config = makeConfig();
    const mapped = await mapRows(
      [
        { Id: 1, Email: "a@x.org", IsActive: 1 },
        { Id: null, Email: "noid@x.org", IsActive: 1 },
        { Id: "  ", Email: "blankid@x.org", IsActive: 1 },
      ],
      config,
    );
    const sourceError: MappedRecord = {
      location: "users.csv:4",
      issues: [{ code: "source_error", severity: "error", message: "unterminated quote" }],
      raw: {},
    };
    const skipped: MappedRecord = {
      location: "users.csv:5",
      externalId: "5",
      skipped: "test account",
      issues: [{ code: "transform_skip", severity: "error", message: "test account" }],
      raw: {},
    };
    const r = await auditUsers(stream([...mapped, sourceError, skipped]), { asOf: AS_OF });
    expect(r.totals).toEqual({ records: 5, users: 1, active: 1, inactive: 0, failed: 4 });
    expect(r.failed.records).toBe(4);
    expect(r.failed.byCode).toEqual({ missing_external_id: 2, source_error: 1, transform_skip: 1 });
    expect(r.failed.samples[0]).toMatchObject({ location: "Users#2", code: "missing_external_id" });
    expect(r.failed.samples.map((s) => s.location)).toContain("users.csv:4");
    expect(r.roles.reduce((n, x) => n + x.users, 0)).toBe(1);
    expect(r.duplicates.groups).toBe(0);
  });

  it("puts users without a role column and without orgs under (none)", async () => {
    const config = makeConfig({
      mapping: { fields: { externalId: "Id", email: "Email" } },
    });
    const r = await auditUsers(stream(await mapRows([{ Id: 1, Email: "a@x.org" }, { Id: 2, Email: "b@x.org" }], config)), { asOf: AS_OF });
    expect(r.roles).toEqual([{ role: "(none)", raw: "(none)", users: 2, active: 2 }]);
    expect(r.orgs).toEqual([{ org: "(none)", users: 2, active: 2 }]);
    expect(r.passwords).toEqual([{ format: "none", users: 2 }]);
    expect(r.activity).toEqual({ active_30d: 0, active_90d: 0, inactive_1y: 0, dormant: 2, neverLoggedIn: 2 });
  });

  it("accepts legacy active flags the way the mapper reads them", async () => {
    const rows = ["Y", "N", "true", "false", "disabled", null, "", 2].map((v, i) => ({ Id: i + 1, Email: `u${i}@x.org`, IsActive: v, LastLoginDate: ago(1) }));
    const r = await auditUsers(stream(await mapRows(rows)), { asOf: AS_OF });
    expect(r.totals.active).toBe(5);
    expect(r.totals.inactive).toBe(3);
    expect(r.activity.active_30d).toBe(5);
  });

  it("caps samples but keeps every duplicate group", async () => {
    const rows = Array.from({ length: 60 }, (_, i) => ({ Id: i + 1, Email: i % 2 === 0 ? `dup${i >> 1}@x.org` : ` DUP${i >> 1}@X.ORG`, IsActive: 1 }));
    rows.push(...Array.from({ length: 30 }, (_, i) => ({ Id: 100 + i, Email: null as unknown as string, IsActive: 1 })));
    const r = await auditUsers(stream(await mapRows(rows)), { asOf: AS_OF, sampleSize: 5 });
    expect(r.duplicates.groups).toBe(30);
    expect(r.duplicates.extraRecords).toBe(30);
    expect(r.duplicates.list).toHaveLength(30);
    expect(r.emails.missing.count).toBe(30);
    expect(r.emails.missing.samples).toEqual(["100", "101", "102", "103", "104"]);
  });

  it("reports progress per record", async () => {
    const seen: number[] = [];
    await auditUsers(stream(await mapRows(ROWS.slice(0, 3) as unknown as Record<string, unknown>[])), { asOf: AS_OF, onRecord: (n) => seen.push(n) });
    expect(seen).toEqual([1, 2, 3]);
  });

  it("rejects an invalid asOf", async () => {
    await expect(auditUsers([], { asOf: new Date("nope") })).rejects.toThrow(/asOf/);
  });
});

describe("activityBucket", () => {
  const at = (days: number, ms = 0) => new Date(AS_OF.getTime() - days * 86_400_000 + ms);
  it.each([
    [at(0), "active_30d"],
    [at(-3), "active_30d"],
    [at(30, 1), "active_30d"],
    [at(30), "active_90d"],
    [at(90, 1), "active_90d"],
    [at(90), "inactive_1y"],
    [at(365, 1), "inactive_1y"],
    [at(365), "dormant"],
    [at(2000), "dormant"],
    [undefined, "dormant"],
  ] as const)("%s -> %s", (d, bucket) => {
    expect(activityBucket(d, AS_OF)).toBe(bucket);
  });
});
