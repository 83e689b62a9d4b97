import { z } from "zod";
import type { Identity, Mfa } from "../model/user.js";
import { hasColumns, requireColumns } from "./detect.js";
import { isoOf, withRoles } from "./roles.js";
import { jsonList, stringList } from "./sql.js";
import { definePreset } from "./types.js";

const Options = z
  .object({
    /** `LockoutEnd` (ASP.NET Core Identity) or `LockoutEndDateUtc` (ASP.NET Identity 2, .NET Framework). */
    lockoutColumn: z.enum(["LockoutEnd", "LockoutEndDateUtc"]).default("LockoutEnd"),
    /** AspNetUserRoles/AspNetRoles present. */
    roles: z.boolean().default(true),
    /** AspNetUserLogins present (external logins → identities). */
    logins: z.boolean().default(true),
    /** AspNetUserTokens present (authenticator keys → TOTP MFA). Identity 2 has no such table. */
    tokens: z.boolean().default(true),
  })
  .strict();

const USER_COLUMNS = ["Id", "Email", "EmailConfirmed", "PasswordHash", "PhoneNumber", "TwoFactorEnabled", "LockoutEnabled", "UserName"];
/** ASP.NET Core's authenticator key row (UserManager.GetAuthenticatorKeyAsync). */
const TOKEN_PROVIDER = "[AspNetUserStore]";

/**
 * ASP.NET (Core) Identity: AspNetUsers with roles (AspNetUserRoles → AspNetRoles), external
 * logins (AspNetUserLogins → identities; users with no PasswordHash are social-only) and the
 * authenticator key (AspNetUserTokens → TOTP MFA when TwoFactorEnabled). Hashes: Identity v2
 * (PBKDF2-SHA1, 1000 iterations) and v3 (PBKDF2-SHA256/512) base64 blobs.
 */
export const aspnetIdentity = definePreset({
  name: "aspnet-identity",
  aliases: ["aspnet", "aspnetcore-identity"],
  title: "ASP.NET (Core) Identity",
  summary: "AspNetUsers/Roles/UserRoles/UserLogins(→ identities)/UserTokens(→ TOTP); v2/v3 hashes; TwoFactorEnabled, LockoutEnd",
  options: Options,
  hashFormats: ["aspnet-identity-v3", "aspnet-identity-v2"],
  placeholderSource: { type: "postgres", url: "postgres://app:${LEGACY_DB_PASSWORD}@localhost:5432/identity" },
  detect(db) {
    const fix = "point --source at the database behind your IdentityDbContext (schema created by EF Core migrations)";
    const missing = requireColumns(db, "AspNetUsers", USER_COLUMNS, fix);
    const notes: string[] = [];
    const users = db.tables.get("AspNetUsers");
    let lockoutColumn: "LockoutEnd" | "LockoutEndDateUtc" | undefined;
    if (users?.has("LockoutEnd")) lockoutColumn = "LockoutEnd";
    else if (users?.has("LockoutEndDateUtc")) lockoutColumn = "LockoutEndDateUtc";
    else if (users) missing.push({ table: "AspNetUsers", column: "LockoutEnd", fix });
    if (!users && db.tables.has("asp_net_users")) {
      missing[0] = { table: "AspNetUsers", fix: "found snake_case asp_net_users (EFCore.NamingConventions): map it with an explicit source.query and mapping.fields instead of the preset" };
    }
    const roles = hasColumns(db, "AspNetUserRoles", ["UserId", "RoleId"]) && hasColumns(db, "AspNetRoles", ["Id", "Name"]);
    const logins = hasColumns(db, "AspNetUserLogins", ["LoginProvider", "ProviderKey", "UserId"]);
    const tokens = hasColumns(db, "AspNetUserTokens", ["UserId", "LoginProvider", "Name", "Value"]);
    if (!roles) notes.push("no AspNetRoles/AspNetUserRoles: users get the default role");
    if (!logins) notes.push("no AspNetUserLogins: external (social) logins are not migrated");
    if (!tokens) notes.push("no AspNetUserTokens (ASP.NET Identity 2?): authenticator keys cannot be migrated; users with TwoFactorEnabled keep only metadata.twoFactorEnabled");
    return {
      options: { ...(lockoutColumn && lockoutColumn !== "LockoutEnd" ? { lockoutColumn } : {}), ...(roles ? {} : { roles: false }), ...(logins ? {} : { logins: false }), ...(tokens ? {} : { tokens: false }) },
      missing,
      notes,
    };
  },
  expand(o, { q, jsonAgg, jsonArray, str }) {
    const sel = [`SELECT u.*, NULLIF(u.${q("PasswordHash")}, '') AS ${q("am_password")}`];
    if (o.roles) sel.push(`(SELECT ${jsonAgg(`r.${q("Name")}`)} FROM ${q("AspNetUserRoles")} ur JOIN ${q("AspNetRoles")} r ON r.${q("Id")} = ur.${q("RoleId")} WHERE ur.${q("UserId")} = u.${q("Id")}) AS ${q("am_roles")}`);
    if (o.logins) sel.push(`(SELECT ${jsonAgg(jsonArray(`l.${q("LoginProvider")}`, `l.${q("ProviderKey")}`))} FROM ${q("AspNetUserLogins")} l WHERE l.${q("UserId")} = u.${q("Id")}) AS ${q("am_logins")}`);
    if (o.tokens) sel.push(`(SELECT MAX(t.${q("Value")}) FROM ${q("AspNetUserTokens")} t WHERE t.${q("UserId")} = u.${q("Id")} AND t.${q("LoginProvider")} = ${str(TOKEN_PROVIDER)} AND t.${q("Name")} = ${str("AuthenticatorKey")}) AS ${q("am_authenticator_key")}`);
    return {
      source: { query: `${sel.join(",\n  ")}\nFROM ${q("AspNetUsers")} u`, orderBy: ["Id"] },
      mapping: {
        fields: { externalId: "Id", email: "Email", emailVerified: "EmailConfirmed", username: "UserName", password: "am_password", phone: "PhoneNumber" },
        roles: { map: {}, default: "member" },
      },
      transform: (roles) => (row, user) => {
        const identities: Identity[] = [];
        for (const pair of jsonList(row.am_logins)) {
          if (!Array.isArray(pair) || !pair[0] || !pair[1]) continue;
          identities.push({ provider: String(pair[0]).toLowerCase(), providerUserId: String(pair[1]) });
        }
        const twoFactor = row.TwoFactorEnabled === true || Number(row.TwoFactorEnabled) === 1;
        const key = typeof row.am_authenticator_key === "string" ? row.am_authenticator_key.replace(/\s+/g, "") : "";
        const mfa: Mfa[] = twoFactor && key ? [{ type: "totp", secret: key }] : [];
        const lockoutEnd = isoOf(row[o.lockoutColumn]);
        const lockoutEnabled = row.LockoutEnabled === true || Number(row.LockoutEnabled) === 1;
        // Locked out now (failed attempts or an admin lock, which sets a far-future end) → disabled.
        const locked = lockoutEnabled && lockoutEnd !== undefined && new Date(lockoutEnd).getTime() > Date.now();
        const metadata: Record<string, unknown> = { ...user.metadata };
        if (twoFactor) metadata.twoFactorEnabled = true;
        if (lockoutEnd) metadata.lockoutEnd = lockoutEnd;
        if (row.PhoneNumberConfirmed !== undefined && row.PhoneNumber) metadata.phoneNumberConfirmed = row.PhoneNumberConfirmed === true || Number(row.PhoneNumberConfirmed) === 1;
        return withRoles(
          { ...user, identities: [...(user.identities ?? []), ...identities], mfa: [...(user.mfa ?? []), ...mfa], metadata, ...(locked ? { status: "disabled" as const } : {}) },
          stringList(row.am_roles),
          roles,
        );
      },
    };
  },
});
