import type { Config } from "../config/schema.js";
import { AuthmigrateError, errorMessage } from "../errors.js";
import type { LegacyWriteConfig } from "./config.js";
import { bump, newSummary, type Fixer, type FixItem } from "./fix-target.js";
import { openLegacySql, qualified, type LegacySql } from "./legacy-sql.js";
import type { FixSummary } from "./types.js";

const BATCH = 200;

/** The value of one mapped field in a target record (`email`, `phone`, `profile.<field>`). */
function valueOf(rec: NonNullable<FixItem["targetRecord"]>, key: string): string | null {
  if (key === "email") return rec.emails[0] ?? null;
  if (key === "phone") return rec.phones?.[0] ?? null;
  return rec.profile[key.slice("profile.".length)] ?? null;
}

/**
 * target-to-legacy (seed 003's final state, Auth → Legacy): write the target's values into the
 * legacy table through `reconcile.legacyWrite`, always as bound parameters. Drifted profile and
 * identifier fields are UPDATEd, users missing in legacy INSERTed, users missing in the target
 * DELETEd only with `deleteExtra`. Memberships and orphans (no legacy id) are left, with why.
 */
export class LegacyFixer implements Fixer {
  private readonly summary;
  private pending: { action: string; item: FixItem; sql: string; params: unknown[] }[] = [];

  private constructor(
    private readonly map: LegacyWriteConfig,
    private readonly sql: LegacySql | undefined,
    private readonly opts: { dryRun: boolean; deleteExtra: boolean },
  ) {
    this.summary = newSummary("target-to-legacy", opts.dryRun);
  }

  static async open(config: Config, cwd: string, opts: { dryRun: boolean; deleteExtra: boolean }): Promise<LegacyFixer> {
    const map = config.reconcile?.legacyWrite;
    if (!map) {
      throw new AuthmigrateError("CONFIG_INVALID", "reconcile.legacyWrite: required by --direction target-to-legacy", {
        hint: 'add reconcile: { legacyWrite: { table: "Users", keyColumn: "Id", columns: { email: "Email", "profile.name": "DisplayName" } } } (docs/sync.md)',
      });
    }
    // A dry run never opens a write connection.
    return new LegacyFixer(map, opts.dryRun ? undefined : await openLegacySql(config.source, cwd), opts);
  }

  private get d() {
    return this.sql!.dialect;
  }

  private plan(action: string, item: FixItem, build: () => { sql: string; params: unknown[] }): void {
    bump(this.summary.planned, action);
    if (this.summary.sample.length < 20) this.summary.sample.push({ action, ...(item.externalId ? { externalId: item.externalId } : {}), ...(item.targetId ? { targetId: item.targetId } : {}) });
    if (!this.opts.dryRun) this.pending.push({ action, item, ...build() });
  }

  async push(item: FixItem): Promise<void> {
    const cols = Object.entries(this.map.columns);
    const table = () => qualified(this.d, this.map.table);
    const q = (c: string) => this.d.quoteIdent(c);
    const p = (i: number) => this.d.placeholder(i);
    if (item.kinds.includes("orphan")) bump(this.summary.left, "orphan: no legacy id to write");
    else if (item.kinds.includes("missing_in_legacy")) {
      const rec = item.targetRecord!;
      this.plan("insert_legacy", item, () => ({
        sql: `INSERT INTO ${table()} (${[q(this.map.keyColumn), ...cols.map(([, c]) => q(c))].join(", ")}) VALUES (${[p(1), ...cols.map((_, i) => p(i + 2))].join(", ")})`,
        params: [item.externalId, ...cols.map(([k]) => valueOf(rec, k))],
      }));
    } else if (item.kinds.includes("missing_in_target")) {
      if (!this.opts.deleteExtra) bump(this.summary.left, "missing_in_target: not deleted from legacy without --delete-extra");
      else this.plan("delete_legacy", item, () => ({ sql: `DELETE FROM ${table()} WHERE ${q(this.map.keyColumn)} = ${p(1)}`, params: [item.externalId] }));
    } else {
      if (item.kinds.includes("org_role")) bump(this.summary.left, "org_role: memberships are not written to the legacy system");
      if (item.kinds.includes("profile") || item.kinds.includes("identifiers")) {
        const rec = item.targetRecord!;
        this.plan("update_legacy", item, () => ({
          sql: `UPDATE ${table()} SET ${cols.map(([, c], i) => `${q(c)} = ${p(i + 1)}`).join(", ")} WHERE ${q(this.map.keyColumn)} = ${p(cols.length + 1)}`,
          params: [...cols.map(([k]) => valueOf(rec, k)), item.externalId],
        }));
      }
    }
    if (this.pending.length >= BATCH) await this.flush();
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    if (!batch.length) return;
    try {
      const changed = await this.sql!.transaction(batch.map((b) => ({ sql: b.sql, params: b.params })));
      batch.forEach((b, i) => {
        if (changed[i]! > 0) bump(this.summary.outcomes, outcomeOf(b.action));
        else this.fail(b, "legacy row not found");
      });
    } catch {
      // One bad row must not stop the rest: retry the batch row by row to find it.
      for (const b of batch) {
        try {
          const [n] = await this.sql!.transaction([{ sql: b.sql, params: b.params }]);
          if (n! > 0) bump(this.summary.outcomes, outcomeOf(b.action));
          else this.fail(b, "legacy row not found");
        } catch (e2) {
          this.fail(b, `sql_error:${errorMessage(e2).split("\n")[0]!.slice(0, 160)}`);
        }
      }
    }
  }

  private fail(b: { action: string; item: FixItem }, reason: string): void {
    bump(this.summary.outcomes, "failed");
    if (this.summary.failures.length < 20) this.summary.failures.push({ action: b.action, reason, ...(b.item.externalId ? { externalId: b.item.externalId } : {}) });
  }

  async finish(): Promise<FixSummary> {
    try {
      await this.flush();
    } finally {
      await this.sql?.close();
    }
    return this.summary;
  }
}

function outcomeOf(action: string): string {
  return action === "insert_legacy" ? "inserted" : action === "delete_legacy" ? "deleted" : "updated";
}
