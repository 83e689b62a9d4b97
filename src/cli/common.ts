import type { Command } from "commander";
import { loadConfig, type LoadedConfig } from "../config/load.js";

export interface CommonOptions {
  config?: string;
  json?: boolean;
}

/** Options every command that reads the config shares. */
export function withConfig(cmd: Command): Command {
  return cmd.option("-c, --config <file>", "config file (default: authmigrate.config.{ts,js,json,yaml} in the current directory)").option("--json", "machine-readable output on stdout");
}

export function load(opts: CommonOptions): Promise<LoadedConfig> {
  return loadConfig(opts.config);
}
