import { buildProgram, CommanderError } from "./program.js";
import { EXIT, renderError } from "./output.js";

/** Run the CLI and return the exit code; only bin.ts calls process.exit. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  const json = argv.includes("--json");
  try {
    await program.parseAsync(argv, { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : EXIT.ok;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help / --version exit 0; commander already printed usage errors.
      return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    return renderError(e, json);
  }
}
