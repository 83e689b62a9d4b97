import type { Ledger } from "../ledger/types.js";

/**
 * A run whose target key has no history while the ledger holds another key of the same target
 * type: most often the `target:` block was edited (a rate setting, a rotated key, a plugin
 * option) rather than pointed at a new destination. Said before anything is written, because
 * every user then looks new: those already in the target are linked (`exists_…`) instead of
 * `unchanged`, and rollback no longer counts them as created by this tool.
 */
export async function historyNotices(ledger: Ledger, key: string): Promise<string[]> {
  const others = await ledger.otherHistories();
  if (!others.length) return [];
  const o = others[0]!;
  return [
    `the ledger has no history for this target block (key ${key}) but holds ${o.users} users for another ${key.split(":")[0]} block (key ${o.target})` +
      `${others.length > 1 ? ` and ${others.length - 1} more` : ""}. History is kept per target block: if you only changed a setting of the same destination ` +
      `(rate, credentials, options), restore it to keep that history; users already in the target will otherwise be linked, not counted as unchanged, and rollback will not delete them.`,
  ];
}
