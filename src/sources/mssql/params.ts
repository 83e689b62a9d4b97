import type tediousModule from "tedious";
import { lazyRequire } from "../../util/lazy-require.js";
import { displayValue, safeInteger } from "../values.js";

type Types = typeof tediousModule.TYPES;
/** tedious (and @azure/identity behind it) loads on the first SQL Server connection, not at start-up. */
export const tedious = lazyRequire<typeof tediousModule>("tedious");
/** One of tedious's TYPES (Int, NVarChar, DateTime2, …). */
export type DataType = Types[keyof Types];

/** What tedious tells us about one result column (a subset of its ColumnMetadata). */
export interface ColumnInfo {
  colName: string;
  type: { name: string };
  dataLength?: number | undefined;
  precision?: number | undefined;
  scale?: number | undefined;
}

/** A parameter with an explicit SQL Server type; prints as its value so locations and tie checks read naturally. */
export class TypedParam {
  constructor(
    readonly value: unknown,
    readonly type: DataType,
    readonly options: { precision?: number; scale?: number } = {},
  ) {}
  toString(): string {
    const v = this.value as Date & { nanosecondDelta?: number };
    // Two datetime2 keys in the same millisecond are different keys: show the 100 ns digits too.
    if (v instanceof Date && v.nanosecondDelta) return `${displayValue(v)}+${Math.round(v.nanosecondDelta * 1e7)}e-7s`;
    return displayValue(v);
  }
}

/**
 * Read-side types are "nullable" variants (IntN, DateTimeN, …) whose real type depends on the length;
 * as a parameter the concrete type is needed. Typing the cursor exactly like its column keeps the
 * comparison sargable: an nvarchar parameter against a varchar key converts the column and turns
 * each page's index seek into a scan.
 */
function concreteType(c: ColumnInfo): DataType | undefined {
  const TYPES = tedious().TYPES;
  const len = c.dataLength;
  switch (c.type.name) {
    case "IntN":
      return len === 1 ? TYPES.TinyInt : len === 2 ? TYPES.SmallInt : len === 8 ? TYPES.BigInt : TYPES.Int;
    case "FloatN":
      return len === 4 ? TYPES.Real : TYPES.Float;
    case "DateTimeN":
      return len === 4 ? TYPES.SmallDateTime : TYPES.DateTime;
    case "MoneyN":
      return len === 4 ? TYPES.SmallMoney : TYPES.Money;
    case "BitN":
      return TYPES.Bit;
    case "DecimalN":
      return TYPES.Decimal;
    case "NumericN":
      return TYPES.Numeric;
    default: {
      return (TYPES as Record<string, DataType>)[c.type.name];
    }
  }
}

/** Type from the JS value, when the column's type is unknown or not usable as a parameter. */
export function typeOfValue(v: unknown): DataType {
  const TYPES = tedious().TYPES;
  if (typeof v === "number") return Number.isInteger(v) ? (Math.abs(v) <= 2 ** 31 - 1 ? TYPES.Int : TYPES.BigInt) : TYPES.Float;
  if (typeof v === "bigint") return TYPES.BigInt;
  if (typeof v === "boolean") return TYPES.Bit;
  if (v instanceof Date) return TYPES.DateTime2;
  if (Buffer.isBuffer(v)) return TYPES.VarBinary;
  return TYPES.NVarChar;
}

/** The cursor value of key column `c`: same SQL type, same precision/scale, full datetime2 precision. */
export function cursorParam(raw: unknown, c: ColumnInfo | undefined): TypedParam {
  const TYPES = tedious().TYPES;
  const type = (c && concreteType(c)) ?? typeOfValue(raw);
  const options: { precision?: number; scale?: number } = {};
  if (c?.precision !== undefined && (type === TYPES.Decimal || type === TYPES.Numeric)) options.precision = c.precision;
  if (c?.scale !== undefined && [TYPES.Decimal, TYPES.Numeric, TYPES.DateTime2, TYPES.Time, TYPES.DateTimeOffset].includes(type)) {
    options.scale = c.scale;
  }
  let value = raw;
  if (raw instanceof Date) {
    // tedious reads the sub-millisecond part as `nanosecondsDelta` but writes `nanosecondDelta`:
    // carry it over, or a datetime2(7) cursor would be rounded down and the same row read again.
    const copy = new Date(raw.getTime()) as Date & { nanosecondDelta?: number };
    const delta = (raw as Date & { nanosecondsDelta?: number }).nanosecondsDelta;
    if (delta) copy.nanosecondDelta = delta;
    value = copy;
  }
  return new TypedParam(value, type, options);
}

/**
 * One row from tedious's column array to a record, following values.ts: BIGINT (which tedious
 * returns as a string) → number when exact, else string; binary stays a Buffer; dates are UTC `Date`s.
 * A repeated column name keeps the first value (a query selecting `*` from a join can repeat `Id`).
 */
export function toRecord(columns: readonly { value: unknown; metadata: ColumnInfo }[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { value, metadata } of columns) {
    if (metadata.colName in out) continue;
    const name = metadata.type.name;
    const isBig = name === "BigInt" || (name === "IntN" && metadata.dataLength === 8);
    out[metadata.colName] = isBig && typeof value === "string" ? safeInteger(value) : value;
  }
  return out;
}
