import { chooseStrategy } from "../hashes/index.js";
import type { MigrationUser } from "../model/user.js";
import type { TargetCapabilities } from "../targets/types.js";

export type ForcedStrategy = "hash" | "reset" | "temporary" | "sso" | undefined;

/** Each user gets the best password strategy their credential allows on this target, with a reason. */
export function passwordStrategy(
  user: MigrationUser,
  targetId: string,
  _caps: TargetCapabilities,
  forced: ForcedStrategy,
): { strategy: string; reason: string } {
  return chooseStrategy(user.credential, targetId, forced);
}
