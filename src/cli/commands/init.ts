import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { AuthmigrateError } from "../../errors.js";
import { CONFIG_TEMPLATE_TS } from "../init-template.js";

export function registerInitCommand(program: Command): void {
  program
    .command("init")
    .description("write a commented authmigrate.config.ts to start from")
    .option("-o, --out <file>", "where to write it", "authmigrate.config.ts")
    .option("--force", "overwrite an existing file")
    .action((o: { out: string; force?: boolean }) => {
      const file = path.resolve(o.out);
      if (existsSync(file) && !o.force) {
        throw new AuthmigrateError("USAGE", `${file} already exists`, { hint: "use --force to overwrite, or --out to write elsewhere" });
      }
      writeFileSync(file, CONFIG_TEMPLATE_TS);
      process.stdout.write(`wrote ${file}\nnext: edit source/mapping/target, then \`authmigrate audit\` and \`authmigrate plan\`\n`);
    });
}
