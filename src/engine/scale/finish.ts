/**
 * A scaled-out run is finished by whoever sees its last chunk settle (a worker leaving, or the
 * coordinator after its workers exit): the write is idempotent, so two finishers agree.
 */
import type { RunRecord } from "../../ledger/types.js";
import { chunkCounts } from "./chunks.js";
import type { ScaleLedger } from "./store.js";

export interface RunTotals {
  status: RunRecord["status"];
  counts: Record<string, number>;
}

/**
 * The run's counts. Per-chunk counts are summed, but a chunk taken over after a crash reports
 * the users its dead worker had finished as `unchanged`: created/updated/skipped/failed/pending
 * are therefore taken from the ledger rows this run wrote, and `unchanged` is the rest.
 */
export async function runTotals(ledger: ScaleLedger, runId: number): Promise<Record<string, number>> {
  const chunks = await ledger.query<{ counts: Record<string, number> }>("SELECT counts FROM am_chunks WHERE run_id = $1 AND counts IS NOT NULL", [runId]);
  const sum: Record<string, number> = {};
  for (const c of chunks) for (const [k, v] of Object.entries(c.counts)) sum[k] = (sum[k] ?? 0) + v;
  const rows = await ledger.query<{ status: string; n: string }>("SELECT status, count(*) AS n FROM am_users WHERE run_id = $1 GROUP BY status", [runId]);
  const byLedger = Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  const out: Record<string, number> = { ...sum };
  for (const k of ["created", "updated", "skipped", "failed"]) out[k] = Math.max(sum[k] ?? 0, byLedger[k] ?? 0);
  if (byLedger.pending) out.pending = byLedger.pending;
  const total = sum.total ?? 0;
  out.unchanged = Math.max(0, total - out.created! - out.updated! - out.skipped! - out.failed! - (out.pending ?? 0));
  out.total = total;
  return out;
}

/** Finish the run when no chunk is todo or leased; returns its final status, or undefined if work remains. */
export async function finishIfSettled(ledger: ScaleLedger, runId: number): Promise<RunTotals | undefined> {
  const c = await chunkCounts(ledger, runId);
  // No chunks: not a scaled-out run (or not planned yet) — nothing to finish here.
  if (c.total === 0 || c.todo > 0 || c.leased > 0) return undefined;
  const counts = await runTotals(ledger, runId);
  const status = c.failed > 0 ? "failed" : "completed";
  await ledger.finishRun(runId, status, counts);
  return { status, counts };
}
