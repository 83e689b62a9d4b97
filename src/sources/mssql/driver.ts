import type tediousModule from "tedious";
import type { ConnectionConfiguration } from "tedious";
import { cursorParam, tedious, toRecord, TypedParam, typeOfValue, type ColumnInfo } from "./params.js";

/**
 * The part of a tedious Connection the source uses. Tests substitute a fake here — the only seam:
 * SQL text, typed parameters and row events all go through tedious's real Request.
 */
export interface TdsConnection {
  connect(callback: (err?: Error) => void): void;
  execSql(request: tediousModule.Request): void;
  close(): void;
  on(event: "error" | "end", listener: (...args: unknown[]) => void): unknown;
}

export type ConnectionFactory = (config: ConnectionConfiguration) => TdsConnection;

export const tediousConnection: ConnectionFactory = (config) => new (tedious().Connection)(config) as unknown as TdsConnection;

export interface Result {
  columns: ColumnInfo[];
  rows: Record<string, unknown>[];
}

/** Opens a connection; resolves once logged in (tedious connects on `connect()`, errors via its callback). */
export function open(factory: ConnectionFactory, config: ConnectionConfiguration, onEnd: () => void): Promise<TdsConnection> {
  return new Promise((resolve, reject) => {
    const conn = factory(config);
    // A dropped connection is emitted as an event; without a listener it would crash the process.
    // The next request fails (or reconnects, see index.ts) and is reported through the normal path.
    conn.on("error", () => {});
    conn.on("end", onEnd);
    conn.connect((err) => (err ? reject(err) : resolve(conn)));
  });
}

/** Runs one statement with parameters `@p1…@pn`; plain values get a type from their JS value. */
export function exec(conn: TdsConnection, sql: string, params: readonly unknown[]): Promise<Result> {
  return new Promise((resolve, reject) => {
    let columns: ColumnInfo[] = [];
    const rows: Record<string, unknown>[] = [];
    const request = new (tedious().Request)(sql, (err) => (err ? reject(err) : resolve({ columns, rows })));
    params.forEach((p, i) => {
      const t = p instanceof TypedParam ? p : new TypedParam(p, typeOfValue(p));
      request.addParameter(`p${i + 1}`, t.type, t.value, t.options);
    });
    request.on("columnMetadata", (cols) => {
      columns = (Array.isArray(cols) ? cols : Object.values(cols)) as unknown as ColumnInfo[];
    });
    request.on("row", (cols) => rows.push(toRecord(cols as unknown as { value: unknown; metadata: ColumnInfo }[])));
    conn.execSql(request);
  });
}

export { cursorParam };
