import pg from "pg";
import { AuthmigrateError } from "../errors.js";
import { parseDbUrl, unreachable, type DbTarget } from "../sources/db-url.js";
import { countsByStatus, factParams, now, toLedgerIntent, toLedgerOrg, toLedgerUser, toRunRecord, type IntentRow, type OrgRow, type RunRow, type UserRow } from "./rows.js";
import { LEDGER_ADDED_COLUMNS, LEDGER_DDL, UPSERT_ORG_SQL, UPSERT_USER_SQL, USER_UPSERT_PARAMS, inFlightSql } from "./schema-sql.js";
import type { EmailClaim, Ledger, LedgerIntent, LedgerOrg, LedgerStatus, LedgerSummary, LedgerUser, LedgerUserWrite, RunKind, RunRecord } from "./types.js";

const PAGE = 1000;

/** A shared ledger on PostgreSQL: what teams use when several operators or machines run the migration. */
export class PostgresLedger implements Ledger {
  readonly kind = "postgres" as const;
  private readonly pool: pg.Pool;
  private readonly db: DbTarget;
  private ready: Promise<void> | undefined;

  constructor(
    url: string,
    private readonly target: string,
  ) {
    this.db = parseDbUrl(url, "PostgreSQL", 5432);
    this.pool = new pg.Pool({ connectionString: url, max: 4 });
    // An idle client error must not crash the process; the next query reports it.
    this.pool.on("error", () => undefined);
  }

  describe(): string {
    return `postgres ${this.db.host}:${this.db.port}/${this.db.database}`;
  }

  private init(): Promise<void> {
    this.ready ??= (async () => {
      try {
        const client = await this.pool.connect();
        try {
          // Serialise DDL between processes starting at the same time.
          await client.query("SELECT pg_advisory_lock(727274)");
          for (const ddl of LEDGER_DDL) await client.query(ddl.replace("INTEGER PRIMARY KEY %AUTO%", "BIGSERIAL PRIMARY KEY"));
          for (const c of LEDGER_ADDED_COLUMNS) await client.query(`ALTER TABLE ${c.table} ADD COLUMN IF NOT EXISTS ${c.column} ${c.type}`);
          await client.query("SELECT pg_advisory_unlock(727274)");
        } finally {
          client.release();
        }
      } catch (e) {
        this.ready = undefined;
        throw unreachable("the PostgreSQL ledger", this.db, e, "LEDGER_UNAVAILABLE");
      }
    })();
    return this.ready;
  }

  private async q<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<R[]> {
    await this.init();
    try {
      return (await this.pool.query<R>(sql, params)).rows;
    } catch (e) {
      throw new AuthmigrateError("LEDGER_QUERY_FAILED", `ledger query failed on ${this.describe()}: ${(e as Error).message}`, { cause: e, retryable: true });
    }
  }

  /** One statement on the ledger's pool, for extensions that keep their tables beside it (src/engine/scale/). */
  query<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<R[]> {
    return this.q<R>(sql, params);
  }

  async startRun(kind: RunKind): Promise<RunRecord> {
    const startedAt = now();
    const [row] = await this.q<{ id: string }>(
      "INSERT INTO am_runs (kind, target, started_at, status, counts) VALUES ($1, $2, $3, 'running', '{}') RETURNING id",
      [kind, this.target, startedAt],
    );
    return { id: Number(row!.id), kind, target: this.target, startedAt, finishedAt: null, status: "running", counts: {} };
  }

  async finishRun(id: number, status: RunRecord["status"], counts: Record<string, number>): Promise<void> {
    await this.q("UPDATE am_runs SET finished_at = $1, status = $2, counts = $3 WHERE id = $4", [now(), status, JSON.stringify(counts), id]);
  }

  async runProgress(id: number, progress: Record<string, unknown>): Promise<void> {
    await this.q("UPDATE am_runs SET progress = $1 WHERE id = $2", [JSON.stringify({ ...progress, at: now() }), id]);
  }

  async getUsers(externalIds: readonly string[]): Promise<Map<string, LedgerUser>> {
    if (externalIds.length === 0) return new Map();
    const rows = await this.q<UserRow>("SELECT * FROM am_users WHERE target = $1 AND external_id = ANY($2::text[])", [this.target, externalIds]);
    return new Map(rows.map((r) => [r.external_id, toLedgerUser(r)]));
  }

  async recordUsers(runId: number, rows: readonly LedgerUserWrite[], settles: readonly number[] = []): Promise<void> {
    if (rows.length === 0 && settles.length === 0) return;
    await this.init();
    const ts = now();
    const client = await this.pool.connect();
    try {
      await client.query("BEGIN");
      // One multi-row statement per chunk: one round trip instead of one per user.
      for (let i = 0; i < rows.length; i += 500) {
        const chunk = rows.slice(i, i + 500);
        const values: unknown[] = [];
        const tuples = chunk.map((r, j) => {
          values.push(this.target, r.externalId, r.email, r.digest, r.targetId, r.status, r.reason, r.strategy, runId, r.status === "created" ? runId : null, ts, ts, ...factParams(r));
          const b = j * USER_UPSERT_PARAMS;
          const p = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, k) => `$${b + from + k}`).join(",");
          return `(${p(1, 8)},1,${p(9, USER_UPSERT_PARAMS)})`;
        });
        await client.query(UPSERT_USER_SQL.replace("(%P%)", tuples.join(",")), values);
      }
      if (settles.length) await client.query("DELETE FROM am_intents WHERE target = $1 AND id = ANY($2::bigint[])", [this.target, settles]);
      await client.query("COMMIT");
    } catch (e) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw new AuthmigrateError("LEDGER_QUERY_FAILED", `ledger write failed on ${this.describe()}: ${(e as Error).message}`, { cause: e, retryable: true });
    } finally {
      client.release();
    }
  }

  async recordIntent(runId: number, externalIds: readonly string[]): Promise<number> {
    const [row] = await this.q<{ id: string }>("INSERT INTO am_intents (target, run_id, external_ids, created_at) VALUES ($1, $2, $3, $4) RETURNING id", [
      this.target,
      runId,
      JSON.stringify(externalIds),
      now(),
    ]);
    return Number(row!.id);
  }

  async openIntents(): Promise<LedgerIntent[]> {
    return (await this.q<IntentRow>("SELECT id, run_id, external_ids FROM am_intents WHERE target = $1 ORDER BY id", [this.target])).map(toLedgerIntent);
  }

  async *listUsers(filter: { statuses?: readonly LedgerStatus[] } = {}): AsyncIterable<LedgerUser> {
    const statuses = filter.statuses ?? [];
    let after = "";
    for (;;) {
      const rows = await this.q<UserRow>(
        `SELECT * FROM am_users WHERE target = $1 AND external_id > $2 ${statuses.length ? "AND status = ANY($3::text[])" : ""} ORDER BY external_id LIMIT ${PAGE}`,
        statuses.length ? [this.target, after, statuses] : [this.target, after],
      );
      for (const r of rows) yield toLedgerUser(r);
      if (rows.length < PAGE) return;
      after = rows[rows.length - 1]!.external_id;
    }
  }

  async getOrgs(): Promise<Map<string, LedgerOrg>> {
    const rows = await this.q<OrgRow>("SELECT * FROM am_orgs WHERE target = $1", [this.target]);
    return new Map(rows.map((r) => [r.external_id, toLedgerOrg(r)]));
  }

  async recordOrgs(rows: readonly LedgerOrg[]): Promise<void> {
    const ts = now();
    for (const r of rows) {
      await this.q(UPSERT_ORG_SQL.replace("%P%", "$1,$2,$3,$4,$5,$6"), [this.target, r.externalId, r.targetId, r.status, r.reason, ts]);
    }
  }

  async resetClaims(): Promise<void> {
    await this.q("DELETE FROM am_email_claims WHERE target = $1", [this.target]);
  }

  async claimEmails(claims: readonly EmailClaim[]): Promise<Map<string, string>> {
    const owners = new Map<string, string>();
    if (claims.length === 0) return owners;
    // Within one call, the first claimant in order wins; across calls, the stored claim wins.
    const first = new Map<string, string>();
    for (const c of claims) if (!first.has(c.email)) first.set(c.email, c.externalId);
    const emails = [...first.keys()];
    await this.q(
      `INSERT INTO am_email_claims (target, email, external_id)
       SELECT $1, e, i FROM unnest($2::text[], $3::text[]) AS t(e, i) ON CONFLICT DO NOTHING`,
      [this.target, emails, emails.map((e) => first.get(e)!)],
    );
    const rows = await this.q<{ email: string; external_id: string }>(
      "SELECT email, external_id FROM am_email_claims WHERE target = $1 AND email = ANY($2::text[])",
      [this.target, emails],
    );
    for (const r of rows) owners.set(r.email, r.external_id);
    return owners;
  }

  async otherHistories(): Promise<{ target: string; users: number }[]> {
    if ((await this.q("SELECT 1 FROM am_users WHERE target = $1 LIMIT 1", [this.target])).length) return [];
    const type = this.target.split(":")[0]!;
    const rows = await this.q<{ target: string; n: string }>(
      "SELECT target, COUNT(*) AS n, MAX(updated_at) AS last FROM am_users WHERE target <> $1 AND left(target, $2) = $3 GROUP BY target ORDER BY last DESC",
      [this.target, type.length + 1, `${type}:`],
    );
    return rows.map((r) => ({ target: r.target, users: Number(r.n) }));
  }

  async summary(): Promise<LedgerSummary> {
    const users = await this.q<{ status: string; n: string }>("SELECT status, COUNT(*) AS n FROM am_users WHERE target = $1 GROUP BY status", [this.target]);
    const orgs = await this.q<{ status: string; n: string }>("SELECT status, COUNT(*) AS n FROM am_orgs WHERE target = $1 GROUP BY status", [this.target]);
    const reasons = await this.q<{ reason: string; n: string }>(
      "SELECT split_part(reason, ':', 1) AS reason, COUNT(*) AS n FROM am_users WHERE target = $1 AND reason IS NOT NULL GROUP BY 1 ORDER BY n DESC LIMIT 20",
      [this.target],
    );
    const runs = await this.q<RunRow>("SELECT * FROM am_runs WHERE target = $1 ORDER BY id DESC LIMIT 10", [this.target]);
    const [linked] = await this.q<{ n: string }>("SELECT COUNT(*) AS n FROM am_users WHERE target = $1 AND status = 'skipped' AND target_id IS NOT NULL", [this.target]);
    const [inFlight] = await this.q<{ n: string }>(inFlightSql("postgres"), [this.target]);
    return {
      target: this.target,
      users: countsByStatus(users, inFlight!.n),
      linked: Number(linked!.n),
      orgs: countsByStatus(orgs),
      reasons: reasons.map((r) => ({ reason: r.reason, count: Number(r.n) })),
      runs: runs.map(toRunRecord),
    };
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
