import { z } from "zod";
import { requireColumns } from "./detect.js";
import { definePreset } from "./types.js";

const Options = z.object({}).strict();

/**
 * The Calimatic legacy schema of seed 000: `Tenants` (→ organizations, created first) and
 * `Users` with RoleId 1–6 mapped by the runbook's ROLE_MAP. Hashes: bcrypt `$2a$`/`$2b$` and
 * Keycloak PBKDF2 JSON. Pure field mapping: no transform.
 */
export const calimatic = definePreset({
  name: "calimatic",
  title: "Calimatic legacy (seed 000)",
  summary: "Tenants → orgs, Users (RoleId 1–6 via seed 000's ROLE_MAP); bcrypt, Keycloak PBKDF2 JSON",
  options: Options,
  hashFormats: ["bcrypt", "pbkdf2-keycloak-json"],
  placeholderSource: { type: "sqlite", path: "legacy.db" },
  detect(db) {
    const fix = "point --source at the Calimatic legacy database (the one with Tenants and Users)";
    return {
      options: {},
      missing: [
        ...requireColumns(db, "Users", ["Id", "Email", "FirstName", "LastName", "PasswordHash", "TenantId", "RoleId", "IsActive", "CreatedDate"], fix),
        ...requireColumns(db, "Tenants", ["Id", "Name"], fix),
      ],
      notes: [],
    };
  },
  expand() {
    return {
      source: { table: "Users", orderBy: ["CreatedDate", "Id"] },
      orgs: { table: "Tenants", orderBy: ["Id"], fields: { externalId: "Id", name: "Name", slug: "Slug", domain: "Domain", type: "Type", plan: "Plan" } },
      mapping: {
        fields: {
          externalId: "Id", email: "Email", givenName: "FirstName", familyName: "LastName", password: "PasswordHash", phone: "PhoneNumber",
          active: "IsActive", lastLoginAt: "LastLoginDate", createdAt: "CreatedDate", org: "TenantId", role: "RoleId",
        },
        phoneTo: "phones",
        metadata: { legacyTenantId: "TenantId", legacyRoleId: "RoleId", legacyCreatedDate: "CreatedDate" },
        // seed 000's ROLE_MAP
        roles: { map: { "1": "org_owner", "2": "org_admin", "3": "member", "4": "edtech_teacher", "5": "edtech_student", "6": "edtech_parent" }, default: "member" },
      },
    };
  },
});
