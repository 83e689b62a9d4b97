import { AuthmigrateError } from "../errors.js";

/**
 * Fail before reading a single row when the mapping names a column the source doesn't have:
 * a typo would otherwise silently produce empty fields for every user.
 */
export function checkColumns(
  mapped: Record<string, string | undefined>,
  available: readonly string[],
  configPath: string,
): void {
  if (available.length === 0) return; // schemaless/empty source: nothing to check against
  const have = new Set(available);
  for (const [key, column] of Object.entries(mapped)) {
    if (column === undefined) continue;
    const root = have.has(column) ? column : column.split(".")[0]!;
    if (have.has(root)) continue;
    const near = available.find((c) => c.toLowerCase() === column.toLowerCase());
    throw new AuthmigrateError("MAPPING_UNKNOWN_COLUMN", `${configPath}.${key}: unknown column "${column}"`, {
      hint: `${near ? `did you mean "${near}"? ` : ""}available columns: ${available.join(", ")}`,
      meta: { field: `${configPath}.${key}`, column, available },
    });
  }
}
