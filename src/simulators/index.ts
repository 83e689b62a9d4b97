/**
 * The simulator registry: local HTTP imitations of identity providers (see ./kit.ts).
 *
 * To add one: create `src/simulators/<id>.ts` exporting a `SimulatorDef` (build a Hono app,
 * `app.use(faults(opts.faults ?? {}), rateLimit({...}))`, then `serveSimulator(app, { port: opts.port })`),
 * and add ONE line below: `<id>: <id>Simulator,` (keep the list sorted). `authmigrate simulate <id>`
 * picks it up automatically.
 */
import { auth0Simulator } from "./auth0/index.js";
import { authgearSimulator } from "./authgear/index.js";
import { calimaticSimulator } from "./calimatic/index.js";
import type { FaultOptions } from "./kit.js";
import { preludeSimulator } from "./prelude/index.js";
import { workosSimulator } from "./workos/index.js";

export interface SimulatorStartOptions {
  /** 0 / omitted = random free port. */
  port?: number;
  /** Requests per second before 429 (omitted = the provider's documented default, or unlimited). */
  rateLimit?: number;
  faults?: FaultOptions;
  seed?: number;
  /** Credentials the simulator accepts (omitted = it generates fixed test ones). */
  credentials?: Record<string, string>;
  /** Simulators that emit signed user webhooks (workos, prelude, authgear) POST them here (./webhook-emitter.ts). */
  webhookUrl?: string;
  webhookSecret?: string;
}

export interface RunningSimulator {
  url: string;
  /** Credentials to put in the authmigrate config (printed by `authmigrate simulate`). */
  credentials?: Record<string, string>;
  close(): Promise<void>;
  // Simulators return a subtype with their store access (users, orgs, stats…).
}

export interface SimulatorDef {
  id: string;
  description: string;
  start(opts: SimulatorStartOptions): Promise<RunningSimulator>;
}

export const simulators: Record<string, SimulatorDef> = {
  auth0: auth0Simulator,
  authgear: authgearSimulator,
  calimatic: calimaticSimulator,
  prelude: preludeSimulator,
  workos: workosSimulator,
};

