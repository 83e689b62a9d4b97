/**
 * A stand-in for a tedious Connection, for tests only (SQL Server cannot run on this machine).
 * It receives the real tedious `Request` objects the source builds and answers them from an
 * in-memory SQLite database: SQLite accepts T-SQL's `[bracket]` identifiers and `@p1` parameters
 * as they are, so the only rewrite is `SELECT TOP (n) …` → `SELECT … LIMIT n`. Column metadata is
 * what tedious would report for the declared SQL Server types.
 */
import Database from "better-sqlite3";
import { EventEmitter } from "node:events";
import type tedious from "tedious";
import type { ConnectionConfiguration } from "tedious";
import type { TdsConnection } from "../../../src/sources/mssql/index.js";

export interface FakeColumn {
  name: string;
  /** tedious type name as the server reports it (IntN for a nullable int, VarChar, DateTime2, …). */
  type: string;
  dataLength?: number;
  scale?: number;
}

export interface ParamSeen {
  name: string;
  type: string;
  value: unknown;
  scale?: number | undefined;
  nanosecondDelta?: number | undefined;
}

export interface FakeServer {
  db: Database.Database;
  columns: FakeColumn[];
  configs: ConnectionConfiguration[];
  statements: { sql: string; params: ParamSeen[] }[];
  /** Make the next connect fail with this error. */
  failConnect?: Error | undefined;
  /** Make the next statement whose SQL matches fail with this error. */
  failStatement?: { match: RegExp; error: Error } | undefined;
  /** Drop the connection (emit `end`) after this many statements. */
  dropAfter?: number | undefined;
  connections: number;
  /** Canned results for statements SQLite cannot run (T-SQL functions): rows, or undefined to run on SQLite. */
  answer?: ((sql: string) => Record<string, unknown>[] | undefined) | undefined;
}

export function fakeServer(db: Database.Database, columns: FakeColumn[]): FakeServer {
  return { db, columns, configs: [], statements: [], connections: 0 };
}

/** T-SQL → SQLite: TOP only. Everything else must already be valid in both. */
export function tsqlToSqlite(sql: string): string {
  const m = /^SELECT TOP \((\d+)\) /.exec(sql);
  return m ? `SELECT ${sql.slice(m[0].length)} LIMIT ${m[1]}` : sql;
}

/** A Date parameter back to the text form stored in the fake table: 7 fractional digits, like datetime2(7). */
function dateText(d: Date & { nanosecondDelta?: number }): string {
  const ticks = Math.round((d.nanosecondDelta ?? 0) * 1e7); // 100 ns units below the millisecond
  return `${d.toISOString().slice(0, 23)}${String(ticks).padStart(4, "0")}`;
}

function readValue(col: FakeColumn, v: unknown): unknown {
  if (v === null) return null;
  if (col.type === "DateTime2" && typeof v === "string") {
    const d = new Date(`${v.slice(0, 23)}Z`);
    Object.defineProperty(d, "nanosecondsDelta", { enumerable: false, value: Number(v.slice(23, 27) || "0") / 1e7 });
    return d;
  }
  if ((col.type === "BigInt" || (col.type === "IntN" && col.dataLength === 8)) && typeof v === "bigint") return String(v); // tedious: bigint as string
  if (typeof v === "bigint") return Number(v);
  return v;
}

export function fakeConnect(server: FakeServer) {
  return (config: ConnectionConfiguration): TdsConnection => {
    server.configs.push(config);
    const events = new EventEmitter();
    let open = false;
    const conn: TdsConnection = {
      connect(cb) {
        const err = server.failConnect;
        server.failConnect = undefined;
        setImmediate(() => {
          if (err) return cb(err);
          open = true;
          server.connections++;
          cb();
        });
      },
      execSql(request: tedious.Request) {
        const r = request as tedious.Request & { parameters: { name: string; type: { name: string }; value: unknown; scale?: number }[] };
        const sql = r.sqlTextOrProcedure ?? "";
        const params: ParamSeen[] = r.parameters.map((p) => ({
          name: p.name,
          type: p.type.name,
          value: p.value,
          scale: p.scale,
          nanosecondDelta: (p.value as { nanosecondDelta?: number } | null)?.nanosecondDelta,
        }));
        server.statements.push({ sql, params });
        setImmediate(() => {
          if (!open) return r.callback(Object.assign(new Error("Requests can only be made in the LoggedIn state, not the Final state"), { code: "EINVALIDSTATE" }));
          const fail = server.failStatement;
          if (fail && fail.match.test(sql)) {
            server.failStatement = undefined;
            return r.callback(fail.error);
          }
          let rows: Record<string, unknown>[];
          let names: string[];
          const canned = server.answer?.(sql);
          if (canned) {
            rows = canned;
            names = [...new Set(canned.flatMap((x) => Object.keys(x)))];
          } else try {
            const stmt = server.db.prepare(tsqlToSqlite(sql)).safeIntegers(true);
            const bind: Record<string, unknown> = {};
            for (const p of params) bind[p.name] = p.value instanceof Date ? dateText(p.value) : typeof p.value === "boolean" ? Number(p.value) : p.value;
            names = stmt.columns().map((c) => c.name);
            rows = stmt.all(bind) as Record<string, unknown>[];
          } catch (e) {
            return r.callback(e as Error);
          }
          const meta = names.map((n) => {
            const c = server.columns.find((x) => x.name === n) ?? { name: n, type: "IntN", dataLength: 4 };
            return { colName: n, type: { name: c.type }, dataLength: c.dataLength, scale: c.scale, precision: undefined };
          });
          (r as unknown as EventEmitter).emit("columnMetadata", meta);
          for (const row of rows) {
            r.emit(
              "row",
              meta.map((m, i) => ({ value: readValue(server.columns.find((x) => x.name === m.colName) ?? { name: m.colName, type: "IntN" }, row[names[i]!]), metadata: m })),
            );
          }
          r.callback(null as unknown as Error, rows.length);
          if (server.dropAfter !== undefined && --server.dropAfter === 0) {
            server.dropAfter = undefined;
            open = false;
            events.emit("end");
          }
        });
      },
      close() {
        open = false;
        events.emit("end");
      },
      on(event, listener) {
        events.on(event, listener);
        return conn;
      },
    };
    return conn;
  };
}
