/**
 * A running `authmigrate serve` with webhooks for five providers over a real legacy database
 * (SQLite file or PostgreSQL), plus signed-delivery builders shaped like each provider's events.
 */
import Database from "better-sqlite3";
import { generateKeyPairSync, randomUUID, type KeyObject } from "node:crypto";
import path from "node:path";
import pg from "pg";
import { parseConfig } from "../../src/config/load.js";
import { startService, type RunningService } from "../../src/server/service.js";
import type { LogEntry } from "../../src/server/log.js";
import { eventId, newWebhookSecret, signHeaders, type EmitScheme } from "../../src/simulators/webhook-emitter.js";
import { legacyConfig, tempDir, writeLegacyDb } from "../helpers.js";

export const SECRETS = {
  clerk: newWebhookSecret(),
  std: newWebhookSecret(),
  workos: "wos_webhook_secret_0123456789abcdef",
  authgear: "authgear-hook-secret-0123456789",
  preludeHmac: "prelude-shared-secret-0123456789",
};
export const PRELUDE_TOKEN = "a-shared-verification-token";

export type Provider = "clerk" | "std" | "workos" | "authgear" | "prelude" | "prelude-hmac";
export const PROVIDERS: Provider[] = ["clerk", "std", "workos", "authgear", "prelude", "prelude-hmac"];

export const preludeKeys: { privateKey: KeyObject; publicKey: KeyObject } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const JWKS_URI = "http://prelude-jwks.invalid/.well-known/jwks.json";
/** Where the configured Prelude JWKS really lives (the Prelude simulator, in the end-to-end test). */
export const preludeJwks: { url?: string } = {};
/** Serves the test JWKS without a network (startService's fetch option). */
const jwksFetch: typeof fetch = async (input, init) => {
  if (String(input) === JWKS_URI && preludeJwks.url) return fetch(preludeJwks.url, init);
  if (String(input) === JWKS_URI) return new Response(JSON.stringify({ keys: [{ ...preludeKeys.publicKey.export({ format: "jwk" }), kid: "k1", alg: "PS256" }] }), { headers: { "content-type": "application/json" } });
  return fetch(input, init);
};

export interface UserChange {
  type: "created" | "updated" | "deleted";
  targetId: string;
  externalId?: string | null;
  email?: string;
  givenName?: string;
  familyName?: string;
  /** Event time (ms); default now. */
  at?: number;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The event body a provider sends for a user change, and the id it is deduped on. */
export function eventFor(p: Provider, ch: UserChange): { id: string; body: string } {
  const at = ch.at ?? Date.now();
  const ext = ch.externalId ?? null;
  switch (p) {
    case "clerk":
    case "std": {
      const id = eventId("msg_");
      const data =
        ch.type === "deleted"
          ? { id: ch.targetId, object: "user", deleted: true, external_id: ext }
          : {
              id: ch.targetId, object: "user", external_id: ext, first_name: ch.givenName ?? null, last_name: ch.familyName ?? null,
              primary_email_address_id: "idn_1", email_addresses: ch.email ? [{ id: "idn_1", email_address: ch.email, verification: { status: "verified" } }] : [],
              phone_numbers: [], updated_at: at,
            };
      return { id, body: JSON.stringify({ data, object: "event", type: `user.${ch.type}`, timestamp: at }) };
    }
    case "workos": {
      const id = eventId("event_01");
      const data = { object: "user", id: ch.targetId, email: ch.email ?? "x@example.com", email_verified: true, first_name: ch.givenName ?? null, last_name: ch.familyName ?? null, external_id: ext, updated_at: iso(at) };
      return { id, body: JSON.stringify({ id, event: `user.${ch.type}`, data, created_at: iso(at), context: {} }) };
    }
    case "authgear": {
      const id = randomUUID();
      const type = ch.type === "updated" ? "user.profile.updated" : `user.${ch.type}`;
      const sa: Record<string, unknown> = {};
      if (ch.email) Object.assign(sa, { email: ch.email, email_verified: true });
      if (ch.givenName !== undefined) sa.given_name = ch.givenName;
      if (ch.familyName !== undefined) sa.family_name = ch.familyName;
      return { id, body: JSON.stringify({ id, seq: 1, type, payload: { user: { id: ch.targetId, is_disabled: false, standard_attributes: sa }, identities: [] }, context: { timestamp: Math.floor(at / 1000), user_id: ch.targetId } }) };
    }
    case "prelude":
    case "prelude-hmac": {
      const id = eventId("evt_");
      const type = ch.type === "updated" ? "user.profile.updated" : `user.${ch.type}`;
      const user = { id: ch.targetId, external_id: ext ?? "", profile: { first_name: ch.givenName, last_name: ch.familyName }, identifiers: ch.email ? [{ type: "email_address", value: ch.email }] : [] };
      return { id, body: JSON.stringify({ app_id: "app1", events: [{ id, type, occurred_at: iso(at), payload: { user } }] }) };
    }
  }
}

const SCHEME: Record<Provider, EmitScheme> = { clerk: "svix", std: "standard", workos: "workos", authgear: "authgear", prelude: "prelude-pss", "prelude-hmac": "prelude-hmac" };
const SECRET_OF: Record<Provider, string | undefined> = { clerk: SECRETS.clerk, std: SECRETS.std, workos: SECRETS.workos, authgear: SECRETS.authgear, prelude: undefined, "prelude-hmac": SECRETS.preludeHmac };

export function sign(p: Provider, ev: { id: string; body: string }, opts: { nowMs?: number; secret?: string } = {}): Record<string, string> {
  return signHeaders({
    scheme: SCHEME[p], id: ev.id, body: ev.body, nowMs: opts.nowMs ?? Date.now(),
    ...(p === "prelude" ? { privateKey: preludeKeys.privateKey } : { secret: opts.secret ?? SECRET_OF[p]! }),
  });
}

export interface Harness {
  dir: string;
  svc: RunningService;
  logs: LogEntry[];
  post(p: Provider, ev: { id: string; body: string }, headers?: Record<string, string>): Promise<Response>;
  /** Legacy row by Id. */
  row(id: number | string): Promise<Record<string, unknown> | undefined>;
  rowByTarget(targetId: string): Promise<Record<string, unknown> | undefined>;
  /** Number of UPDATEs the legacy Users table has seen for a row (trigger-counted). */
  updates(id: number | string): Promise<number>;
  /** Makes the legacy DB reject writes (the worker must retry). */
  failWrites(on: boolean): Promise<void>;
  /** Wait until the inbox has nothing pending. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  legacy: "sqlite" | "postgres" | "mysql";
  /** postgres:// or mysql:// URL of an empty database. */
  pgUrl?: string;
  /** Ledger (and inbox) database: default a SQLite file in the temp dir. */
  ledgerUrl?: string;
  apply?: Record<string, unknown>;
  /** Apply in a worker thread (the default) or in the serve process. */
  thread?: boolean;
}

const USERS = [
  { Id: 1, Email: "alice@example.com", FirstName: "Alice", LastName: "Old" },
  { Id: 2, Email: "bob@example.com", FirstName: "Bob", LastName: "Old" },
  { Id: 3, Email: "carol@example.com", FirstName: "Carol", LastName: "Old" },
];

export const DEFAULT_APPLY = {
  table: "Users",
  keyColumn: "Id",
  targetIdColumn: "TargetId",
  columns: { email: "Email", givenName: "FirstName", familyName: "LastName", active: "IsActive", updatedAt: "UpdatedAt" },
  onCreate: "insert",
  onDelete: "deactivate",
  insertDefaults: { RoleId: 3, CreatedDate: "$now" },
};

export async function startHarness(o: HarnessOptions): Promise<Harness> {
  const dir = tempDir("am-webhooks-");
  let source: Record<string, unknown>;
  let query: (sql: string, params?: unknown[]) => Promise<Record<string, unknown>[]>;
  let closeDb: () => Promise<void>;
  if (o.legacy === "sqlite") {
    const file = path.join(dir, "legacy.db");
    writeLegacyDb(file, USERS);
    const db = new Database(file);
    db.exec(`ALTER TABLE Users ADD COLUMN TargetId TEXT; ALTER TABLE Users ADD COLUMN UpdatedAt TEXT;
      CREATE TABLE upd_log (id TEXT); CREATE TABLE flags (fail INTEGER); INSERT INTO flags VALUES (0);
      CREATE TRIGGER users_upd AFTER UPDATE ON Users BEGIN INSERT INTO upd_log VALUES (NEW.Id); END;
      CREATE TRIGGER users_fail BEFORE UPDATE ON Users WHEN (SELECT fail FROM flags) = 1 BEGIN SELECT RAISE(ABORT, 'legacy database is locked (simulated)'); END;`);
    source = { type: "sqlite", path: "legacy.db", table: "Users", orderBy: ["Id"] };
    query = async (sql, params = []) => db.prepare(sql.replace(/\$\d+/g, "?")).all(...(params as unknown[])) as Record<string, unknown>[];
    const exec = (sql: string, params: unknown[] = []) => void db.prepare(sql.replace(/\$\d+/g, "?")).run(...params);
    closeDb = async () => void db.close();
    Object.assign(query, { exec });
  } else if (o.legacy === "mysql") {
    const mysql = await import("mysql2/promise");
    const conn = await mysql.createConnection({ uri: o.pgUrl!, multipleStatements: true });
    await conn.query(`CREATE TABLE Users (Id INT AUTO_INCREMENT PRIMARY KEY, Email VARCHAR(200), FirstName VARCHAR(200), LastName VARCHAR(200), TenantId INT, RoleId INT,
        PasswordHash TEXT, PhoneNumber TEXT, IsActive INT DEFAULT 1, LastLoginDate TEXT, CreatedDate VARCHAR(40), TargetId VARCHAR(100) UNIQUE, UpdatedAt VARCHAR(40));
      CREATE TABLE upd_log (id VARCHAR(20)); CREATE TABLE flags (fail INT); INSERT INTO flags VALUES (0);
      CREATE TRIGGER users_upd BEFORE UPDATE ON Users FOR EACH ROW BEGIN
        IF (SELECT fail FROM flags) = 1 THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'legacy database is locked (simulated)'; END IF;
        INSERT INTO upd_log VALUES (NEW.Id); END;`);
    for (const u of USERS) await conn.query("INSERT INTO Users (Email, FirstName, LastName, RoleId, IsActive, CreatedDate) VALUES (?, ?, ?, 3, 1, '2024-01-01')", [u.Email, u.FirstName, u.LastName]);
    source = { type: "mysql", url: o.pgUrl!, table: "Users", orderBy: ["Id"] };
    query = async (sql, params = []) => (await conn.query(sql.replace(/\$\d+/g, "?"), params))[0] as Record<string, unknown>[];
    closeDb = () => conn.end();
  } else {
    const pool = new pg.Pool({ connectionString: o.pgUrl!, max: 2 });
    await pool.query(`CREATE TABLE "Users" ("Id" SERIAL PRIMARY KEY, "Email" TEXT, "FirstName" TEXT, "LastName" TEXT, "TenantId" INTEGER, "RoleId" INTEGER,
        "PasswordHash" TEXT, "PhoneNumber" TEXT, "IsActive" INTEGER DEFAULT 1, "LastLoginDate" TEXT, "CreatedDate" TEXT, "TargetId" TEXT UNIQUE, "UpdatedAt" TEXT);
      CREATE TABLE upd_log (id TEXT); CREATE TABLE flags (fail INTEGER); INSERT INTO flags VALUES (0);
      CREATE FUNCTION users_upd() RETURNS trigger AS $$ BEGIN
        IF (SELECT fail FROM flags) = 1 THEN RAISE EXCEPTION 'legacy database is locked (simulated)'; END IF;
        INSERT INTO upd_log VALUES (NEW."Id"); RETURN NEW; END $$ LANGUAGE plpgsql;
      CREATE TRIGGER users_upd BEFORE UPDATE ON "Users" FOR EACH ROW EXECUTE FUNCTION users_upd();`);
    for (const u of USERS) await pool.query(`INSERT INTO "Users" ("Email","FirstName","LastName","RoleId","IsActive","CreatedDate") VALUES ($1,$2,$3,3,1,'2024-01-01')`, [u.Email, u.FirstName, u.LastName]);
    source = { type: "postgres", url: o.pgUrl!, table: "Users", orderBy: ["Id"] };
    query = async (sql, params = []) => (await pool.query(sql.replace(/\b(Users|Id|TargetId)\b/g, '"$1"'), params)).rows;
    closeDb = () => pool.end();
  }
  const logs: LogEntry[] = [];
  const config = parseConfig(
    legacyConfig({
      source: source as never,
      orgs: undefined as never,
      ledger: { url: o.ledgerUrl ?? "ledger.sqlite" },
      serve: {
        secret: "serve-secret-0123456789",
        webhooks: {
          providers: {
            clerk: { secret: SECRETS.clerk },
            std: { scheme: "standard", secret: SECRETS.std },
            workos: { secret: SECRETS.workos, toleranceSec: 180 },
            authgear: { secret: SECRETS.authgear, maxEventAgeSec: 3 * 24 * 3600 },
            prelude: { verificationToken: PRELUDE_TOKEN, jwksUri: JWKS_URI },
            "prelude-hmac": { scheme: "prelude", signature: "hmac", secret: SECRETS.preludeHmac, verificationToken: PRELUDE_TOKEN },
          },
          apply: { legacy: o.apply ?? DEFAULT_APPLY, ledger: true },
          worker: { intervalMs: 20, backoffMs: 50, maxAttempts: 4, thread: o.thread ?? true },
        },
      } as never,
    }),
  );
  const svc = await startService(config, dir, { port: 0, log: (e) => logs.push(e), fetch: jwksFetch });
  const sqliteExec = (query as unknown as { exec?: (s: string, p?: unknown[]) => void }).exec;
  return {
    dir,
    svc,
    logs,
    post: (p, ev, headers) =>
      fetch(`${svc.url}/webhooks/${p}`, { method: "POST", headers: { "content-type": "application/json", ...(headers ?? sign(p, ev)) }, body: ev.body }),
    row: async (id) => (await query("SELECT * FROM Users WHERE Id = $1", [Number(id)]))[0],
    rowByTarget: async (t) => (await query("SELECT * FROM Users WHERE TargetId = $1", [t]))[0],
    updates: async (id) => (await query("SELECT id FROM upd_log")).filter((r) => String(r.id) === String(id)).length,
    failWrites: async (on) => {
      if (sqliteExec) sqliteExec("UPDATE flags SET fail = ?", [on ? 1 : 0]);
      else await query("UPDATE flags SET fail = $1", [on ? 1 : 0]);
    },
    settled: async () => {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const c = await svc.webhooks!.inbox.counts();
        if (c.pending === 0) return;
        if (Date.now() > deadline) throw new Error(`inbox still has ${c.pending} pending events`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    close: async () => {
      await svc.close();
      await closeDb();
    },
  };
}
