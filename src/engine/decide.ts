import type { Config } from "../config/schema.js";
import type { LedgerUser } from "../ledger/types.js";
import { reasonOf } from "../mapping/issues.js";
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
  // Built by assignment, not by object spreads: this runs once per user, and three levels of
  // spreads cost more than serializing and digesting the user (26 → 15 µs per user measured).
  const d: Decision = { kind: "create", location: rec.location, warnings: rec.issues.filter((i) => i.severity === "warning") };
  if (rec.externalId) d.externalId = rec.externalId;
  if (rec.raw.org) d.org = rec.raw.org;
  if (rec.skipped !== undefined) return settle(d, "skip", `transform_skip:${rec.skipped}`);
  const user = rec.user;
  const failure = reasonOf(rec.issues);
  if (!user || failure) {
    if (user?.email) d.email = user.email;
    return settle(d, "fail", failure ?? "invalid_record");
  }
  d.email = user.email!;
  if (dupFail) return settle(d, "fail", "duplicate_email");
  if (owner !== undefined && owner !== user.externalId) return settle(d, "skip", `duplicate_of:${owner}`);
  if (user.status === "disabled" && ctx.config.validation.inactive === "skip") return settle(d, "skip", "inactive");

  // Serialized once: the digest's input is also what the file target writes (UserWrite.json).
  const json = JSON.stringify(user);
  const { strategy, reason: strategyReason } = passwordStrategy(user, ctx.targetType, ctx.capabilities, ctx.forcedStrategy);
  d.user = user;
  d.json = json;
  d.digest = digestOfJson(json);
  d.strategy = strategy;
  d.strategyReason = strategyReason;
  if (ledgerRow && DONE.has(ledgerRow.status) && ledgerRow.targetId) {
    d.targetId = ledgerRow.targetId;
    if (ledgerRow.digest === d.digest) return settle(d, "unchanged");
    if (!ctx.capabilities.update) return settle(d, "unchanged", "changed_but_target_cannot_update");
    return settle(d, "update", "changed");
  }
  if (inFlight || ledgerRow?.status === "pending") d.recovering = true;
  return d;
}

function settle(d: Decision, kind: Decision["kind"], reason?: string): Decision {
  d.kind = kind;
  if (reason !== undefined) d.reason = reason;
  return d;
}
