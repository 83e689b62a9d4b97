/** What reconcile reports. Values are identifiers and profile fields, never credentials. */

export const DRIFT_KINDS = ["missing_in_target", "missing_in_legacy", "profile", "identifiers", "orphan", "org_role"] as const;
export type DriftKind = (typeof DRIFT_KINDS)[number];

export const DRIFT_TITLES: Record<DriftKind, string> = {
  missing_in_target: "missing in target",
  missing_in_legacy: "missing in legacy",
  profile: "profile drift",
  identifiers: "identifier drift (emails, phones, identities)",
  orphan: "orphans (no legacy id, not in the ledger)",
  org_role: "wrong organization / role",
};

export type Direction = "legacy-to-target" | "target-to-legacy";

/** One field that differs: `field` is e.g. `name`, `emails`, `org:<orgTargetId>`. */
export interface FieldDiff {
  field: string;
  legacy: unknown;
  target: unknown;
}

export interface DriftItem {
  kind: DriftKind;
  externalId?: string;
  targetId?: string;
  email?: string;
  /** Differing fields (drift kinds) or why the record is missing (ledger status/reason). */
  diffs?: FieldDiff[];
  note?: string;
}

export interface FixSummary {
  direction: Direction;
  dryRun: boolean;
  /** Per action: create, update, delete, insert_legacy, update_legacy, delete_legacy. */
  planned: Record<string, number>;
  /** Outcomes: created, updated, deleted, skipped, failed. */
  outcomes: Record<string, number>;
  /** Drift a fix in this direction cannot repair, with why. */
  left: Record<string, number>;
  /** Failed writes (bounded sample). */
  failures: { externalId?: string; targetId?: string; action: string; reason: string }[];
  runId: number | null;
}

export interface ReconcileReport {
  target: string;
  ledger: string;
  startedAt: string;
  durationMs: number;
  legacy: { records: number; compared: number; excluded: number; duplicateIds: number };
  targetUsers: number;
  /** Stopped by the signal during the merge: counts cover only the ids merged so far. */
  interrupted?: boolean;
  /** Users per drift kind (a user may be in several, e.g. profile and identifiers). */
  counts: Record<DriftKind, number>;
  /** Distinct users with any drift. */
  driftedUsers: number;
  samples: Record<DriftKind, DriftItem[]>;
  excludedReasons: Record<string, number>;
  fix?: FixSummary;
}

export function emptyCounts(): Record<DriftKind, number> {
  return Object.fromEntries(DRIFT_KINDS.map((k) => [k, 0])) as Record<DriftKind, number>;
}
