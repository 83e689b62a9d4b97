import { randomBytes, randomUUID } from "node:crypto";
import type { TwoFactorRow } from "./two-factor.js";
import path from "node:path";
import Database from "better-sqlite3";
import { Kysely, PostgresDialect, SqliteDialect } from "kysely";
import pg from "pg";
import type { BetterAuthOptions, BetterAuthPlugin } from "better-auth";
import { AuthmigrateError } from "../../errors.js";

/**
 * One database layer for SQLite and PostgreSQL: kysely, the same query builder better-auth
 * uses internally, so our rows and better-auth's migrations see the same schema.
 * Column names are better-auth's defaults (camelCase, table `user`).
 */

export type DbType = "sqlite" | "postgres";

/** SQLite stores booleans as 0/1 and dates as ISO strings (what better-auth's kysely adapter writes). */
type Bool = boolean | number;
type Timestamp = Date | string;

export interface UserRow {
  id: string;
  name: string;
  email: string;
  emailVerified: Bool;
  image: string | null;
  createdAt: Timestamp;
  updatedAt: Timestamp;
  /** admin plugin (only when the column exists). */
  banned?: Bool | null;
  banReason?: string | null;
  /** admin plugin: global roles, comma-separated (only when the column exists). */
  role?: string | null;
  /** twoFactor plugin (only with the target's `twoFactor` option). */
  twoFactorEnabled?: Bool | null;
}

export interface AccountRow {
  id: string;
  accountId: string;
  providerId: string;
  userId: string;
  password: string | null;
  createdAt: Timestamp;
  updatedAt: Timestamp;
}

export interface OrganizationRow {
  id: string;
  name: string;
  slug: string;
  logo: string | null;
  metadata: string | null;
  createdAt: Timestamp;
}

export interface MemberRow {
  id: string;
  organizationId: string;
  userId: string;
  role: string;
  createdAt: Timestamp;
}

export interface BetterAuthTables {
  user: UserRow;
  account: AccountRow;
  session: { id: string; userId: string };
  organization: OrganizationRow;
  member: MemberRow;
  invitation: { id: string; inviterId: string };
  twoFactor: TwoFactorRow;
}

export interface BetterAuthDb {
  db: Kysely<BetterAuthTables>;
  type: DbType;
  /** Human description safe to print (no password from a URL). */
  describe: string;
  /** Value conversions for this dialect. */
  bool(v: boolean): Bool;
  date(d: Date): Timestamp;
  close(): Promise<void>;
}

const PG_URL = /^postgres(ql)?:\/\//i;

/** `database` option: a SQLite file path (relative to `cwd`) or a `postgres://` URL. */
export function openDatabase(database: string, cwd: string): BetterAuthDb {
  if (PG_URL.test(database)) {
    const pool = new pg.Pool({ connectionString: database, max: 4 });
    // An idle client losing its connection must not crash the process; the next query reports it.
    pool.on("error", () => {});
    const db = new Kysely<BetterAuthTables>({ dialect: new PostgresDialect({ pool }) });
    return {
      db,
      type: "postgres",
      describe: redactUrl(database),
      bool: (v) => v,
      date: (d) => d,
      close: () => db.destroy(),
    };
  }
  const file = path.resolve(cwd, database);
  let sqlite: Database.Database;
  try {
    sqlite = new Database(file);
  } catch (e) {
    throw new AuthmigrateError("TARGET_CONNECT_FAILED", `Cannot open SQLite database ${file}`, {
      hint: "Check that the directory exists and is writable (target.database is relative to the config file).",
      cause: e,
    });
  }
  // The app may be running against the same file: wait for its locks instead of failing.
  sqlite.pragma("busy_timeout = 5000");
  // Per connection only: makes deletes cascade like PostgreSQL does.
  sqlite.pragma("foreign_keys = ON");
  const db = new Kysely<BetterAuthTables>({ dialect: new SqliteDialect({ database: sqlite }) });
  return {
    db,
    type: "sqlite",
    describe: file,
    bool: (v) => (v ? 1 : 0),
    date: (d) => d.toISOString(),
    close: () => db.destroy(),
  };
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "postgres://…";
  }
}

export type IdFormat = "random" | "uuid";

const ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/** Ids shaped like better-auth's defaults: 32 random alphanumerics, or a UUID when the app uses `generateId: "uuid"`. */
export function newId(format: IdFormat): string {
  if (format === "uuid") return randomUUID();
  let out = "";
  while (out.length < 32) {
    for (const b of randomBytes(40)) {
      // 248 = 62 * 4: reject the tail so every character is equally likely.
      if (b < 248 && out.length < 32) out += ALPHABET[b % 62];
    }
  }
  return out;
}

/**
 * The better-auth options whose schema we create: what an app using email+password
 * (and the organization / admin plugins when enabled) migrates to.
 */
export async function schemaOptions(
  handle: BetterAuthDb,
  opts: { organizations: boolean; admin: boolean; idFormat: IdFormat; twoFactor?: { secret: string } | undefined },
): Promise<BetterAuthOptions> {
  const plugins: BetterAuthPlugin[] = [];
  if (opts.organizations) {
    const { organization } = await import("better-auth/plugins/organization");
    plugins.push(organization());
  }
  if (opts.admin) {
    const { admin } = await import("better-auth/plugins/admin");
    plugins.push(admin());
  }
  if (opts.twoFactor) {
    const { twoFactor } = await import("better-auth/plugins/two-factor");
    plugins.push(twoFactor());
  }
  return {
    database: { db: handle.db as unknown as Kysely<unknown>, type: handle.type },
    emailAndPassword: { enabled: true },
    plugins,
    logger: { disabled: true },
    ...(opts.idFormat === "uuid" ? { advanced: { database: { generateId: "uuid" } } } : {}),
  };
}

/** Columns of `table` as they exist now (plugins the app uses may have added some). */
export async function tableColumns(handle: BetterAuthDb, table: string): Promise<Set<string>> {
  const tables = await handle.db.introspection.getTables();
  const t = tables.find((x) => x.name === table);
  return new Set(t?.columns.map((c) => c.name) ?? []);
}
