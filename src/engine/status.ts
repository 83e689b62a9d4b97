import type { Config } from "../config/schema.js";
import type { LedgerSummary } from "../ledger/types.js";
import { openSession } from "./session.js";

/** Seed 000's `migration-status` shape, computed from the ledger and the target. */
export interface MigrationStatus {
  totalUsers: number | null;
  migrationProgress: { migratedUsers: number; nativeUsers: number | null; migrationPercentage: number };
  bySource: { source: string; count: number }[];
  byStatus: { status: string; count: number }[];
  health: { failed: number; failedPercentage: number; pending: number; rolledBack: number; organizations: number } & Partial<HealthFacts>;
}

/** Seed 000's health counts over the migrated users (from the ledger's per-user facts; the dashboard supplies them). */
export interface HealthFacts {
  emailVerified: number;
  emailVerifiedPercentage: number;
  hasLoggedIn: number;
  hasLoggedInPercentage: number;
  hasOrganization: number;
  hasOrganizationPercentage: number;
}

export const pct = (part: number, whole: number): number => (whole > 0 ? Math.round((1000 * part) / whole) / 10 : 0);

/** Summarise the ledger (and, unless `ledgerOnly`, count the target) without reading the source. */
export async function migrationStatus(opts: { config: Config; cwd: string; ledgerOnly?: boolean }): Promise<LedgerSummary & { ledger: string; status: MigrationStatus }> {
  const session = await openSession(opts.config, opts.cwd);
  try {
    const summary = await session.ledger.summary();
    const totalUsers = opts.ledgerOnly ? null : await session.instance.countUsers().catch(() => null);
    return { ...summary, ledger: session.ledger.describe(), status: buildStatus(summary, totalUsers) };
  } finally {
    await session.close();
  }
}

/** The status shape from a ledger summary (pure: `status` and the serve dashboard share it). */
export function buildStatus(summary: LedgerSummary, totalUsers: number | null, facts?: HealthFacts): MigrationStatus {
  const u = summary.users;
  const migrated = u.created + u.updated + summary.linked;
  const known = u.created + u.updated + u.skipped + u.failed + u.pending;
  const nativeUsers = totalUsers === null ? null : Math.max(0, totalUsers - u.created - u.updated);
  return {
    totalUsers,
    migrationProgress: { migratedUsers: migrated, nativeUsers, migrationPercentage: pct(migrated, known) },
    bySource: [
      { source: "authmigrate", count: u.created + u.updated },
      { source: "linked_existing", count: summary.linked },
      ...(nativeUsers !== null ? [{ source: "native", count: nativeUsers }] : []),
    ],
    byStatus: Object.entries(u).map(([status, count]) => ({ status, count })),
    health: {
      failed: u.failed,
      failedPercentage: pct(u.failed, known),
      pending: u.pending,
      rolledBack: u.rolled_back,
      organizations: summary.orgs.created + summary.orgs.skipped,
      ...facts,
    },
  };
}
