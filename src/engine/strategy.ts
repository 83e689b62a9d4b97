import { chooseStrategy, TARGET_IDS } from "../hashes/index.js";
import type { MigrationUser } from "../model/user.js";
import type { TargetCapabilities } from "../targets/types.js";

export type ForcedStrategy = "hash" | "reset" | "temporary" | "sso" | undefined;

const MATRIX_TARGETS = new Set<string>(TARGET_IDS);

/**
 * Each user gets the best password strategy their credential allows on this target, with a
 * reason: the hash engine's per-target matrix when it knows the target, otherwise the target's
 * declared `hashFormats`.
 */
export function passwordStrategy(
  user: MigrationUser,
  targetId: string,
  caps: TargetCapabilities,
  forced: ForcedStrategy,
): { strategy: string; reason: string } {
  if (MATRIX_TARGETS.has(targetId)) return chooseStrategy(user.credential, targetId, forced);
  const cred = user.credential;
  if (forced && forced !== "hash") return chooseStrategy(cred, "file", forced);
  if (cred.kind === "none") return { strategy: "none", reason: "the legacy user has no password" };
  if (caps.hashFormats.includes("*") || caps.hashFormats.includes(cred.format)) {
    return { strategy: "native", reason: `${targetId} accepts ${cred.format}` };
  }
  return { strategy: "lazy", reason: `${targetId} does not accept ${cred.format}: verify on first login, then set the password` };
}
