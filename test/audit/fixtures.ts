import { parseConfig } from "../../src/config/load.js";
import type { Config, ConfigInput } from "../../src/config/schema.js";
import { mapUser, type MappedRecord } from "../../src/mapping/map-user.js";

export const AS_OF = new Date("2024-06-30T12:00:00Z");
const DAY = 86_400_000;

/** `YYYY-MM-DD HH:MM:SS` (UTC, zone-less like a SQL Server DATETIME) `days` before AS_OF, plus `sec` seconds. */
export function ago(days: number, sec = 0): string {
  return new Date(AS_OF.getTime() - days * DAY + sec * 1000).toISOString().slice(0, 19).replace("T", " ");
}

export const BCRYPT = "$2b$12$LJ3m4ys3Lk0TSwHiPbUXR.ZaWgmFLfD5hsOqpDumNcBEkb/FumBcG";
export const KEYCLOAK = '{"value":"c2VjcmV0LWRlcml2ZWQta2V5LTEyMzQ1Ng==","salt":"c2FsdA=="}';

export interface LegacyRow {
  Id: number | null;
  Email: string | null;
  FirstName: string | null;
  LastName: string | null;
  IsActive: number | null;
  RoleId: number | null;
  TenantId: string | null;
  LastLoginDate: string | null;
  PasswordHash: string | null;
}

const row = (r: Partial<LegacyRow> & { Id: number | null }): LegacyRow => ({
  Email: null,
  FirstName: "First",
  LastName: "Last",
  IsActive: 1,
  RoleId: 3,
  TenantId: "10",
  LastLoginDate: null,
  PasswordHash: BCRYPT,
  ...r,
});

/**
 * Legacy `Users` rows in the seed's shape. Every row maps to a user (so SQL and compute see the
 * same population); the crafted cases are in the comments.
 */
export const ROWS: LegacyRow[] = [
  row({ Id: 1, Email: "jane@school.edu", RoleId: 1, LastLoginDate: ago(1) }),
  // same email, other case + whitespace: a duplicate the seed's GROUP BY Email misses
  row({ Id: 2, Email: "  Jane@School.edu ", RoleId: 3, LastLoginDate: ago(29) }),
  // inactive duplicate: counted in duplicates, never in the activity buckets
  row({ Id: 3, Email: "JANE@school.edu", IsActive: 0, RoleId: 3, TenantId: "20", LastLoginDate: ago(5) }),
  // exactly 30 days: not "> now - 30 days" -> active_90d
  row({ Id: 4, Email: "bob@x.org", RoleId: 4, TenantId: "20", LastLoginDate: ago(30) }),
  // one second inside 30 days -> active_30d
  row({ Id: 5, Email: "carol@x.org", RoleId: 4, TenantId: "20", LastLoginDate: ago(30, 1) }),
  // exactly 90 days -> inactive_1y
  row({ Id: 6, Email: "dave@x.org", RoleId: 5, TenantId: null, LastLoginDate: ago(90) }),
  // exactly 365 days -> dormant
  row({ Id: 7, Email: "erin@x.org", RoleId: 5, TenantId: null, LastLoginDate: ago(365) }),
  // 364 days -> inactive_1y
  row({ Id: 8, Email: "frank@x.org", RoleId: 6, LastLoginDate: ago(364), PasswordHash: null }),
  // no email, never logged in -> missing email, dormant
  row({ Id: 9, Email: null, RoleId: 6, LastLoginDate: null }),
  // whitespace-only email -> missing; no role -> default role
  row({ Id: 10, Email: "   ", RoleId: null, LastLoginDate: ago(100) }),
  // invalid email; unknown role 9 -> default; unrecognised password
  row({ Id: 11, Email: "not-an-email", RoleId: 9, LastLoginDate: ago(2), PasswordHash: "plaintext-password" }),
  // duplicate of bob with other case; Keycloak JSON credential
  row({ Id: 12, Email: "Bob@X.org", RoleId: 4, TenantId: "30", LastLoginDate: ago(200), PasswordHash: KEYCLOAK }),
  // login in the future (clock skew) -> active_30d
  row({ Id: 13, Email: "gina@x.org", RoleId: 2, LastLoginDate: ago(-1) }),
  // name longer than 100 characters; NULL IsActive counts as active
  row({ Id: 14, Email: "hank@x.org", FirstName: "H".repeat(101), IsActive: null, RoleId: 2, LastLoginDate: ago(45), PasswordHash: "" }),
  // inactive, no login
  row({ Id: 15, Email: "ivy@x.org", IsActive: 0, RoleId: 1, TenantId: "30", LastLoginDate: null }),
];

export const CONFIG_INPUT: ConfigInput = {
  source: { type: "postgres", url: "postgres://localhost/legacy", table: "Users" },
  mapping: {
    fields: {
      externalId: "Id",
      email: "Email",
      givenName: "FirstName",
      familyName: "LastName",
      active: "IsActive",
      role: "RoleId",
      org: "TenantId",
      lastLoginAt: "LastLoginDate",
      password: "PasswordHash",
    },
    roles: {
      map: { "1": "org_owner", "2": "org_admin", "3": "member", "4": "edtech_teacher", "5": "edtech_student", "6": "edtech_parent" },
      default: "member",
    },
    tenants: { "10": "springfield" },
  },
  target: { type: "file", path: "out.jsonl" },
};

export function makeConfig(overrides: Partial<ConfigInput> = {}): Config {
  return parseConfig({ ...CONFIG_INPUT, ...overrides });
}

export async function mapRows(rows: readonly Record<string, unknown>[], config: Config = makeConfig()): Promise<MappedRecord[]> {
  const opts = { mapping: config.mapping, validation: config.validation, hashes: config.hashes };
  const out: MappedRecord[] = [];
  let i = 0;
  for (const r of rows) out.push(await mapUser({ row: r as Record<string, unknown>, location: `Users#${++i}` }, opts));
  return out;
}

export async function* stream<T>(items: readonly T[]): AsyncGenerator<T> {
  for (const it of items) yield it;
}
