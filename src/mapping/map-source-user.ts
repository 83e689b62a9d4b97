import { MigrationUserSchema, type MigrationUser, type MigrationUserInput } from "../model/user.js";
import type { SourceRecord } from "../sources/types.js";
import type { Issue } from "./issues.js";
import { applyTransform, limitName, readField, type MapOptions, type MappedRecord } from "./map-user.js";
import { isValidEmail, normalizeEmail } from "./normalize.js";

/**
 * A user the source built itself (provider exports). It gets the same checks as a field-mapped user
 * — email required and valid, name length limits, `hashes.params` merged into the credential —
 * then `mapping.metadata` (columns of the raw export record) and `mapping.transform` apply on top.
 */
export async function mapSourceUser(record: SourceRecord & { user: MigrationUserInput }, opts: MapOptions): Promise<MappedRecord> {
  const { row, location } = record;
  const issues: Issue[] = [...(record.issues ?? [])];
  const parsed = MigrationUserSchema.safeParse(record.user);
  if (!parsed.success) {
    const first = parsed.error.issues[0]!;
    const field = first.path.join(".");
    const externalId = typeof record.user.externalId === "string" && record.user.externalId ? record.user.externalId : undefined;
    const code = field === "externalId" ? "missing_external_id" : "invalid_record";
    issues.push({ code, severity: "error", field, message: `${field || "record"}: ${first.message}` });
    return { location, ...(externalId ? { externalId } : {}), issues, raw: {} };
  }
  const user: MigrationUser = parsed.data;
  const first = user.memberships[0];
  const raw = { ...(first?.roles[0] !== undefined ? { role: first.roles[0] } : {}), ...(first ? { org: first.orgExternalId } : {}) };

  const email = normalizeEmail(user.email);
  if (email === undefined) {
    delete user.email;
    issues.push({ code: "no_email", severity: "error", field: "email", message: "the export has no email for this user; users without an email cannot be migrated" });
  } else {
    user.email = email;
    if (!isValidEmail(email)) issues.push({ code: "invalid_email", severity: "error", field: "email", message: "email is not a valid email address" });
  }

  for (const key of ["givenName", "familyName", "displayName"] as const) {
    const v = limitName(user.profile[key], key, opts, issues);
    if (v !== undefined) user.profile[key] = v;
  }
  if (user.credential.kind === "hash") user.credential.params = { ...opts.hashes.params, ...user.credential.params };
  for (const [key, column] of Object.entries(opts.mapping.metadata)) {
    const v = readField(row, column);
    if (v !== undefined && v !== null) user.metadata[key] = v instanceof Date ? v.toISOString() : v;
  }
  return applyTransform(row, user, { location, externalId: user.externalId, issues, raw }, opts.mapping);
}
