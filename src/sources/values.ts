/**
 * Value conventions for SQL rows, the same for every driver so mappings don't depend on the database:
 * - integers: `number` when exactly representable, otherwise a decimal `string` (never `bigint`,
 *   which `JSON.stringify` throws on);
 * - DECIMAL/NUMERIC: `string` (exact, as the drivers return them);
 * - timestamps (PostgreSQL, MySQL/MariaDB): JS `Date`; timestamps *without* time zone are read as UTC
 *   so results don't depend on the machine's TZ; DATE columns stay `YYYY-MM-DD` strings;
 *   SQLite has no date type, so dates come back exactly as stored (text or number);
 * - binary: `Buffer` (bytes matter for password hashes; JSON-serialisable via `Buffer#toJSON`).
 */
export function jsonSafe(value: unknown): unknown {
  if (typeof value === "bigint") return safeInteger(value);
  return value;
}

export function safeInteger(v: bigint | string): number | string {
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : String(v);
}

/** Human form of a key value for locations (`Users CreatedDate=2021-03-04T00:00:00.000Z Id=42`). */
export function displayValue(value: unknown): string {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? String(value) : value.toISOString();
  if (Buffer.isBuffer(value)) return `0x${value.toString("hex")}`;
  if (value === null) return "NULL";
  return String(value);
}
