import Database from "better-sqlite3";
import { mkdirSync, statSync } from "node:fs";
import path from "node:path";
import { AuthmigrateError } from "../errors.js";
import { countsByStatus, factParams, now, toLedgerIntent, toLedgerOrg, toLedgerUser, toRunRecord, type IntentRow, type OrgRow, type RunRow, type UserRow } from "./rows.js";
import { startCheckpointer, type Checkpointer } from "./checkpointer.js";
import { LEDGER_ADDED_COLUMNS, LEDGER_DDL, UPSERT_ORG_SQL, UPSERT_USER_SQL, inFlightSql } from "./schema-sql.js";
import type { EmailClaim, Ledger, LedgerIntent, LedgerOrg, LedgerStatus, LedgerSummary, LedgerUser, LedgerUserWrite, RunKind, RunRecord } from "./types.js";

const CHUNK = 500; // keep IN (...) lists under SQLite's variable limit

export interface SqliteLedgerOptions {
  /**
   * Run WAL checkpoints (the only fsyncs in WAL + synchronous=NORMAL) in a worker thread instead
   * of inside a commit: `serve` (hook latency) and `run` (throughput). See checkpointer.ts.
   */
  backgroundCheckpoint?: boolean;
  /**
   * With `backgroundCheckpoint`: the WAL size (bytes) past which the writing connection truncates
   * the WAL itself (default 1 GiB). A backstop only: the thread keeps it near 64–200 MB, unless it
   * gets no CPU or no lock (a starved thread let it reach 23 GB once).
   */
  walLimitBytes?: number;
}

/** How many commits the writer makes between two looks at the WAL's size (a stat call). */
const WAL_CHECK_EVERY = 16;

/** The embedded default: one SQLite file, WAL mode so `status` can read while `run` writes. */
export class SqliteLedger implements Ledger {
  readonly kind = "sqlite" as const;
  private readonly db: Database.Database;
  private readonly upsertUser: Database.Statement;
  private readonly upsertOrg: Database.Statement;
  /** Built once: better-sqlite3's transaction() wrapper costs more than the one-row upsert a lazy hook writes. */
  private readonly writeUsers: (runId: number, rows: readonly LedgerUserWrite[], ts: string, settles: readonly number[]) => void;
  private readonly insertIntent: Database.Statement;
  private readonly deleteIntent: Database.Statement;
  /** `getUsers` statements by number of ids (the lazy hooks ask for one user per request). */
  private readonly selectUsers = new Map<number, Database.Statement>();

  private readonly checkpointer: Checkpointer | undefined;
  private readonly walLimitBytes: number;
  private commitsSinceWalCheck = 0;

  constructor(
    private readonly file: string,
    private readonly target: string,
    opts: SqliteLedgerOptions = {},
  ) {
    try {
      if (file !== ":memory:") mkdirSync(path.dirname(file), { recursive: true });
      this.db = new Database(file);
    } catch (e) {
      throw new AuthmigrateError("LEDGER_UNAVAILABLE", `cannot open ledger ${file}: ${(e as Error).message}`, {
        hint: "check the ledger.url path is writable",
        cause: e,
      });
    }
    this.db.pragma("journal_mode = WAL");
    // A run must survive kill -9: NORMAL is durable across process crashes in WAL mode.
    this.db.pragma("synchronous = NORMAL");
    this.db.pragma("busy_timeout = 5000");
    this.walLimitBytes = opts.walLimitBytes ?? 1024 ** 3;
    if (opts.backgroundCheckpoint && file !== ":memory:") {
      this.db.pragma("wal_autocheckpoint = 0");
      this.checkpointer = startCheckpointer(file, () => {
        if (this.db.open) this.db.pragma("wal_autocheckpoint = 1000");
      });
    }
    for (const ddl of LEDGER_DDL) this.db.exec(ddl.replace("%AUTO%", "AUTOINCREMENT"));
    for (const c of LEDGER_ADDED_COLUMNS) {
      const cols = this.db.prepare(`PRAGMA table_info(${c.table})`).all() as { name: string }[];
      if (!cols.some((x) => x.name === c.column)) this.db.exec(`ALTER TABLE ${c.table} ADD COLUMN ${c.column} ${c.type}`);
    }
    this.upsertUser = this.db.prepare(UPSERT_USER_SQL.replace("%P%", "?,?,?,?,?,?,?,?,1,?,?,?,?,?,?,?,?"));
    this.upsertOrg = this.db.prepare(UPSERT_ORG_SQL.replace("%P%", "?,?,?,?,?,?"));
    this.insertIntent = this.db.prepare("INSERT INTO am_intents (target, run_id, external_ids, created_at) VALUES (?, ?, ?, ?)");
    this.deleteIntent = this.db.prepare("DELETE FROM am_intents WHERE id = ? AND target = ?");
    this.writeUsers = this.db.transaction((runId: number, rows: readonly LedgerUserWrite[], ts: string, settles: readonly number[]) => {
      for (const r of rows) {
        this.upsertUser.run(this.target, r.externalId, r.email, r.digest, r.targetId, r.status, r.reason, r.strategy, runId, r.status === "created" ? runId : null, ts, ts, ...factParams(r));
      }
      for (const id of settles) this.deleteIntent.run(id, this.target);
    });
  }

  describe(): string {
    return `sqlite ${this.file}`;
  }

  async startRun(kind: RunKind): Promise<RunRecord> {
    const startedAt = now();
    const info = this.db
      .prepare("INSERT INTO am_runs (kind, target, started_at, status, counts) VALUES (?, ?, ?, 'running', '{}')")
      .run(kind, this.target, startedAt);
    return { id: Number(info.lastInsertRowid), kind, target: this.target, startedAt, finishedAt: null, status: "running", counts: {} };
  }

  async finishRun(id: number, status: RunRecord["status"], counts: Record<string, number>): Promise<void> {
    this.db.prepare("UPDATE am_runs SET finished_at = ?, status = ?, counts = ? WHERE id = ?").run(now(), status, JSON.stringify(counts), id);
  }

  async runProgress(id: number, progress: Record<string, unknown>): Promise<void> {
    this.db.prepare("UPDATE am_runs SET progress = ? WHERE id = ?").run(JSON.stringify({ ...progress, at: now() }), id);
  }

  async getUsers(externalIds: readonly string[]): Promise<Map<string, LedgerUser>> {
    const out = new Map<string, LedgerUser>();
    for (let i = 0; i < externalIds.length; i += CHUNK) {
      const ids = externalIds.slice(i, i + CHUNK);
      let st = this.selectUsers.get(ids.length);
      if (!st) this.selectUsers.set(ids.length, (st = this.db.prepare(`SELECT * FROM am_users WHERE target = ? AND external_id IN (${ids.map(() => "?").join(",")})`)));
      const rows = st.all(this.target, ...ids) as UserRow[];
      for (const r of rows) out.set(r.external_id, toLedgerUser(r));
    }
    return out;
  }

  async recordUsers(runId: number, rows: readonly LedgerUserWrite[], settles: readonly number[] = []): Promise<void> {
    this.writeUsers(runId, rows, now(), settles);
    this.guardWal();
  }

  /**
   * The backstop for the checkpoint thread: every few commits, a WAL past `walLimitBytes` is
   * checkpointed and truncated by this connection, inside this call (a stall, but a bounded file).
   */
  private guardWal(): void {
    if (!this.checkpointer || ++this.commitsSinceWalCheck < WAL_CHECK_EVERY) return;
    this.commitsSinceWalCheck = 0;
    let size: number;
    try {
      size = statSync(`${this.file}-wal`).size;
    } catch {
      return; // no WAL file right now: nothing to bound
    }
    if (size > this.walLimitBytes) this.db.pragma("wal_checkpoint(TRUNCATE)");
  }

  async recordIntent(runId: number, externalIds: readonly string[]): Promise<number> {
    return Number(this.insertIntent.run(this.target, runId, JSON.stringify(externalIds), now()).lastInsertRowid);
  }

  async openIntents(): Promise<LedgerIntent[]> {
    const rows = this.db.prepare("SELECT id, run_id, external_ids FROM am_intents WHERE target = ? ORDER BY id").all(this.target) as IntentRow[];
    return rows.map(toLedgerIntent);
  }

  async *listUsers(filter: { statuses?: readonly LedgerStatus[] } = {}): AsyncIterable<LedgerUser> {
    const statuses = filter.statuses ?? [];
    const where = statuses.length ? ` AND status IN (${statuses.map(() => "?").join(",")})` : "";
    let after = "";
    for (;;) {
      const rows = this.db
        .prepare(`SELECT * FROM am_users WHERE target = ? AND external_id > ?${where} ORDER BY external_id LIMIT ${CHUNK}`)
        .all(this.target, after, ...statuses) as UserRow[];
      for (const r of rows) yield toLedgerUser(r);
      if (rows.length < CHUNK) return;
      after = rows[rows.length - 1]!.external_id;
    }
  }

  async getOrgs(): Promise<Map<string, LedgerOrg>> {
    const rows = this.db.prepare("SELECT * FROM am_orgs WHERE target = ?").all(this.target) as OrgRow[];
    return new Map(rows.map((r) => [r.external_id, toLedgerOrg(r)]));
  }

  async recordOrgs(rows: readonly LedgerOrg[]): Promise<void> {
    const ts = now();
    this.db.transaction(() => {
      for (const r of rows) this.upsertOrg.run(this.target, r.externalId, r.targetId, r.status, r.reason, ts);
    })();
  }

  async resetClaims(): Promise<void> {
    this.db.prepare("DELETE FROM am_email_claims WHERE target = ?").run(this.target);
  }

  async claimEmails(claims: readonly EmailClaim[]): Promise<Map<string, string>> {
    const insert = this.db.prepare("INSERT INTO am_email_claims (target, email, external_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING");
    const select = this.db.prepare("SELECT external_id FROM am_email_claims WHERE target = ? AND email = ?").pluck();
    const owners = new Map<string, string>();
    this.db.transaction(() => {
      for (const c of claims) {
        const res = insert.run(this.target, c.email, c.externalId);
        owners.set(c.email, res.changes === 1 ? c.externalId : (select.get(this.target, c.email) as string));
      }
    })();
    this.guardWal();
    return owners;
  }

  async otherHistories(): Promise<{ target: string; users: number }[]> {
    if (this.db.prepare("SELECT 1 FROM am_users WHERE target = ? LIMIT 1").get(this.target)) return [];
    const type = this.target.split(":")[0]!;
    const rows = this.db
      .prepare("SELECT target, COUNT(*) AS n, MAX(updated_at) AS last FROM am_users WHERE target <> ? AND substr(target, 1, ?) = ? GROUP BY target ORDER BY last DESC")
      .all(this.target, type.length + 1, `${type}:`) as { target: string; n: number }[];
    return rows.map((r) => ({ target: r.target, users: Number(r.n) }));
  }

  async summary(): Promise<LedgerSummary> {
    const users = this.db.prepare("SELECT status, COUNT(*) AS n FROM am_users WHERE target = ? GROUP BY status").all(this.target) as { status: string; n: number }[];
    const orgs = this.db.prepare("SELECT status, COUNT(*) AS n FROM am_orgs WHERE target = ? GROUP BY status").all(this.target) as { status: string; n: number }[];
    const reasons = this.db
      .prepare(
        `SELECT CASE WHEN instr(reason, ':') > 0 THEN substr(reason, 1, instr(reason, ':') - 1) ELSE reason END AS reason, COUNT(*) AS n
         FROM am_users WHERE target = ? AND reason IS NOT NULL GROUP BY 1 ORDER BY n DESC LIMIT 20`,
      )
      .all(this.target) as { reason: string; n: number }[];
    const runs = this.db.prepare("SELECT * FROM am_runs WHERE target = ? ORDER BY id DESC LIMIT 10").all(this.target) as RunRow[];
    const linked = this.db.prepare("SELECT COUNT(*) AS n FROM am_users WHERE target = ? AND status = 'skipped' AND target_id IS NOT NULL").pluck().get(this.target) as number;
    const inFlight = this.db.prepare(inFlightSql("sqlite")).pluck().get(this.target) as number;
    return {
      target: this.target,
      users: countsByStatus(users, inFlight),
      linked,
      orgs: countsByStatus(orgs),
      reasons: reasons.map((r) => ({ reason: r.reason, count: Number(r.n) })),
      runs: runs.map(toRunRecord),
    };
  }

  async close(): Promise<void> {
    await this.checkpointer?.close();
    if (this.db.open) this.db.close();
  }
}
