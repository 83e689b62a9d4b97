import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { AuthmigrateError } from "../../errors.js";
import { auth0Scripts } from "../../server/auth0.js";
import type { RunningService, StartOptions } from "../../server/service.js";
import { load, waitForSignal, withConfig, type CommonOptions } from "../common.js";

export interface ServeCliOptions extends CommonOptions {
  port?: string;
  host?: string;
}

export interface ServeDeps {
  stdout?: (s: string) => void;
  /** Resolves when the service should stop (default: first SIGINT/SIGTERM). */
  waitForStop?: () => Promise<void>;
  /** Called once the service listens (tests). */
  onStarted?: (svc: RunningService) => void;
  start?: StartOptions;
}


function port(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new AuthmigrateError("CLI_BAD_OPTION", `--port must be an integer between 0 and 65535, got "${v}"`);
  return n;
}

/** Starts the lazy-migration hooks, prints the URL and routes, runs until stopped, closes gracefully. */
export async function runServe(o: ServeCliOptions, deps: ServeDeps = {}): Promise<void> {
  const out = deps.stdout ?? ((s: string) => void process.stdout.write(s));
  const { config, cwd } = await load(o);
  const p = port(o.port);
  // The service (HTTP server, webhooks, dashboard, metrics) loads only for `serve`, not every command.
  const { startService } = await import("../../server/service.js");
  const svc = await startService(config, cwd, { ...deps.start, ...(p !== undefined ? { port: p } : {}), ...(o.host ? { host: o.host } : {}) });
  try {
    if (o.json) out(JSON.stringify({ url: svc.url, routes: svc.routes, jit: svc.jit }) + "\n");
    else {
      const lines = [`authmigrate serve listening on ${svc.url}`, "routes:", ...svc.routes.map((r) => `  ${r}`)];
      lines.push(svc.jit ? `just-in-time: on (target ${config.target.type})` : "just-in-time: off (ledger only)");
      lines.push("press Ctrl-C to stop");
      out(lines.join("\n") + "\n");
    }
    deps.onStarted?.(svc);
    await (deps.waitForStop ?? waitForSignal)();
  } finally {
    await svc.close();
  }
  if (!o.json) out("authmigrate serve stopped\n");
}

export function registerServeCommand(program: Command, deps: ServeDeps = {}): void {
  withConfig(
    program
      .command("serve")
      .description("run the lazy (on-login) migration hooks: generic verify, Ory Kratos, Prelude, Auth0 custom DB")
      .option("--port <n>", "port to listen on (default: serve.port, 0 = random)")
      .option("--host <host>", "interface to bind (127.0.0.1 only; put a TLS proxy in front)"),
  ).action(async (o: ServeCliOptions) => {
    await runServe(o, deps);
  });
}

export interface GenerateAuth0Options {
  out?: string;
}

/** Writes login.js and get_user.js (Auth0 custom DB scripts calling this service); returns the paths. */
export function writeAuth0Scripts(dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const s = auth0Scripts();
  const files = [path.join(dir, "login.js"), path.join(dir, "get_user.js")];
  writeFileSync(files[0]!, s.login);
  writeFileSync(files[1]!, s.getUser);
  return files;
}

export function registerGenerateCommand(program: Command, deps: { stdout?: (s: string) => void } = {}): void {
  const out = deps.stdout ?? ((s: string) => void process.stdout.write(s));
  const gen = program.command("generate").description("generate files for integrating authmigrate with an identity provider");
  gen
    .command("auth0-scripts")
    .description("write the Auth0 custom database Login and Get User scripts that call `authmigrate serve`")
    .option("-o, --out <dir>", "directory to write login.js and get_user.js into", "auth0-scripts")
    .action((o: GenerateAuth0Options) => {
      const files = writeAuth0Scripts(path.resolve(o.out ?? "auth0-scripts"));
      out(
        [
          ...files.map((f) => `wrote ${f}`),
          "paste them into Auth0 → Authentication → Database → <connection> → Custom Database (Login, Get User),",
          "add the settings AUTHMIGRATE_URL (this service's public https URL) and AUTHMIGRATE_SECRET (serve.secret),",
          'and enable "Import Users to Auth0" on the connection.',
        ].join("\n") + "\n",
      );
    });
}
