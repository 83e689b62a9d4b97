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

/** Long-running commands (serve, simulate) stay up until SIGINT/SIGTERM, then close cleanly. */
export function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      process.off("SIGINT", done);
      process.off("SIGTERM", done);
      resolve();
    };
    process.once("SIGINT", done);
    process.once("SIGTERM", done);
  });
}
