import { AuthmigrateError } from "../errors.js";
import type { Target, TargetContext, TargetInstance } from "./types.js";

export type * from "./types.js";

/**
 * The one list of targets. Adding a target = a folder under src/targets/ + one line here.
 * Entries are loaders so a command only pays for the target it uses (provider SDKs, DB drivers).
 */
export const targetLoaders = {
  auth0: () => import("./auth0/index.js").then((m) => m.auth0Target),
  authgear: () => import("./authgear/index.js").then((m) => m.authgearTarget),
  file: () => import("./file/index.js").then((m) => m.fileTarget),
  "better-auth": () => import("./better-auth/index.js").then((m) => m.betterAuthTarget),
  calimatic: () => import("./calimatic/index.js").then((m) => m.calimaticTarget),
  prelude: () => import("./prelude/index.js").then((m) => m.preludeTarget),
  workos: () => import("./workos/index.js").then((m) => m.workosTarget),
} satisfies Record<string, () => Promise<Target>>;

export type TargetId = keyof typeof targetLoaders;
export const targetIds = Object.keys(targetLoaders) as TargetId[];

export async function getTarget(id: string): Promise<Target> {
  const load = (targetLoaders as Record<string, () => Promise<Target>>)[id];
  if (!load) {
    throw new AuthmigrateError("TARGET_UNKNOWN", `target.type: unknown target "${id}"`, {
      hint: `one of: ${targetIds.join(", ")}`,
    });
  }
  return load();
}

/** Validate the `target:` config block against the target's own schema and create an instance. */
export async function createTarget(
  config: { type: string } & Record<string, unknown>,
  ctx: TargetContext,
): Promise<{ target: Target; instance: TargetInstance }> {
  const target = await getTarget(config.type);
  const { type: _type, ...rest } = config;
  const parsed = target.options.safeParse(rest);
  if (!parsed.success) {
    const first = parsed.error.issues[0]!;
    throw new AuthmigrateError("CONFIG_INVALID", `target.${first.path.join(".")}: ${first.message}`, {
      hint: `see docs/targets/${config.type}.md for the ${config.type} target's options`,
    });
  }
  return { target, instance: target.create(parsed.data, ctx) };
}
