/** Application-framework presets: `preset:` in the config fills source query, mapping, orgs and hash settings. */
export type { DbShape, Detection, Missing, Preset, PresetDialect, PresetParts, RolesConfig } from "./types.js";
export { PRESETS, getPreset, presetNames } from "./registry.js";
export { expandPreset, presetRef } from "./expand.js";
