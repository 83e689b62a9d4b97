import { z } from "zod";

/**
 * The canonical user every source maps into and every target maps out of.
 * Sources never talk to targets directly: this type is the contract between them.
 */

/** A password credential as the legacy system stored it. `value` is secret: never log it. */
export const HashCredentialSchema = z.object({
  kind: z.literal("hash"),
  /** Format id from the hash engine (`bcrypt`, `keycloak-pbkdf2-sha256`, …); see docs/password-formats.md. */
  format: z.string().min(1),
  value: z.string().min(1),
  /** Inputs that live outside the hash string (separate salt column, Keycloak credentialData, pepper…). */
  params: z.record(z.string(), z.unknown()).default({}),
});
export const NoCredentialSchema = z.object({ kind: z.literal("none") });
export const CredentialSchema = z.discriminatedUnion("kind", [HashCredentialSchema, NoCredentialSchema]);

export const IdentitySchema = z.object({
  /** Normalised provider name: `google`, `github`, `microsoft`… */
  provider: z.string().min(1),
  providerUserId: z.string().min(1),
  email: z.string().optional(),
});

export const MfaSchema = z.object({ type: z.literal("totp"), secret: z.string().min(1) });

export const MembershipSchema = z.object({
  orgExternalId: z.string().min(1),
  roles: z.array(z.string().min(1)).default([]),
});

export const ProfileSchema = z.object({
  givenName: z.string().optional(),
  familyName: z.string().optional(),
  displayName: z.string().optional(),
  picture: z.string().optional(),
  locale: z.string().optional(),
});

export const UserStatusSchema = z.enum(["active", "disabled"]);

export const MigrationUserSchema = z.object({
  externalId: z.string().min(1, "externalId is required"),
  /** Normalised (trimmed, lower-cased) primary email. */
  email: z.string().optional(),
  emailVerified: z.boolean().default(false),
  extraEmails: z.array(z.string()).default([]),
  /** E.164 phone numbers, e.g. +15551234567. */
  phones: z.array(z.string().regex(/^\+[1-9]\d{1,14}$/, "phone must be E.164, e.g. +15551234567")).default([]),
  username: z.string().optional(),
  profile: ProfileSchema.default({}),
  credential: CredentialSchema.default({ kind: "none" }),
  identities: z.array(IdentitySchema).default([]),
  mfa: z.array(MfaSchema).default([]),
  memberships: z.array(MembershipSchema).default([]),
  metadata: z.record(z.string(), z.unknown()).default({}),
  status: UserStatusSchema.default("active"),
  createdAt: z.date().optional(),
  lastLoginAt: z.date().optional(),
});

export const MigrationOrgSchema = z.object({
  externalId: z.string().min(1, "externalId is required"),
  name: z.string().min(1),
  slug: z.string().min(1),
  domain: z.string().optional(),
  type: z.string().optional(),
  plan: z.string().optional(),
  metadata: z.record(z.string(), z.unknown()).default({}),
});

export type HashCredential = z.infer<typeof HashCredentialSchema>;
export type Credential = z.infer<typeof CredentialSchema>;
export type Identity = z.infer<typeof IdentitySchema>;
export type Mfa = z.infer<typeof MfaSchema>;
export type Membership = z.infer<typeof MembershipSchema>;
export type Profile = z.infer<typeof ProfileSchema>;
export type UserStatus = z.infer<typeof UserStatusSchema>;
export type MigrationUser = z.infer<typeof MigrationUserSchema>;
export type MigrationOrg = z.infer<typeof MigrationOrgSchema>;
/** What a mapping or transform may return before defaults are applied. */
export type MigrationUserInput = z.input<typeof MigrationUserSchema>;
export type MigrationOrgInput = z.input<typeof MigrationOrgSchema>;
