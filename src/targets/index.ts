import { AuthmigrateError } from "../errors.js";
import { betterAuthTarget } from "./better-auth/index.js";
import { fileTarget } from "./file/index.js";
import type { Target, TargetContext, TargetInstance } from "./types.js";

export type * from "./types.js";

/** The one list of targets. Adding a target = a folder under src/targets/ + one line here. */
export const targets = {
  file: fileTarget,
  "better-auth": betterAuthTarget,
} satisfies Record<string, Target>;

export type TargetId = keyof typeof targets;

export function getTarget(id: string): Target {
  const t = (targets as Record<string, Target>)[id];
  if (!t) {
    throw new AuthmigrateError("TARGET_UNKNOWN", `target.type: unknown target "${id}"`, {
      hint: `one of: ${Object.keys(targets).join(", ")}`,
    });
  }
  return t;
}

/** Validate the `target:` config block against the target's own schema and create an instance. */
export function createTarget(config: { type: string } & Record<string, unknown>, ctx: TargetContext): { target: Target; instance: TargetInstance } {
  const target = getTarget(config.type);
  const { type: _type, ...rest } = config;
  const parsed = target.options.safeParse(rest);
  if (!parsed.success) {
    const first = parsed.error.issues[0]!;
    throw new AuthmigrateError("CONFIG_INVALID", `target.${first.path.join(".")}: ${first.message}`, {
      hint: `see docs/config.md for the ${config.type} target's options`,
    });
  }
  return { target, instance: target.create(parsed.data, ctx) };
}
