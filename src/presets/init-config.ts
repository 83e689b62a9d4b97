import path from "node:path";
import { stringify as toYaml } from "yaml";
import { parseConfig } from "../config/load.js";
import { AuthmigrateError } from "../errors.js";
import { createSource } from "../sources/index.js";
import { inspectDatabase, parseDbLocation, type DbLocation } from "./inspect.js";
import { getPreset } from "./registry.js";
import type { Missing, Preset } from "./types.js";

export type ConfigFormat = "ts" | "js" | "json" | "yaml";

export interface InitResult {
  preset: string;
  /** Options detected in the database (table prefix, optional tables…), as written to `preset:`. */
  options: Record<string, unknown>;
  /** Things the preset looked for and did not find, or placeholders to fill; written as comments. */
  notes: string[];
  /** Where the database is, safe to print; undefined for a placeholder config. */
  database?: string;
  /** Users the preset's query reads (checked by running it). */
  users?: number;
  config: Record<string, unknown>;
}

/** The password in a URL is never written to the config file: it becomes `${LEGACY_DB_PASSWORD}`. */
export const PASSWORD_ENV = "LEGACY_DB_PASSWORD";

export function formatOf(file: string): ConfigFormat {
  const ext = path.extname(file).toLowerCase();
  if (ext === ".json") return "json";
  if (ext === ".yaml" || ext === ".yml") return "yaml";
  if (ext === ".js" || ext === ".mjs") return "js";
  if (ext === ".ts" || ext === ".mts") return "ts";
  throw new AuthmigrateError("USAGE", `--out ${file}: unknown config extension "${ext}"`, { hint: "use .ts, .js, .mjs, .json or .yaml" });
}

function describeMissing(m: Missing): string {
  return m.column ? `column ${m.table}.${m.column} not found` : `table ${m.table} not found`;
}

function withoutPassword(url: string): { url: string; hadPassword: boolean } {
  const m = /^([a-z][a-z0-9+.-]*:\/\/[^:@/]*):([^@/]*)@/i.exec(url);
  if (!m || m[2] === "") return { url, hadPassword: false };
  return { url: `${m[1]}:\${${PASSWORD_ENV}}@${url.slice(m[0].length)}`, hadPassword: true };
}

/**
 * What `init --preset` writes. With a source, the database is inspected: the preset must find its
 * tables (else PRESET_MISMATCH naming the missing table/column), detected options are recorded,
 * and the expanded query is run once to prove `audit` will work. Without one, placeholders.
 */
export async function buildInitConfig(opts: { preset: string; source?: string; outFile: string; cwd?: string }): Promise<InitResult> {
  const preset = getPreset(opts.preset);
  const outDir = path.dirname(path.resolve(opts.cwd ?? process.cwd(), opts.outFile));
  // admin: the admin plugin's `banned` column, so inactive/locked users arrive disabled rather than fail.
  const target = { type: "better-auth", database: "auth.db", admin: true };
  const ledger = { url: ".authmigrate/ledger.sqlite" };
  if (opts.source === undefined) {
    const src = preset.placeholderSource;
    const config = { preset: preset.name, source: { ...src }, target, ledger };
    const where = src.url ? "source.url" : "source.path";
    return { preset: preset.name, options: {}, notes: [`${where} is a placeholder: point it at your ${preset.title} database (or rerun init with --source to inspect it)`], config };
  }

  const loc = parseDbLocation(opts.source, opts.cwd);
  const shape = await inspectDatabase(loc);
  const detection = preset.detect(shape);
  if (detection.missing.length > 0) throw mismatch(preset, loc, detection.missing);
  const options = detection.options as Record<string, unknown>;
  const presetRef = Object.keys(options).length ? { name: preset.name, ...options } : preset.name;
  const notes = [...detection.notes];

  let written: Record<string, unknown>;
  if (loc.type === "sqlite") {
    written = { type: "sqlite", path: path.relative(outDir, loc.path!) || path.basename(loc.path!) };
  } else {
    const { url, hadPassword } = withoutPassword(loc.url!);
    if (hadPassword) notes.push(`the database password is not written here: export ${PASSWORD_ENV}=… before running authmigrate`);
    written = { type: loc.type, url };
  }
  const config = { preset: presetRef, source: written, target, ledger };

  // Prove the preset's query runs against this database (with the real URL, never written).
  const live = parseConfig({ ...config, source: loc.type === "sqlite" ? { type: "sqlite", path: loc.path } : { type: loc.type, url: loc.url } }, "init");
  const src = createSource(live.source, { cwd: outDir });
  let users: number | undefined;
  try {
    await src.columns();
    users = await src.count();
  } finally {
    await src.close();
  }
  return { preset: preset.name, options, notes, database: loc.describe, users, config };
}

function mismatch(preset: Preset, loc: DbLocation, missing: Missing[]): AuthmigrateError {
  const first = missing[0]!;
  const more = missing.length > 1 ? ` (and ${missing.slice(1).map(describeMissing).join(", ")})` : "";
  return new AuthmigrateError("PRESET_MISMATCH", `${loc.describe} does not look like a ${preset.title} database: ${describeMissing(first)}${more}`, {
    hint: first.fix,
    meta: { preset: preset.name, missing: missing.map((m) => ({ table: m.table, ...(m.column ? { column: m.column } : {}) })) },
  });
}

/** The config file text; comments (ts/js/yaml) carry the notes, JSON has none (the CLI prints them). */
export function renderConfig(result: InitResult, format: ConfigFormat, command: string): string {
  const preset = getPreset(result.preset);
  const header = [
    `Written by \`${command}\`${result.database ? ` from ${result.database}` : ""}.`,
    `The ${preset.title} preset fills the source query, field mapping, roles and hash settings (docs/presets.md).`,
    "Add mapping: { fields: { … }, roles: { map: { … } } } to override any of them; audit and plan show the result.",
    `Hash formats expected: ${preset.hashFormats.join(", ")}.`,
    ...(result.notes.length ? ["", "Check:", ...result.notes.map((n) => `  - ${n}`)] : []),
  ];
  const body = JSON.stringify(result.config, null, 2);
  if (format === "json") return body + "\n";
  if (format === "yaml") return header.map((l) => `# ${l}`.trimEnd()).join("\n") + "\n" + toYaml(result.config);
  const comment = header.map((l) => `// ${l}`.trimEnd()).join("\n");
  if (format === "js") return `${comment}\n/** @type {import("authmigrate").PresetConfigInput} */\nexport default ${body};\n`;
  return `import { defineConfig } from "authmigrate";\n\n${comment}\nexport default defineConfig(${body});\n`;
}
