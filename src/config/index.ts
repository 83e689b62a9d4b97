export * from "./schema.js";
export { defineConfig } from "./define.js";
export { loadConfig, parseConfig, resolveConfigPath, DEFAULT_CONFIG_FILES, type LoadedConfig } from "./load.js";
export { interpolateEnv, redactUrl } from "./env.js";
