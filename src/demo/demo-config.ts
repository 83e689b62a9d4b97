import type { ConfigInput } from "../config/schema.js";

/** The demo's config: seed 000's field map, roles and tenants, into better-auth on SQLite. */
export function demoConfig(): ConfigInput {
  return {
    source: { type: "sqlite", path: "legacy.db", table: "Users", orderBy: ["CreatedDate", "Id"] },
    orgs: {
      source: { type: "sqlite", path: "legacy.db", table: "Tenants", orderBy: ["Id"] },
      fields: { externalId: "Id", name: "Name", slug: "Slug", domain: "Domain", type: "Type", plan: "Plan" },
    },
    mapping: {
      fields: {
        externalId: "Id",
        email: "Email",
        givenName: "FirstName",
        familyName: "LastName",
        password: "PasswordHash",
        phone: "PhoneNumber",
        active: "IsActive",
        lastLoginAt: "LastLoginDate",
        createdAt: "CreatedDate",
        org: "TenantId",
        role: "RoleId",
      },
      phoneTo: "phones",
      defaultCountryCode: "+1",
      metadata: { legacyTenantId: "TenantId", legacyRoleId: "RoleId", legacyCreatedDate: "CreatedDate" },
      roles: {
        map: { "1": "org_owner", "2": "org_admin", "3": "member", "4": "edtech_teacher", "5": "edtech_student", "6": "edtech_parent" },
        default: "member",
      },
    },
    validation: { names: { maxLength: 100, onTooLong: "truncate" }, duplicates: { keep: "first" }, inactive: "disable" },
    target: { type: "better-auth", database: "auth.db", admin: true },
    ledger: { url: "ledger.sqlite" },
    run: { concurrency: 4, batchSize: 500, outDir: "." },
  };
}
