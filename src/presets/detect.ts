import type { DbShape, Missing } from "./types.js";

/** Missing table/columns of `table`, each with the same fix. */
export function requireColumns(db: DbShape, table: string, columns: readonly string[], fix: string): Missing[] {
  const have = db.tables.get(table);
  if (!have) return [{ table, fix }];
  return columns.filter((c) => !have.has(c)).map((column) => ({ table, column, fix }));
}

export function hasColumns(db: DbShape, table: string, columns: readonly string[]): boolean {
  const have = db.tables.get(table);
  return !!have && columns.every((c) => have.has(c));
}

/** Tables whose columns include all of `columns` (to suggest a custom table name). */
export function tablesWith(db: DbShape, columns: readonly string[]): string[] {
  return [...db.tables].filter(([, cols]) => columns.every((c) => cols.has(c))).map(([t]) => t).sort();
}
