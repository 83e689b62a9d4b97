import { z } from "zod";

/** inetOrgPerson attribute for each canonical field; override any of them (e.g. AD: `externalId: "objectGUID"`, `username: "sAMAccountName"`). */
export const LdapAttributesSchema = z
  .object({
    externalId: z.string().min(1).default("uid"),
    username: z.string().min(1).default("uid"),
    email: z.string().min(1).default("mail"),
    givenName: z.string().min(1).default("givenName"),
    familyName: z.string().min(1).default("sn"),
    /** `displayName` when the entry has one, else this (inetOrgPerson's mandatory `cn`). */
    displayName: z.string().min(1).default("cn"),
    phone: z.string().min(1).default("telephoneNumber"),
    password: z.string().min(1).default("userPassword"),
    /** Operational attribute: requested explicitly. */
    createdAt: z.string().min(1).default("createTimestamp"),
    /** Operational, requested explicitly: OpenLDAP's lastbind overlay `authTimestamp`; AD `lastLogonTimestamp` (FILETIME) works too. */
    lastLoginAt: z.string().min(1).default("authTimestamp"),
  })
  .strict();

export const LdapGroupsSchema = z
  .object({
    /** Read group membership at all. */
    enabled: z.boolean().default(true),
    /** Where groups live (default: `baseDN`'s parent search base, i.e. `groups.base` ?? the source `baseDN`). */
    base: z.string().min(1).optional(),
    filter: z.string().min(1).default("(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)(objectClass=posixGroup))"),
    /** The group's name: org externalId (`as: orgs`) or role name (`as: roles`). */
    nameAttribute: z.string().min(1).default("cn"),
    /**
     * `orgs`: each group is an organization the user is a member of (role `role`); create the orgs
     * with an `orgs` block reading this directory with `entries: "groups"`.
     * `roles`: each group is a role in the one organization `org`. `metadata`: only `metadata.groups`.
     */
    as: z.enum(["orgs", "roles", "metadata"]).default("orgs"),
    /** With `as: roles`: the org externalId every user's roles belong to. */
    org: z.string().min(1).optional(),
    /** With `as: orgs`: the role each membership gets. */
    role: z.string().min(1).default("member"),
  })
  .strict();

export const LdapDisabledSchema = z
  .object({
    /**
     * An entry with this attribute is disabled (ppolicy's `pwdAccountLockedTime` by default; 389-DS
     * `nsAccountLock`; or your own). With `values`, only those values (case-insensitive) count.
     */
    attribute: z.string().min(1).default("pwdAccountLockedTime"),
    values: z.array(z.string()).default([]),
    /** Entries under these DNs are disabled (e.g. `ou=disabled,dc=example,dc=org`). */
    bases: z.array(z.string().min(1)).default([]),
  })
  .strict();

export const LdapSourceConfigSchema = z
  .object({
    type: z.literal("ldap"),
    /** `ldap://host:389` or `ldaps://host:636`. */
    url: z.string().min(1),
    /** Bind DN; omit for an anonymous bind. */
    bindDN: z.string().min(1).optional(),
    /** Use ${ENV}: never write the password into the config file. */
    bindPassword: z.string().optional(),
    baseDN: z.string().min(1),
    filter: z.string().min(1).default("(objectClass=inetOrgPerson)"),
    scope: z.enum(["sub", "one"]).default("sub"),
    /** Entries per page of the paged-results control (RFC 2696); keep ≤ the server's size limit. */
    pageSize: z.number().int().positive().max(100_000).default(500),
    startTLS: z.boolean().default(false),
    /** PEM file of the CA that signed the server certificate (ldaps:// or startTLS). */
    caFile: z.string().min(1).optional(),
    /** Only for a test server with a self-signed certificate. */
    tlsRejectUnauthorized: z.boolean().default(true),
    timeoutMs: z.number().int().positive().default(30_000),
    attributes: LdapAttributesSchema.default(LdapAttributesSchema.parse({})),
    /** Attributes whose values are bytes (kept as Buffers, never decoded as text). userPassword is always one. */
    binaryAttributes: z.array(z.string().min(1)).default(["jpegPhoto", "objectGUID", "objectSid", "userCertificate", "thumbnailPhoto", "photo"]),
    groups: LdapGroupsSchema.default(LdapGroupsSchema.parse({})),
    disabled: LdapDisabledSchema.default(LdapDisabledSchema.parse({})),
    /** Directory-managed addresses are set by admins, not verified by users: say true if yours are verified. */
    emailVerified: z.boolean().default(false),
    /** `users` (mapped to canonical users) or `groups` (raw rows: dn, cn, description… for an `orgs` block). */
    entries: z.enum(["users", "groups"]).default("users"),
    /** Yield raw attribute rows and map them with `mapping.fields` (set automatically when the config has them). */
    raw: z.boolean().default(false),
  })
  .strict();

export type LdapSourceConfig = z.infer<typeof LdapSourceConfigSchema>;
