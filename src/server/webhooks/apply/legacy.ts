/**
 * Seed 003's final state (Auth → Legacy): a verified change is written to the legacy user table
 * through the configured column map, with parameterized SQL only. Every operation is idempotent
 * (updates set values; an insert first looks for the row it may already have inserted, by target
 * id, then for a row with the same email to link), so at-least-once processing is safe.
 */
import { quoteQualified } from "../../../sources/keyset.js";
import type { LegacyApplyConfig } from "../config.js";
import type { ChangeFields } from "../map/index.js";
import type { Param, SqlExec } from "./sql-exec.js";

export interface LegacyResult {
  /** `updated`, `unchanged`, `inserted`, `linked`, `deleted`, `deactivated`, `delete_ignored`, `no_legacy_row`. */
  outcome: string;
  /** The legacy key of the row touched (= the ledger's externalId). */
  key?: string;
}

const FIELD_ORDER: (keyof ChangeFields)[] = ["email", "emailVerified", "givenName", "familyName", "name", "username", "phone", "picture", "active"];

export class LegacyApplier {
  private readonly table: string;
  private readonly q: (c: string) => string;

  constructor(
    private readonly x: SqlExec,
    private readonly cfg: LegacyApplyConfig,
  ) {
    this.q = (c) => x.dialect.quoteIdent(c);
    this.table = quoteQualified(x.dialect, cfg.table);
  }

  private ph(n: number): string {
    return this.x.dialect.placeholder(n);
  }

  /** Column → value for the fields present in the change (booleans as 1/0: SQLite and MySQL have no boolean binding). */
  private sets(fields: ChangeFields, at: number): [string, Param][] {
    const out: [string, Param][] = [];
    for (const f of FIELD_ORDER) {
      const col = this.cfg.columns[f];
      const v = fields[f];
      if (!col || v === undefined) continue;
      out.push([col, typeof v === "boolean" ? (v ? 1 : 0) : v]);
    }
    if (out.length && this.cfg.columns.updatedAt) out.push([this.cfg.columns.updatedAt, new Date(at).toISOString()]);
    return out;
  }

  private async findKey(x: SqlExec, externalId: string | null, targetId: string): Promise<string | undefined> {
    return (await this.find(x, externalId, targetId))?.key;
  }

  /** The row's key, and whether its target id column is still empty (then it gets linked). */
  private async find(x: SqlExec, externalId: string | null, targetId: string): Promise<{ key: string; unlinked: boolean } | undefined> {
    const key = this.q(this.cfg.keyColumn);
    if (externalId !== null) {
      const tid = this.cfg.targetIdColumn ? `, ${this.q(this.cfg.targetIdColumn)} AS t` : "";
      const r = await x.run(`SELECT ${key} AS k${tid} FROM ${this.table} WHERE ${key} = ${this.ph(1)}`, [externalId]);
      const row = r.rows[0];
      return row ? { key: String(row.k), unlinked: !!this.cfg.targetIdColumn && (row.t === null || row.t === undefined || row.t === "") } : undefined;
    }
    if (!this.cfg.targetIdColumn) return undefined;
    const r = await x.run(`SELECT ${key} AS k FROM ${this.table} WHERE ${this.q(this.cfg.targetIdColumn)} = ${this.ph(1)}`, [targetId]);
    return r.rows.length ? { key: String(r.rows[0]!.k), unlinked: false } : undefined;
  }

  private async update(x: SqlExec, key: string, sets: [string, Param][]): Promise<number> {
    const assign = sets.map(([c], i) => `${this.q(c)} = ${this.ph(i + 1)}`).join(", ");
    const r = await x.run(`UPDATE ${this.table} SET ${assign} WHERE ${this.q(this.cfg.keyColumn)} = ${this.ph(sets.length + 1)}`, [...sets.map(([, v]) => v), key]);
    return r.affected;
  }

  /** Runs `fn` in one legacy transaction (the worker applies a batch per transaction: one commit, not one per event). */
  tx<T>(fn: (x: SqlExec) => Promise<T>): Promise<T> {
    return this.x.tx(fn);
  }

  async upsert(change: { targetId: string; externalId: string | null; fields: ChangeFields }, at: number, on: SqlExec = this.x): Promise<LegacyResult> {
    const sets = this.sets(change.fields, at);
    const found = await this.find(on, change.externalId, change.targetId);
    if (found) {
      // A legacy row without a target id yet gets this one (seed 002's workos_user_id); an existing link is never re-pointed.
      if (found.unlinked) sets.push([this.cfg.targetIdColumn!, change.targetId]);
      if (!sets.length) return { outcome: "unchanged", key: found.key };
      await this.update(on, found.key, sets);
      return { outcome: "updated", key: found.key };
    }
    // A user with an external id came from the legacy side: its row is gone, do not resurrect it.
    if (this.cfg.onCreate !== "insert" || change.externalId !== null) return { outcome: "no_legacy_row" };
    const tid = this.cfg.targetIdColumn!;
    return on.tx(async (x) => {
      // Re-check inside the transaction: a concurrent worker may have inserted it.
      const again = await this.findKey(x, null, change.targetId);
      if (again !== undefined) {
        if (sets.length) await this.update(x, again, sets);
        return { outcome: "updated", key: again };
      }
      const emailCol = this.cfg.columns.email;
      if (emailCol && change.fields.email) {
        const r = await x.run(
          `SELECT ${this.q(this.cfg.keyColumn)} AS k FROM ${this.table} WHERE LOWER(${this.q(emailCol)}) = LOWER(${this.ph(1)}) AND ${this.q(tid)} IS NULL`,
          [change.fields.email],
        );
        if (r.rows.length === 1) {
          const k = String(r.rows[0]!.k);
          await this.update(x, k, [...sets, [tid, change.targetId]]);
          return { outcome: "linked", key: k };
        }
      }
      const cols: [string, Param][] = [...Object.entries(this.cfg.insertDefaults).map(([c, v]) => [c, lit(v, at)] as [string, Param]), ...sets, [tid, change.targetId]];
      if (this.cfg.newKey === "targetId") cols.push([this.cfg.keyColumn, change.targetId]);
      const names = cols.map(([c]) => this.q(c)).join(", ");
      const values = cols.map((_, i) => this.ph(i + 1)).join(", ");
      const returning = x.dialect.name === "mysql" ? "" : ` RETURNING ${this.q(this.cfg.keyColumn)} AS k`;
      const r = await x.run(`INSERT INTO ${this.table} (${names}) VALUES (${values})${returning}`, cols.map(([, v]) => v));
      const k = this.cfg.newKey === "targetId" ? change.targetId : r.rows.length ? String(r.rows[0]!.k) : r.insertId;
      return { outcome: "inserted", ...(k !== undefined ? { key: k } : {}) };
    });
  }

  async delete(change: { targetId: string; externalId: string | null }, at: number, on: SqlExec = this.x): Promise<LegacyResult> {
    const key = await this.findKey(on, change.externalId, change.targetId);
    if (key === undefined) return { outcome: "no_legacy_row" };
    switch (this.cfg.onDelete) {
      case "ignore":
        return { outcome: "delete_ignored", key };
      case "delete":
        await on.run(`DELETE FROM ${this.table} WHERE ${this.q(this.cfg.keyColumn)} = ${this.ph(1)}`, [key]);
        return { outcome: "deleted", key };
      case "deactivate":
        await this.update(on, key, [[this.cfg.columns.active!, 0]]);
        return { outcome: "deactivated", key };
      case "set":
        await this.update(on, key, Object.entries(this.cfg.deleteSet ?? {}).map(([c, v]) => [c, lit(v, at)]));
        return { outcome: "deactivated", key };
    }
  }
}

/** A configured literal: `$now` → the change time; booleans → 1/0. */
function lit(v: string | number | boolean | null, at: number): Param {
  if (v === "$now") return new Date(at).toISOString();
  if (typeof v === "boolean") return v ? 1 : 0;
  return v;
}
