import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { AuthmigrateError } from "../errors.js";
import { ConfigSchema, type Config } from "./schema.js";
import { SourceConfigSchema } from "../sources/types.js";
import { withSourceMapping } from "./source-mapping.js";
import { expandPreset } from "../presets/expand.js";
import { interpolateEnv } from "./env.js";

export const DEFAULT_CONFIG_FILES = [
  "authmigrate.config.ts",
  "authmigrate.config.js",
  "authmigrate.config.mjs",
  "authmigrate.config.json",
  "authmigrate.config.yaml",
  "authmigrate.config.yml",
] as const;

export interface LoadedConfig {
  config: Config;
  /** Absolute path of the config file. */
  file: string;
  /** Directory relative paths resolve against. */
  cwd: string;
}

/** Every registered source type, from the schema itself so the hint never goes stale. */
const SOURCE_TYPES = SourceConfigSchema.options.map((o) => o.shape.type.value).join(", ");

/** Fix-it hints for the mistakes people make most, keyed by config path. */
const HINTS: Record<string, string> = {
  "mapping.fields.email": 'map it to a source column, e.g. "Email"',
  "mapping.fields.externalId": 'map it to the legacy primary key, e.g. "Id"',
  source: `set source.type to one of ${SOURCE_TYPES}, e.g. { type: "sqlite", path: "legacy.db", table: "Users" }`,
  "source.type": `one of ${SOURCE_TYPES}`,
  target: 'set target.type, e.g. { type: "better-auth", database: "auth.db" }',
  mapping: 'add mapping.fields, at least { externalId: "Id", email: "Email" }',
};

/** Find the config: `--config` wins; otherwise the one default name that exists in `cwd`. Never guessed further. */
export function resolveConfigPath(explicit: string | undefined, cwd = process.cwd()): string {
  if (explicit) {
    const abs = path.resolve(cwd, explicit);
    if (!existsSync(abs)) {
      throw new AuthmigrateError("CONFIG_NOT_FOUND", `config file not found: ${abs}`, {
        hint: "check the --config path, or run `authmigrate init` to write one",
      });
    }
    return abs;
  }
  for (const name of DEFAULT_CONFIG_FILES) {
    const abs = path.join(cwd, name);
    if (existsSync(abs)) return abs;
  }
  throw new AuthmigrateError("CONFIG_NOT_FOUND", `no authmigrate.config.{ts,js,json,yaml} in ${cwd}`, {
    hint: "run `authmigrate init` to write a commented config, or pass --config <file>",
  });
}

async function readRaw(file: string): Promise<unknown> {
  const ext = path.extname(file).toLowerCase();
  try {
    if (ext === ".json") return JSON.parse(readFileSync(file, "utf8"));
    if (ext === ".yaml" || ext === ".yml") return parseYaml(readFileSync(file, "utf8"));
    if (ext === ".ts" || ext === ".mts" || ext === ".cts") {
      // jiti compiles TypeScript configs in-process so users need no build step.
      const { createJiti } = await import("jiti");
      const jiti = createJiti(import.meta.url, { moduleCache: false });
      const mod = (await jiti.import(file)) as { default?: unknown };
      return mod.default ?? mod;
    }
    const mod = (await import(pathToFileURL(file).href + `?t=${Date.now()}`)) as { default?: unknown };
    return mod.default ?? mod;
  } catch (e) {
    throw new AuthmigrateError("CONFIG_UNREADABLE", `cannot read ${file}: ${(e as Error).message.split("\n")[0]}`, {
      hint: "fix the syntax error above",
      cause: e,
    });
  }
}

export function formatIssue(issue: z.core.$ZodIssue): string {
  const at = issue.path.map(String).join(".") || "(root)";
  const missing = issue.code === "invalid_type" && /received undefined/.test(issue.message);
  const what = missing ? "required" : issue.message;
  const hint = HINTS[at];
  return hint ? `${at}: ${what} — ${hint}` : `${at}: ${what}`;
}

/** Validate an already-loaded config object (used by the loader and by library callers). */
export function parseConfig(raw: unknown, file = "config"): Config {
  const result = ConfigSchema.safeParse(withSourceMapping(expandPreset(raw)));
  if (!result.success) {
    const lines = result.error.issues.map(formatIssue);
    throw new AuthmigrateError("CONFIG_INVALID", lines[0]!, {
      hint: lines.length > 1 ? `${lines.length - 1} more problem(s):\n  ${lines.slice(1).join("\n  ")}` : `in ${file}`,
      meta: { file, issues: lines },
    });
  }
  return result.data;
}

export async function loadConfig(explicit?: string, cwd = process.cwd()): Promise<LoadedConfig> {
  const file = resolveConfigPath(explicit, cwd);
  const raw = interpolateEnv(await readRaw(file));
  return { config: parseConfig(raw, file), file, cwd: path.dirname(file) };
}
