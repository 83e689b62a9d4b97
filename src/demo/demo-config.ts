import type { ConfigInput, PresetConfigInput } from "../config/schema.js";
import { expandPreset } from "../presets/expand.js";

/**
 * The demo's config file as written to disk: the `calimatic` preset (seed 000's field map, ROLE_MAP
 * and Tenants → orgs) does the mapping; only the demo's own choices are spelled out.
 */
export function demoConfigFile(): PresetConfigInput {
  return {
    preset: "calimatic",
    source: { type: "sqlite", path: "legacy.db" },
    // Demo phone numbers are US national format.
    mapping: { defaultCountryCode: "+1" },
    validation: { names: { maxLength: 100, onTooLong: "truncate" }, duplicates: { keep: "first" }, inactive: "disable" },
    target: { type: "better-auth", database: "auth.db", admin: true },
    ledger: { url: "ledger.sqlite" },
    run: { concurrency: 4, batchSize: 500, outDir: "." },
  };
}

/** The same config with the preset spelled out (source table, orgs, mapping), for code that tweaks parts of it. */
export function demoConfig(): ConfigInput {
  return expandPreset(demoConfigFile()) as ConfigInput;
}
