import type { Config } from "../config/schema.js";
import type { MappedRecord } from "../mapping/map-user.js";
import type { Source } from "../sources/types.js";
import type { DuplicateIndex } from "./claims.js";

/**
 * First pass for the `latest-login` and `fail` duplicate policies: they must see a whole group
 * before choosing. Holds one small entry per email in memory (documented in docs/config.md);
 * the default `first` policy needs no pass and stays constant-memory.
 */
export async function buildDuplicateIndex(
  policy: Config["validation"]["duplicates"]["keep"],
  open: () => Promise<Source>,
  read: (source: Source) => AsyncIterable<MappedRecord>,
): Promise<DuplicateIndex | undefined> {
  if (policy === "first") return undefined;
  const groups = new Map<string, { id: string; login: number; n: number }>();
  const source = await open();
  try {
    await collect(read(source), groups);
  } finally {
    await source.close();
  }
  return {
    winner(email) {
      const g = groups.get(email);
      if (!g) return undefined;
      if (policy === "fail") return g.n > 1 ? null : g.id;
      return g.id;
    },
  };
}

async function collect(records: AsyncIterable<MappedRecord>, groups: Map<string, { id: string; login: number; n: number }>): Promise<void> {
  for await (const rec of records) {
    const u = rec.user;
    if (!u?.email || rec.issues.some((i) => i.severity === "error")) continue;
    const login = u.lastLoginAt?.getTime() ?? -Infinity;
    const g = groups.get(u.email);
    if (!g) groups.set(u.email, { id: u.externalId, login, n: 1 });
    else {
      g.n++;
      // Ties keep the earlier record (source key order), so the choice is deterministic.
      if (login > g.login) Object.assign(g, { id: u.externalId, login });
    }
  }
}
