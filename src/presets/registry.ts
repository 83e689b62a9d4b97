import { AuthmigrateError } from "../errors.js";
import { aspnetIdentity } from "./aspnet-identity.js";
import { calimatic } from "./calimatic.js";
import { devise } from "./devise.js";
import { django } from "./django.js";
import { laravel } from "./laravel.js";
import type { Preset } from "./types.js";
import { wordpress } from "./wordpress.js";

/** Every application-framework preset. Adding one = one file plus one entry here. */
export const PRESETS: readonly Preset[] = [wordpress, django, aspnetIdentity, devise, laravel, calimatic];

export function presetNames(): string[] {
  return PRESETS.map((p) => p.name);
}

/** The preset called `name` (or one of its aliases); unknown names list the real ones. */
export function getPreset(name: string): Preset {
  const key = name.trim().toLowerCase();
  const p = PRESETS.find((x) => x.name === key || x.aliases?.includes(key));
  if (!p) {
    throw new AuthmigrateError("PRESET_UNKNOWN", `unknown preset "${name}"`, {
      hint: `use one of ${presetNames().join(", ")} (authmigrate init --preset list)`,
      meta: { preset: name, presets: presetNames() },
    });
  }
  return p;
}
