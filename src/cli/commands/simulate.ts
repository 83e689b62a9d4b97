import type { Command } from "commander";
import { AuthmigrateError } from "../../errors.js";
import type { Burst429, FaultOptions } from "../../simulators/kit.js";
import type { RunningSimulator, SimulatorDef } from "../../simulators/index.js";
import { waitForSignal } from "../common.js";

export interface SimulateCliOptions {
  port?: string;
  rateLimit?: string;
  failRate?: string;
  timeoutRate?: string;
  resetRate?: string;
  burst429?: string;
  seed?: string;
  webhookUrl?: string;
}

export interface SimulateDeps {
  stdout?: (s: string) => void;
  registry?: Record<string, SimulatorDef>;
  /** Resolves when the simulator should stop (default: first SIGINT/SIGTERM). */
  waitForStop?: () => Promise<void>;
}

function num(name: string, v: string | undefined, { min = 0, max = Infinity, int = false } = {}): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max || (int && !Number.isInteger(n))) {
    throw new AuthmigrateError("CLI_BAD_OPTION", `--${name} must be a${int ? "n integer" : " number"} between ${min} and ${max}, got "${v}"`);
  }
  return n;
}

/** `--burst-429 10` = 429s during the first second of every 10 s; `--burst-429 2000-4000,8000-9000` = windows in ms since start. */
export function parseBurst429(v: string | undefined): Burst429 | undefined {
  if (v === undefined) return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return { everySeconds: Number(v) };
  const windows = v.split(",").map((w) => {
    const m = /^(\d+)-(\d+)$/.exec(w.trim());
    if (!m || Number(m[2]) <= Number(m[1])) {
      throw new AuthmigrateError("CLI_BAD_OPTION", `--burst-429 expects N (seconds) or windows like 2000-4000,8000-9000 (ms), got "${v}"`);
    }
    return { fromMs: Number(m[1]), toMs: Number(m[2]) };
  });
  return { windows };
}

export function simulateFaults(o: SimulateCliOptions): FaultOptions | undefined {
  const f: FaultOptions = {};
  const failRate = num("fail-rate", o.failRate, { max: 1 });
  const timeoutRate = num("timeout-rate", o.timeoutRate, { max: 1 });
  const resetRate = num("reset-rate", o.resetRate, { max: 1 });
  const burst429 = parseBurst429(o.burst429);
  const seed = num("seed", o.seed, { int: true });
  if (failRate) f.failRate = failRate;
  if (timeoutRate) f.timeoutRate = timeoutRate;
  if (resetRate) f.resetRate = resetRate;
  if (burst429) f.burst429 = burst429;
  if (Object.keys(f).length === 0) return undefined;
  if (seed !== undefined) f.seed = seed;
  return f;
}


/** Starts a simulator, prints its URL and credentials, runs until stopped, closes it. */
export async function runSimulate(target: string, o: SimulateCliOptions, deps: SimulateDeps = {}): Promise<void> {
  // Loaded here, not at start-up: the simulators pull in HTTP servers no other command needs.
  const registry = deps.registry ?? (await import("../../simulators/index.js")).simulators;
  const out = deps.stdout ?? ((s: string) => void process.stdout.write(s));
  const def = registry[target];
  if (!def) {
    const ids = Object.keys(registry).sort();
    throw new AuthmigrateError("SIMULATOR_UNKNOWN", `unknown simulator "${target}"; available: ${ids.length ? ids.join(", ") : "(none yet)"}`, {
      hint: "run `authmigrate simulate --help`",
      meta: { target, available: ids },
    });
  }
  const port = num("port", o.port, { max: 65535, int: true });
  const rateLimit = num("rate-limit", o.rateLimit, { min: 0.001 });
  const seed = num("seed", o.seed, { int: true });
  const faults = simulateFaults(o);
  const sim: RunningSimulator = await def.start({
    ...(port !== undefined ? { port } : {}),
    ...(rateLimit !== undefined ? { rateLimit } : {}),
    ...(seed !== undefined ? { seed } : {}),
    ...(faults ? { faults } : {}),
    // Signed user-change webhooks (workos, prelude, authgear); the secret comes from the environment, never argv.
    ...(o.webhookUrl ? { webhookUrl: o.webhookUrl, webhookSecret: process.env.AUTHMIGRATE_WEBHOOK_SECRET ?? "" } : {}),
  });
  try {
    const lines = [`${def.id} simulator listening on ${sim.url}`];
    if (sim.credentials && Object.keys(sim.credentials).length) {
      lines.push("credentials for your authmigrate config:");
      for (const [k, v] of Object.entries(sim.credentials)) lines.push(`  ${k}: ${v}`);
    }
    if (faults) lines.push(`faults: ${JSON.stringify(faults)}`);
    if (rateLimit !== undefined) lines.push(`rate limit: ${rateLimit} req/s`);
    if (o.webhookUrl) lines.push(`webhooks: signed user events → ${o.webhookUrl}`);
    lines.push("press Ctrl-C to stop");
    out(lines.join("\n") + "\n");
    await (deps.waitForStop ?? waitForSignal)();
  } finally {
    await sim.close();
  }
  out(`${def.id} simulator stopped\n`);
}

export function registerSimulateCommand(program: Command, deps: SimulateDeps = {}): void {
  program
    .command("simulate")
    .description("run a local imitation of an identity provider (for tests and offline rehearsals)")
    .argument("<target>", "simulator id (e.g. calimatic, workos, authgear)")
    .option("--port <n>", "port to listen on (default: random)")
    .option("--rate-limit <n>", "requests per second before answering 429")
    .option("--fail-rate <x>", "fraction of requests answered 500 (0..1)")
    .option("--timeout-rate <x>", "fraction of requests never answered (0..1)")
    .option("--reset-rate <x>", "fraction of connections reset (0..1)")
    .option("--burst-429 <spec>", "N: 429s during the first second of every N s; or ms windows 2000-4000,8000-9000")
    .option("--seed <n>", "seed of the fault PRNG (deterministic faults)")
    .option("--webhook-url <url>", "POST signed user create/update/delete events here (secret: $AUTHMIGRATE_WEBHOOK_SECRET; workos, prelude, authgear)")
    .action(async (target: string, o: SimulateCliOptions) => {
      await runSimulate(target, o, deps);
    });
}
