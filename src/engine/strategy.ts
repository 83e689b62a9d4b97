import type { MigrationUser } from "../model/user.js";
import type { TargetCapabilities } from "../targets/types.js";

export type ForcedStrategy = "hash" | "reset" | "temporary" | "sso" | undefined;

/** Each user gets the best password strategy their credential allows on this target, with a reason. */
export function passwordStrategy(
  user: MigrationUser,
  _targetId: string,
  caps: TargetCapabilities,
  forced: ForcedStrategy,
): { strategy: string; reason: string } {
  const cred = user.credential;
  if (forced === "sso") return { strategy: "sso", reason: "forced: SSO only, no credential migrated" };
  if (forced === "temporary") return { strategy: "temporary", reason: "forced: temporary password generated" };
  if (forced === "reset") return { strategy: "reset", reason: "forced: password reset email" };
  if (cred.kind === "none") return { strategy: "reset", reason: "no usable legacy password hash" };
  if (caps.hashFormats.includes("*") || caps.hashFormats.includes(cred.format)) {
    return { strategy: "native", reason: `${cred.format} is accepted by the target` };
  }
  return { strategy: "lazy", reason: `${cred.format} is not accepted by the target: verify on first login` };
}
