import { Command, CommanderError } from "commander";
import { readFileSync } from "node:fs";
import { registerAuditCommand } from "./commands/audit.js";
import { registerDemoCommand } from "./commands/demo.js";
import { registerHashCommand } from "./commands/hash.js";
import { registerInitCommand } from "./commands/init.js";
import { registerMigrateCommands } from "./commands/migrate.js";
import { registerGenerateCommand, registerServeCommand } from "./commands/serve.js";
import { registerSimulateCommand } from "./commands/simulate.js";
import { registerReconcileCommand } from "./commands/reconcile.js";
import { registerMirrorCommand } from "./commands/mirror.js";
import { registerWorkerCommand } from "./commands/scale.js";

const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };

export function buildProgram(): Command {
  const program = new Command("authmigrate")
    .description("Move users out of a legacy login system into an identity provider, without users noticing.")
    .version(pkg.version)
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();
  registerInitCommand(program);
  registerAuditCommand(program);
  registerMigrateCommands(program);
  registerWorkerCommand(program);
  registerHashCommand(program);
  registerServeCommand(program);
  registerGenerateCommand(program);
  registerSimulateCommand(program);
  registerReconcileCommand(program);
  registerMirrorCommand(program);
  registerDemoCommand(program);
  return program;
}

export { CommanderError };
