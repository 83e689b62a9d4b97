import type { Config } from "../config/schema.js";
import type { LedgerUser } from "../ledger/types.js";
import { reasonOf, type Issue } from "../mapping/issues.js";
import type { MappedRecord } from "../mapping/map-user.js";
import type { TargetCapabilities } from "../targets/types.js";
import type { Decision } from "./decision.js";
import { digestOfJson } from "./digest.js";
import { passwordStrategy, type ForcedStrategy } from "./strategy.js";

export interface DecideContext {
  config: Config;
  targetType: string;
  capabilities: TargetCapabilities;
  forcedStrategy: ForcedStrategy;
}

const DONE = new Set(["created", "updated", "skipped"]);

/**
 * Pure decision for one record given what the ledger knows and who owns its email.
 * `owner` is the externalId that claimed the normalized email (undefined = no email).
 * `dupFail` = the duplicate policy is `fail` and this email has several records.
 */
export function decide(
  rec: MappedRecord,
  ledgerRow: LedgerUser | undefined,
  owner: string | undefined,
  dupFail: boolean,
  ctx: DecideContext,
  /** An intent left by a stopped run carries this user (engine/intents.ts): it may already be in the target. */
  inFlight = false,
): Decision {
  const warnings: Issue[] = rec.issues.filter((i) => i.severity === "warning");
  const base = { location: rec.location, warnings, ...(rec.externalId ? { externalId: rec.externalId } : {}), ...(rec.raw.org ? { org: rec.raw.org } : {}) };
  if (rec.skipped !== undefined) return { ...base, kind: "skip", reason: `transform_skip:${rec.skipped}` };
  const user = rec.user;
  const failure = reasonOf(rec.issues);
  if (!user || failure) return { ...base, kind: "fail", reason: failure ?? "invalid_record", ...(user?.email ? { email: user.email } : {}) };
  const email = user.email!;
  if (dupFail) return { ...base, email, kind: "fail", reason: "duplicate_email" };
  if (owner !== undefined && owner !== user.externalId) return { ...base, email, kind: "skip", reason: `duplicate_of:${owner}` };
  if (user.status === "disabled" && ctx.config.validation.inactive === "skip") return { ...base, email, kind: "skip", reason: "inactive" };

  // Serialized once: the digest's input is also what the file target writes (UserWrite.json).
  const json = JSON.stringify(user);
  const digest = digestOfJson(json);
  const { strategy, reason: strategyReason } = passwordStrategy(user, ctx.targetType, ctx.capabilities, ctx.forcedStrategy);
  const common = { ...base, email, user, json, digest, strategy, strategyReason };
  if (ledgerRow && DONE.has(ledgerRow.status) && ledgerRow.targetId) {
    if (ledgerRow.digest === digest) return { ...common, kind: "unchanged", targetId: ledgerRow.targetId };
    if (!ctx.capabilities.update) return { ...common, kind: "unchanged", targetId: ledgerRow.targetId, reason: "changed_but_target_cannot_update" };
    return { ...common, kind: "update", targetId: ledgerRow.targetId, reason: "changed" };
  }
  return { ...common, kind: "create", ...(inFlight || ledgerRow?.status === "pending" ? { recovering: true } : {}) };
}
