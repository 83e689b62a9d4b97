import Database from "better-sqlite3";
import path from "node:path";
import type { Config } from "../config/schema.js";
import { targetKey } from "../ledger/index.js";
import type { Ledger } from "../ledger/types.js";
import type { ReconcileReport } from "./types.js";

/** What the dashboard shows: counts only (samples carry emails and stay in the command's output). */
export interface StoredReconcile {
  finishedAt: string;
  durationMs: number;
  targetUsers: number;
  legacy: ReconcileReport["legacy"];
  counts: ReconcileReport["counts"];
  driftedUsers: number;
  fix?: { direction: string; dryRun: boolean; planned: Record<string, number>; outcomes: Record<string, number> };
}

const DDL = `CREATE TABLE IF NOT EXISTS am_reconcile (
  target TEXT NOT NULL,
  finished_at TEXT NOT NULL,
  summary TEXT NOT NULL
)`;
const KEEP = 50;

function sqliteFile(url: string, cwd: string): string {
  const file = url.startsWith("sqlite:") ? url.slice("sqlite:".length) : url;
  return file === ":memory:" ? file : path.resolve(cwd, file);
}

const isPg = (url: string): boolean => /^postgres(ql)?:\/\//.test(url);

function toStored(r: ReconcileReport): StoredReconcile {
  return {
    finishedAt: new Date().toISOString(),
    durationMs: r.durationMs,
    targetUsers: r.targetUsers,
    legacy: r.legacy,
    counts: r.counts,
    driftedUsers: r.driftedUsers,
    ...(r.fix ? { fix: { direction: r.fix.direction, dryRun: r.fix.dryRun, planned: r.fix.planned, outcomes: r.fix.outcomes } } : {}),
  };
}

/**
 * Keep the last reconcile summaries in the ledger database (its own small table, last 50 per
 * target) so `status`/the dashboard can show drift without re-running reconcile.
 */
export async function saveReconcileSummary(config: Config, cwd: string, ledger: Ledger, report: ReconcileReport): Promise<void> {
  const target = targetKey(config.target);
  const stored = toStored(report);
  const url = config.ledger.url;
  if (ledger.kind === "postgres" || isPg(url)) {
    const pg = (await import("pg")).default;
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(DDL);
      await client.query("INSERT INTO am_reconcile (target, finished_at, summary) VALUES ($1, $2, $3)", [target, stored.finishedAt, JSON.stringify(stored)]);
      await client.query(
        "DELETE FROM am_reconcile WHERE target = $1 AND finished_at < (SELECT finished_at FROM am_reconcile WHERE target = $1 ORDER BY finished_at DESC OFFSET $2 LIMIT 1)",
        [target, KEEP - 1],
      );
    } finally {
      await client.end();
    }
    return;
  }
  const db = new Database(sqliteFile(url, cwd));
  try {
    db.pragma("busy_timeout = 5000");
    db.exec(DDL);
    db.prepare("INSERT INTO am_reconcile (target, finished_at, summary) VALUES (?, ?, ?)").run(target, stored.finishedAt, JSON.stringify(stored));
    db.prepare(
      "DELETE FROM am_reconcile WHERE target = ? AND finished_at < (SELECT finished_at FROM am_reconcile WHERE target = ? ORDER BY finished_at DESC LIMIT 1 OFFSET ?)",
    ).run(target, target, KEEP - 1);
  } finally {
    db.close();
  }
}

/** The latest stored summary for the configured target, or undefined (never reconciled). */
export async function lastReconcileSummary(config: Config, cwd: string): Promise<StoredReconcile | undefined> {
  const target = targetKey(config.target);
  const url = config.ledger.url;
  if (isPg(url)) {
    const pg = (await import("pg")).default;
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(DDL);
      const r = await client.query("SELECT summary FROM am_reconcile WHERE target = $1 ORDER BY finished_at DESC LIMIT 1", [target]);
      return r.rows[0] ? (JSON.parse(r.rows[0].summary as string) as StoredReconcile) : undefined;
    } finally {
      await client.end();
    }
  }
  const db = new Database(sqliteFile(url, cwd));
  try {
    db.exec(DDL);
    const s = db.prepare("SELECT summary FROM am_reconcile WHERE target = ? ORDER BY finished_at DESC LIMIT 1").pluck().get(target) as string | undefined;
    return s ? (JSON.parse(s) as StoredReconcile) : undefined;
  } finally {
    db.close();
  }
}
