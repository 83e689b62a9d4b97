import type { ConfigInput, PresetConfigInput } from "./schema.js";

/** Typed helper for `authmigrate.config.ts`: returns its argument, gives editors the schema. */
export function defineConfig<C extends ConfigInput | PresetConfigInput>(config: C): C {
  return config;
}
