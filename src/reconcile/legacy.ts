import type { Config } from "../config/schema.js";
import { openUserSource, readMappedUsers } from "../engine/read.js";
import { reasonOf } from "../mapping/issues.js";
import type { MigrationUser } from "../model/user.js";
import type { Comparable } from "./compare.js";
import type { SpillStore } from "./spill.js";

/** Why a mapped record is not expected in the target at all (the run would not migrate it), or undefined. */
function exclusion(rec: Awaited<ReturnType<typeof readMappedUsers>> extends AsyncGenerator<infer R> ? R : never, config: Config): string | undefined {
  if (rec.skipped !== undefined) return "transform_skip";
  const failure = reasonOf(rec.issues);
  if (!rec.user || failure) return (failure ?? "invalid_record").split(":")[0];
  if (rec.user.status === "disabled" && config.validation.inactive === "skip") return "inactive";
  return undefined;
}

/**
 * Stream the legacy source through the same source + mapping pipeline as `run` and spill each
 * record as the target record it should become (`project`). `keepUsers` also spills the full
 * canonical user, which a legacy-to-target fix writes.
 */
export async function spillLegacy(
  store: SpillStore,
  opts: { config: Config; cwd: string; project: (u: MigrationUser) => Comparable; keepUsers: boolean; signal?: AbortSignal; onRecord?: () => void },
): Promise<{ records: number; withoutId: number; excluded: Record<string, number> }> {
  const source = await openUserSource(opts.config, opts.cwd);
  const excluded: Record<string, number> = {};
  let records = 0;
  let withoutId = 0;
  try {
    for await (const rec of readMappedUsers(opts.config, source, opts.signal)) {
      records++;
      opts.onRecord?.();
      if (!rec.externalId) {
        withoutId++;
        excluded.no_external_id = (excluded.no_external_id ?? 0) + 1;
        continue;
      }
      const why = exclusion(rec, opts.config);
      if (why) excluded[why] = (excluded[why] ?? 0) + 1;
      store.addLegacy({
        externalId: rec.externalId,
        rec: why ? null : JSON.stringify(opts.project(rec.user!)),
        user: !why && opts.keepUsers ? JSON.stringify(rec.user) : null,
        excludedReason: why ?? null,
      });
    }
  } finally {
    await source.close();
  }
  return { records, withoutId, excluded };
}

/** A spilled MigrationUser back to its zod shape (dates were serialized as ISO strings). */
export function reviveUser(json: string): MigrationUser {
  const u = JSON.parse(json) as MigrationUser & { createdAt?: string | Date; lastLoginAt?: string | Date };
  if (typeof u.createdAt === "string") u.createdAt = new Date(u.createdAt);
  if (typeof u.lastLoginAt === "string") u.lastLoginAt = new Date(u.lastLoginAt);
  return u;
}
