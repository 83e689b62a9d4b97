import type { ConfigInput } from "./schema.js";

/** Typed helper for `authmigrate.config.ts`: returns its argument, gives editors the schema. */
export function defineConfig(config: ConfigInput): ConfigInput {
  return config;
}
