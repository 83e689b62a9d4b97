import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Config } from "../config/schema.js";
import type { LedgerUserWrite } from "../ledger/types.js";
import { AuthmigrateError } from "../errors.js";
import { openSession } from "./session.js";

export type RollbackMode = "delete" | "disable";

export interface RollbackReport {
  target: string;
  dryRun: boolean;
  /** Only users first created by this run (all runs when absent). */
  runId?: number;
  /** JSONL export of the users about to be deleted, written before anything is deleted. */
  exportFile?: string;
  /** Users this tool created (and would delete / deleted). Users that already existed are never touched. */
  candidates: number;
  /** `delete` (default) removes the users; `disable` keeps them unable to sign in. */
  mode: RollbackMode;
  /** Users deleted (or disabled, with `mode: "disable"`). */
  deleted: number;
  failed: { externalId: string; reason: string }[];
}

/**
 * Delete from the target exactly the users the ledger says we created — never a user that
 * existed before (status `skipped`/`exists_by_email`) — and mark them `rolled_back`.
 */
export async function rollbackMigration(opts: { config: Config; cwd: string; dryRun?: boolean; runId?: number; batchSize?: number; mode?: RollbackMode }): Promise<RollbackReport> {
  const session = await openSession(opts.config, opts.cwd);
  const { ledger, instance, target } = session;
  try {
    if (!target.capabilities.rollback) {
      throw new AuthmigrateError("ROLLBACK_UNSUPPORTED", `the ${target.id} target cannot delete users`, {
        hint: "roll back by discarding the target (file, database) instead",
      });
    }
    const mode = opts.mode ?? "delete";
    if (mode === "disable" && !instance.disableUsers) {
      throw new AuthmigrateError("ROLLBACK_DISABLE_UNSUPPORTED", `the ${target.id} target cannot disable users`, {
        hint: "use rollback --mode delete (the default)",
      });
    }
    const report: RollbackReport = { target: target.id, dryRun: !!opts.dryRun, ...(opts.runId !== undefined ? { runId: opts.runId } : {}), mode, candidates: 0, deleted: 0, failed: [] };
    const run = opts.dryRun ? undefined : await ledger.startRun("rollback");
    const size = opts.batchSize ?? 100;
    let batch: { externalId: string; targetId: string; email: string | null }[] = [];
    const flush = async (): Promise<void> => {
      if (!batch.length) return;
      if (!opts.dryRun) {
        const ids = batch.map((b) => b.targetId);
        const results = new Map((await (mode === "disable" ? instance.disableUsers!(ids) : instance.deleteUsers(ids))).map((r) => [r.targetId, r]));
        const rows: LedgerUserWrite[] = [];
        for (const b of batch) {
          const r = results.get(b.targetId);
          if (r?.ok) {
            report.deleted++;
            // A disabled user still exists: keep its target id and say why it cannot sign in.
            rows.push({ externalId: b.externalId, email: b.email, digest: null, targetId: b.targetId, status: "rolled_back", reason: mode === "disable" ? "disabled_by_rollback" : null, strategy: null });
          } else report.failed.push({ externalId: b.externalId, reason: r?.reason ?? "no result from target" });
        }
        await ledger.recordUsers(run!.id, rows);
      }
      batch = [];
    };
    // Collect first: rows change status as we go, which would disturb the ledger's own paging.
    const todo: typeof batch = [];
    // createdRun is set only when this tool created the user: linked pre-existing users never qualify.
    for await (const u of ledger.listUsers({ statuses: ["created", "updated", "failed"] })) {
      if (!u.targetId || u.createdRun === null) continue;
      if (opts.runId !== undefined && u.createdRun !== opts.runId) continue;
      todo.push({ externalId: u.externalId, targetId: u.targetId, email: u.email });
    }
    report.candidates = todo.length;
    if (!opts.dryRun && todo.length) {
      // Export first: the operator keeps what was removed, whatever happens next.
      const dir = path.resolve(opts.cwd, opts.config.run.outDir);
      mkdirSync(dir, { recursive: true });
      report.exportFile = path.join(dir, `rollback-${run!.id}.jsonl`);
      writeFileSync(report.exportFile, todo.map((t) => JSON.stringify(t)).join("\n") + "\n", { mode: 0o600 });
    }
    for (const t of todo) {
      batch.push(t);
      if (batch.length >= size) await flush();
    }
    await flush();
    if (run) await ledger.finishRun(run.id, report.failed.length ? "failed" : "completed", { deleted: report.deleted, failed: report.failed.length });
    return report;
  } finally {
    await session.close();
  }
}
