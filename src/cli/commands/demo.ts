import type { Command } from "commander";
import type { DemoResult } from "../../demo/run-demo.js";
import { AuthmigrateError } from "../../errors.js";
import { endProgress, printJson, progressPrinter, table } from "../output.js";
import { renderRunReport, renderVerify } from "./migrate.js";

async function render(r: DemoResult): Promise<string> {
  const { renderTable } = await import("../../audit/render-table.js");
  const out = [
    `authmigrate demo — legacy ${r.legacyDb}${r.generated ? " (generated)" : " (reused)"} → better-auth ${r.targetDb}`,
    "",
    "== audit ==",
    renderTable(r.audit, { limitGroups: 3, limitRows: 10 }),
    "",
    "== plan ==",
    renderRunReport(r.plan),
    "",
    "== run ==",
    renderRunReport(r.run),
    "",
    "== verify ==",
    renderVerify(r.verify),
    "",
    "== demo accounts (signed in through better-auth with the authmigrate/better-auth plugin) ==",
    table(
      r.accounts.map((a) => [a.email, a.password, a.hashFormat, a.ok ? "sign-in OK" : "sign-in FAILED", `hash now ${a.storedHash}`]),
      ["email", "password", "legacy hash", "result", "stored"],
    ),
    "",
    `try: node dist/cli/bin.js status -c ${r.dir}/authmigrate.config.json   (installed as a package: npx authmigrate …)`,
  ];
  return out.join("\n");
}

export function registerDemoCommand(program: Command): void {
  program
    .command("demo")
    .description("generate a Calimatic-style legacy DB and migrate it into better-auth (audit → plan → run → verify → sign in)")
    .option("--users <n>", "users in the generated legacy database", "10000")
    .option("--dir <dir>", "working directory for the demo files", ".authmigrate/demo")
    .option("--seed <n>", "PRNG seed of the generated data")
    .option("--json", "machine-readable output on stdout")
    .action(async (o: { users: string; dir: string; seed?: string; json?: boolean }) => {
      const users = Number(o.users);
      if (!Number.isInteger(users) || users < 10) throw new AuthmigrateError("USAGE", `--users: expected an integer ≥ 10, got "${o.users}"`);
      const { runDemo } = await import("../../demo/run-demo.js");
      const result = await runDemo({
        dir: o.dir,
        users,
        ...(o.seed !== undefined ? { seed: Number(o.seed) } : {}),
        onStep: (s) => process.stderr.write(`» ${s}\n`),
        onProgress: (step) => progressPrinter(step),
      });
      endProgress();
      if (o.json) printJson(result);
      else process.stdout.write((await render(result)) + "\n");
      const failedSignIn = result.accounts.some((a) => !a.ok);
      if (failedSignIn || !result.verify.ok) process.exitCode = 1;
    });
}
