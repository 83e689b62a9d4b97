import { identify } from "../hashes/index.js";
import type { HashesSchema, MappingConfig, ValidationConfig } from "../config/schema.js";
import { isSkip } from "../config/schema.js";
import { MigrationUserSchema, type Credential, type MigrationUser, type MigrationUserInput } from "../model/user.js";
import type { SourceRecord } from "../sources/types.js";
import type { Issue } from "./issues.js";
import { mapSourceUser } from "./map-source-user.js";
import { isValidEmail, normalizeEmail, toBool, toDate, toE164, toStr } from "./normalize.js";
import type { z } from "zod";

/** A legacy record after mapping: the user (when one could be built) plus everything noticed on the way. */
export interface MappedRecord {
  location: string;
  externalId?: string;
  user?: MigrationUser;
  issues: Issue[];
  /** Set when a transform chose to leave the row out. */
  skipped?: string;
  /** The raw role / tenant values, kept for audit breakdowns. */
  raw: { role?: string; org?: string };
}

export interface MapOptions {
  mapping: MappingConfig;
  validation: ValidationConfig;
  hashes: z.infer<typeof HashesSchema>;
}

/** Read a column, or a dot path for nested JSON records (`profile.firstName`). */
export function readField(row: Record<string, unknown>, column: string | undefined): unknown {
  if (column === undefined) return undefined;
  if (column in row) return row[column];
  if (!column.includes(".")) return undefined;
  let cur: unknown = row;
  for (const part of column.split(".")) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function parseParams(value: unknown): Record<string, unknown> {
  const s = toStr(value);
  if (s === undefined) return {};
  try {
    const parsed: unknown = JSON.parse(s);
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // not JSON: a plain separate salt column
  }
  return { salt: s };
}

function mapCredential(row: Record<string, unknown>, opts: MapOptions, issues: Issue[]): Credential {
  const { fields } = opts.mapping;
  const value = toStr(readField(row, fields.password));
  if (value === undefined) return { kind: "none" };
  const candidates = identify(value);
  const assumed = opts.hashes.assume;
  const format =
    assumed && (candidates.length === 0 || candidates.some((c) => c.format === assumed))
      ? assumed
      : candidates[0]?.format;
  if (!format) {
    issues.push({
      code: "unknown_hash_format",
      severity: "warning",
      field: fields.password,
      message: "password hash format not recognised; the user will need a password reset (set hashes.assume if you know it)",
    });
    return { kind: "none" };
  }
  const params = { ...opts.hashes.params, ...parseParams(readField(row, fields.passwordParams)) };
  return { kind: "hash", format, value, params };
}

export function limitName(
  value: string | undefined,
  field: string,
  opts: MapOptions,
  issues: Issue[],
): string | undefined {
  const { maxLength, onTooLong } = opts.validation.names;
  if (value === undefined || value.length <= maxLength) return value;
  if (onTooLong === "fail") {
    issues.push({ code: "name_too_long", severity: "error", field, message: `${field} is ${value.length} characters, the limit is ${maxLength}` });
    return value;
  }
  issues.push({ code: "name_too_long", severity: "warning", field, message: `${field} truncated from ${value.length} to ${maxLength} characters` });
  return value.slice(0, maxLength);
}

/** Map one legacy record to a canonical user. Never throws for bad data: problems become issues. */
export async function mapUser(record: SourceRecord & { error?: string }, opts: MapOptions): Promise<MappedRecord> {
  const { row, location } = record;
  const { fields, mapping } = { fields: opts.mapping.fields, mapping: opts.mapping };
  const issues: Issue[] = [];
  if (record.error) {
    return { location, issues: [{ code: "source_error", severity: "error", message: record.error }], raw: {} };
  }
  if (record.user) return mapSourceUser(record as SourceRecord & { user: MigrationUserInput }, opts);
  const externalId = toStr(readField(row, fields.externalId));
  const rawRole = toStr(readField(row, fields.role));
  const rawOrg = toStr(readField(row, fields.org));
  const raw = { ...(rawRole !== undefined ? { role: rawRole } : {}), ...(rawOrg !== undefined ? { org: rawOrg } : {}) };
  if (!externalId) {
    issues.push({ code: "missing_external_id", severity: "error", field: fields.externalId, message: `${fields.externalId} is empty; every user needs a legacy id` });
    return { location, issues, raw };
  }

  const email = normalizeEmail(readField(row, fields.email));
  if (!email) issues.push({ code: "no_email", severity: "error", field: fields.email, message: `${fields.email} is empty; users without an email cannot be migrated` });
  else if (!isValidEmail(email)) issues.push({ code: "invalid_email", severity: "error", field: fields.email, message: `${fields.email} is not a valid email address` });

  const metadata: Record<string, unknown> = {};
  for (const [key, column] of Object.entries(mapping.metadata)) {
    const v = readField(row, column);
    if (v !== undefined && v !== null) metadata[key] = v instanceof Date ? v.toISOString() : typeof v === "bigint" ? String(v) : v;
  }

  const phones: string[] = [];
  const rawPhone = toStr(readField(row, fields.phone));
  if (rawPhone !== undefined) {
    const e164 = mapping.phoneTo === "phones" ? toE164(rawPhone, mapping.defaultCountryCode) : undefined;
    if (e164) phones.push(e164);
    else {
      metadata.phone = rawPhone;
      if (mapping.phoneTo === "phones") {
        issues.push({ code: "invalid_phone", severity: "warning", field: fields.phone, message: `${fields.phone} is not an E.164 number; kept in metadata.phone` });
      }
    }
  }

  let role: string | undefined;
  if (rawRole !== undefined) {
    role = mapping.roles.map[rawRole];
    if (role === undefined) {
      role = mapping.roles.default;
      issues.push({ code: "unknown_role", severity: "warning", field: fields.role, message: `role ${rawRole} is not in mapping.roles.map; using "${role}"` });
    }
  } else if (fields.role) {
    role = mapping.roles.default;
  }
  const memberships =
    rawOrg !== undefined ? [{ orgExternalId: mapping.tenants[rawOrg] ?? rawOrg, roles: role ? [role] : [] }] : [];
  if (rawOrg === undefined && role !== undefined) metadata.role = role;

  const active = toBool(readField(row, fields.active));
  const createdAt = toDate(readField(row, fields.createdAt));
  const lastLoginAt = toDate(readField(row, fields.lastLoginAt));
  const givenName = limitName(toStr(readField(row, fields.givenName)), fields.givenName ?? "givenName", opts, issues);
  const familyName = limitName(toStr(readField(row, fields.familyName)), fields.familyName ?? "familyName", opts, issues);
  const displayName = limitName(toStr(readField(row, fields.displayName)), fields.displayName ?? "displayName", opts, issues);
  const profile = {
    ...(givenName !== undefined ? { givenName } : {}),
    ...(familyName !== undefined ? { familyName } : {}),
    ...(displayName !== undefined ? { displayName } : {}),
    ...optional("picture", toStr(readField(row, fields.picture))),
    ...optional("locale", toStr(readField(row, fields.locale))),
  };
  const username = toStr(readField(row, fields.username));

  const user: MigrationUser = {
    externalId,
    ...(email !== undefined ? { email } : {}),
    emailVerified: toBool(readField(row, fields.emailVerified)) ?? false,
    extraEmails: [],
    phones,
    ...(username !== undefined ? { username } : {}),
    profile,
    credential: mapCredential(row, opts, issues),
    identities: [],
    mfa: [],
    memberships,
    metadata,
    status: active === false ? "disabled" : "active",
    ...(createdAt ? { createdAt } : {}),
    ...(lastLoginAt ? { lastLoginAt } : {}),
  };

  return applyTransform(row, user, { location, externalId, issues, raw }, mapping);
}

/** Runs `mapping.transform` (when configured) over a built user: the last step of every mapping. */
export async function applyTransform(
  row: Record<string, unknown>,
  built: MigrationUser,
  ctx: { location: string; externalId: string; issues: Issue[]; raw: MappedRecord["raw"] },
  mapping: MappingConfig,
): Promise<MappedRecord> {
  const { location, externalId, issues, raw } = ctx;
  let user = built;
  if (mapping.transform) {
    try {
      const out = await mapping.transform(row, user as MigrationUserInput);
      if (isSkip(out)) {
        issues.push({ code: "transform_skip", severity: "error", message: out.reason });
        return { location, externalId, issues, skipped: out.reason, raw };
      }
      const parsed = MigrationUserSchema.safeParse(out);
      if (!parsed.success) {
        const first = parsed.error.issues[0]!;
        issues.push({ code: "invalid_record", severity: "error", field: first.path.join("."), message: `transform returned an invalid user: ${first.path.join(".")}: ${first.message}` });
        return { location, externalId, issues, raw };
      }
      user = parsed.data;
    } catch (e) {
      issues.push({ code: "transform_error", severity: "error", message: `transform threw: ${(e as Error).message ?? String(e)}` });
      return { location, externalId, issues, raw };
    }
  }
  return { location, externalId: user.externalId, user, issues, raw };
}

function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}
