/**
 * Why a record was changed, skipped or failed. Codes are stable: reports, `plan --json`
 * and the ledger carry them, and scripts filter on them.
 */
export type IssueCode =
  | "missing_external_id"
  | "no_email"
  | "invalid_email"
  | "name_too_long"
  | "invalid_phone"
  | "unknown_role"
  | "unknown_hash_format"
  | "duplicate_of"
  | "inactive"
  | "transform_skip"
  | "transform_error"
  | "invalid_record"
  | "source_error";

export interface Issue {
  code: IssueCode;
  /** `error` = the user cannot be migrated as is; `warning` = migrated with a change. */
  severity: "error" | "warning";
  field?: string;
  /** One line for humans; never contains a password or hash. */
  message: string;
}

/** The `reason` string stored in the ledger/report: `no_email`, `duplicate_of:42`, … */
export function reasonOf(issues: readonly Issue[]): string | undefined {
  const errors = issues.filter((i) => i.severity === "error");
  if (errors.length === 0) return undefined;
  return errors.map((i) => (i.code === "duplicate_of" ? i.message : i.code)).join(",");
}
