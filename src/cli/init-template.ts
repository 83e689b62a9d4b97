/** The commented config `authmigrate init` writes: seed 000's Calimatic field map, as an example to edit. */
export const CONFIG_TEMPLATE_TS = `import { defineConfig } from "authmigrate";

export default defineConfig({
  // Where legacy users come from. sqlite | postgres | mysql (table or query, keyset-paginated) | csv | json | ndjson
  source: {
    type: "sqlite",
    path: "legacy.db",
    table: "Users",
    // Ordered unique key for keyset pagination (never OFFSET): resumable, stable under inserts.
    orderBy: ["CreatedDate", "Id"],
  },

  // Legacy tenants become organizations, created before any user.
  orgs: {
    source: { type: "sqlite", path: "legacy.db", table: "Tenants", orderBy: ["Id"] },
    fields: { externalId: "Id", name: "Name", slug: "Slug", domain: "Domain", type: "Type", plan: "Plan" },
  },

  mapping: {
    // canonical field -> legacy column
    fields: {
      externalId: "Id", // legacy id, kept for cross-referencing and idempotency
      email: "Email", // lower-cased and trimmed
      givenName: "FirstName",
      familyName: "LastName",
      password: "PasswordHash", // bcrypt / Keycloak PBKDF2 JSON / … (auto-detected)
      phone: "PhoneNumber",
      active: "IsActive",
      lastLoginAt: "LastLoginDate",
      createdAt: "CreatedDate",
      org: "TenantId",
      role: "RoleId",
    },
    phoneTo: "phones", // or "metadata" (seed 000: metadata.phone)
    metadata: { legacyTenantId: "TenantId", legacyRoleId: "RoleId", legacyCreatedDate: "CreatedDate" },
    // seed 000's ROLE_MAP
    roles: {
      map: { "1": "org_owner", "2": "org_admin", "3": "member", "4": "edtech_teacher", "5": "edtech_student", "6": "edtech_parent" },
      default: "member",
    },
    // Escape hatch, e.g. to skip test accounts:
    // transform: (row, user) => (String(row.Email).endsWith("@test.invalid") ? skip("test account") : user),
  },

  validation: {
    names: { maxLength: 100, onTooLong: "truncate" }, // or "fail"
    duplicates: { keep: "first" }, // "latest-login" | "fail"; losers are reported as duplicate_of:<id>
    inactive: "disable", // or "skip"
  },

  // Secrets: use \${ENV_VAR}; they are never printed.
  target: { type: "better-auth", database: "auth.db" },

  // SQLite file by default; "postgres://…" for a shared ledger.
  ledger: { url: ".authmigrate/ledger.sqlite" },

  run: { concurrency: 4, batchSize: 500, outDir: ".authmigrate" },
});
`;
