import type { Command } from "commander";
import { AuthmigrateError } from "../../errors.js";
import { load, withConfig, type CommonOptions } from "../common.js";
import { EXIT, printJson, table } from "../output.js";

interface MirrorFlags extends CommonOptions {
  drain?: boolean;
  limit?: string;
}

export function registerMirrorCommand(program: Command): void {
  withConfig(
    program
      .command("mirror")
      .description("the mirror outbox (authmigrate/mirror): queued changes, dead letters; --drain delivers what is due now")
      .addHelpText(
        "after",
        `
Your app mirrors legacy changes with the authmigrate/mirror library (docs/sync.md, "Mirror"); the
changes wait in an outbox in the ledger database. This command reads that outbox for the
configured target. Exit code: 0 no dead letters, 1 dead letters present, 2 usage/config error.

Examples:
  authmigrate mirror                 # pending / dead counts and the dead letters' reasons
  authmigrate mirror --drain --json  # deliver what is due now, then report`,
      ),
  )
    .option("--drain", "deliver every change that is due now (as the app's worker would), then report")
    .option("--limit <n>", "dead letters listed (default 20)")
    .action(async (o: MirrorFlags) => {
      const limit = o.limit === undefined ? 20 : Number(o.limit);
      if (!Number.isInteger(limit) || limit <= 0) throw new AuthmigrateError("USAGE", `--limit: expected a positive integer, got "${o.limit}"`);
      const { config, cwd } = await load(o);
      const { openMirror } = await import("../../mirror/index.js");
      const mirror = await openMirror({ target: config.target as { type: string } & Record<string, unknown>, ledgerUrl: config.ledger.url, cwd, worker: false });
      try {
        const drained = o.drain ? await mirror.drain() : undefined;
        const depth = await mirror.outboxDepth();
        const dead = await mirror.deadLetters(limit);
        if (o.json) {
          printJson({ target: config.target.type, ...depth, ...(drained ? { drained } : {}), deadLetters: dead });
        } else {
          const lines = [`mirror outbox (${config.target.type}): ${depth.pending} pending, ${depth.dead} dead`];
          if (drained) lines.push(`drained: ${drained.delivered} delivered, ${drained.retried} to retry, ${drained.dead} dead-lettered`);
          if (dead.length) lines.push("", table(dead.map((d) => [d.at, d.externalId, d.action, d.attempts, d.reason.slice(0, 120)]), ["at", "externalId", "action", "attempts", "reason"]));
          process.stdout.write(lines.join("\n") + "\n");
        }
        process.exitCode = depth.dead > 0 ? EXIT.partial : EXIT.ok;
      } finally {
        await mirror.close();
      }
    });
}
