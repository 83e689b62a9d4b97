/**
 * The failures download uses the same columns as the engine's retry.csv
 * (src/engine/report-writer.ts: location,externalId,email,reason,retryable) so one tool reads
 * both. The ledger does not keep the source location of a record: that column says `ledger`.
 */
import { isRetryableReason, type FailureRow } from "./queries.js";

export const RETRY_CSV_HEADER = "location,externalId,email,reason,retryable";

function cell(v: string | null | undefined): string {
  let s = v ?? "";
  // A cell a spreadsheet would run as a formula (=, +, -, @) is quoted with a leading apostrophe.
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function failuresCsv(rows: readonly FailureRow[]): string {
  const lines = [RETRY_CSV_HEADER];
  for (const r of rows) lines.push(["ledger", r.externalId, r.email, r.reason, String(isRetryableReason(r.reason))].map(cell).join(","));
  return lines.join("\n") + "\n";
}
