import type { Issue } from "../mapping/issues.js";
import type { MigrationUser } from "../model/user.js";

/**
 * What the engine will do with one legacy record. `plan` prints these; `run` executes them.
 * - create/update: write to the target
 * - unchanged: the ledger says it is already there with the same digest
 * - skip: deliberately not migrated (duplicate loser, inactive policy, transform skip)
 * - fail: cannot be migrated as is (no email, invalid email, …)
 */
export type DecisionKind = "create" | "update" | "unchanged" | "skip" | "fail";

export interface Decision {
  kind: DecisionKind;
  location: string;
  externalId?: string;
  email?: string;
  user?: MigrationUser;
  /** `JSON.stringify(user)`, the digest's input, handed to the target as `UserWrite.json` (holds the hash like `user`: never print it). */
  json?: string;
  digest?: string;
  targetId?: string;
  /** Machine-readable reason (`no_email`, `duplicate_of:42`, `inactive`, `changed`…). */
  reason?: string;
  /** Password strategy and why (`native`, `lazy`, `reset`…). */
  strategy?: string;
  strategyReason?: string;
  /** The ledger recorded an intent for this user but no outcome (a crash mid-request): look it up before creating. */
  recovering?: boolean;
  /** Written without part of it (an organization that does not exist yet): not recorded as done. */
  incomplete?: boolean;
  /** The record's raw legacy org id, also when it could not be mapped (the dashboard filters failures by org). */
  org?: string;
  /** Warnings kept for the report (truncated names, unknown roles…). */
  warnings: Issue[];
}
