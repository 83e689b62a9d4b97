import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { AuthmigrateError } from "../../errors.js";
import { CONFIG_TEMPLATE_TS } from "../init-template.js";
import { PRESETS } from "../../presets/registry.js";
import { printJson, table } from "../output.js";

interface InitOptions {
  out?: string;
  force?: boolean;
  preset?: string;
  source?: string;
  json?: boolean;
}

export function registerInitCommand(program: Command): void {
  program
    .command("init")
    .description("write a config to start from: commented example, or a framework preset fitted to your database (--preset … --source …)")
    .option("-o, --out <file>", "where to write it (.ts, .js, .json or .yaml decides the format)", "authmigrate.config.ts")
    .option("--force", "overwrite an existing file")
    .option("--preset <name>", "application-framework preset (`--preset list` shows them)")
    .option("--source <url>", "with --preset: the legacy database to inspect (SQLite file path, postgres://…, mysql://…)")
    .option("--json", "machine-readable output on stdout")
    .addHelpText("after", () => `\nPresets:\n${presetTable()}\n\nExamples:\n  authmigrate init --preset django --source postgres://app@db:5432/app\n  authmigrate init --preset wordpress --source mysql://wp@localhost/wordpress -o authmigrate.config.yaml\n  authmigrate init --preset laravel            # placeholders to fill in\n`)
    .action(async (o: InitOptions) => {
      if (o.preset === "list") return listPresets(o.json === true);
      if (o.source !== undefined && o.preset === undefined) {
        throw new AuthmigrateError("USAGE", "--source needs --preset", { hint: "e.g. --preset django --source postgres://…; `authmigrate init --preset list` shows the presets" });
      }
      const out = o.out ?? "authmigrate.config.ts";
      const file = path.resolve(out);
      if (existsSync(file) && !o.force) {
        throw new AuthmigrateError("USAGE", `${file} already exists`, { hint: "use --force to overwrite, or --out to write elsewhere" });
      }
      if (o.preset === undefined) {
        writeFileSync(file, CONFIG_TEMPLATE_TS);
        if (o.json) printJson({ status: "ok", file });
        else process.stdout.write(`wrote ${file}\nnext: edit source/mapping/target, then \`authmigrate audit\` and \`authmigrate plan\`\n`);
        return;
      }
      const { buildInitConfig, formatOf, renderConfig } = await import("../../presets/init-config.js");
      const format = formatOf(file);
      const result = await buildInitConfig({ preset: o.preset, ...(o.source !== undefined ? { source: o.source } : {}), outFile: file });
      const command = `authmigrate init --preset ${result.preset}${o.source !== undefined ? " --source …" : ""}`;
      writeFileSync(file, renderConfig(result, format, command));
      if (o.json) {
        printJson({ status: "ok", file, preset: result.preset, options: result.options, database: result.database, users: result.users, notes: result.notes });
        return;
      }
      const lines = [`wrote ${file} (preset ${result.preset}${result.database ? `, ${result.users ?? "?"} users in ${result.database}` : ", placeholders"})`];
      if (Object.keys(result.options).length) lines.push(`detected: ${Object.entries(result.options).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(", ")}`);
      for (const n of result.notes) lines.push(`note: ${n}`);
      lines.push(`next: set target in the file, then \`authmigrate audit -c ${out}\` and \`authmigrate plan -c ${out}\``);
      process.stdout.write(lines.join("\n") + "\n");
    });
}

function presetTable(): string {
  return table(PRESETS.map((p) => [`  ${p.name}`, p.summary]));
}

function listPresets(json: boolean): void {
  if (json) {
    printJson({ presets: PRESETS.map((p) => ({ name: p.name, aliases: p.aliases ?? [], title: p.title, summary: p.summary, hashFormats: p.hashFormats })) });
    return;
  }
  process.stdout.write(table(PRESETS.map((p) => [p.name, p.title, p.summary]), ["preset", "framework", "reads"]) + "\n");
}
