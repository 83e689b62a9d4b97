/** Wires config → verifier, resolver, ledger/JIT recorder → Hono app → a listening server. */
import type { Config } from "../config/schema.js";
import { Auth0TenantResolver } from "./auth0-tenant.js";
import { openSession, type Session } from "../engine/session.js";
import { AuthmigrateError } from "../errors.js";
import { openLedger, targetKey } from "../ledger/index.js";
import type { Ledger } from "../ledger/types.js";
import { serveSimulator } from "../simulators/kit.js";
import { createServer, enabledRoutes } from "./app.js";
import type { ServeConfig } from "./config.js";
import { LazyRecorder } from "./lazy.js";
import { openLegacyLookup, type LegacyLookup } from "./legacy-lookup.js";
import { stderrLogger, type Logger } from "./log.js";
import { redisLimits } from "./rate-store.js";
import { openDashboard } from "./dashboard/open.js";
import { countLazyOutcomes, setOutboxDepthProvider } from "../util/metrics.js";
import { openOutboxStore } from "../mirror/outbox.js";
import type { OutboxStore } from "../mirror/outbox-types.js";
import { DbVerifier, OidcPasswordVerifier, type LegacyResolver, type LegacyVerifier } from "./verifiers.js";
import { openWebhooks, type WebhookService } from "./webhooks/index.js";

export interface RunningService {
  url: string;
  port: number;
  routes: string[];
  jit: boolean;
  /** Present when `serve.webhooks` is configured (inbox, worker). */
  webhooks?: WebhookService;
  close(): Promise<void>;
}

export interface StartOptions {
  port?: number;
  host?: string;
  log?: Logger;
  fetch?: typeof fetch;
}

const SQL = new Set(["sqlite", "postgres", "mysql"]);

export function serveConfigOf(config: Config): ServeConfig {
  if (!config.serve) {
    throw new AuthmigrateError("SERVE_NOT_CONFIGURED", "the config has no serve block", {
      hint: 'add serve: { secret: "${AUTHMIGRATE_SERVE_SECRET}", routes: { verify: true } } (see docs/serve.md)',
    });
  }
  return config.serve;
}

export async function startService(config: Config, cwd: string, opts: StartOptions = {}): Promise<RunningService> {
  const serve = serveConfigOf(config);
  const host = opts.host ?? serve.host;
  if (host !== "127.0.0.1") {
    // serveSimulator binds loopback only: put a TLS-terminating proxy in front for real traffic.
    throw new AuthmigrateError("SERVE_BAD_HOST", `serve listens on 127.0.0.1 only, got "${host}"`, {
      hint: "run it behind a TLS reverse proxy (hooks must be HTTPS for Prelude, Kratos and Auth0)",
    });
  }
  const closers: (() => Promise<void>)[] = [];
  const closeAll = async (): Promise<void> => {
    for (const c of closers.reverse()) await c().catch(() => {});
  };
  try {
    let lookup: LegacyLookup | undefined;
    let db: DbVerifier | undefined;
    if (SQL.has(config.source.type)) {
      lookup = openLegacyLookup(config, cwd);
      closers.push(() => lookup!.close());
      db = new DbVerifier(config, lookup);
    }
    let verifier: LegacyVerifier | undefined;
    if (serve.legacy.type === "oidc") verifier = new OidcPasswordVerifier(serve.legacy, opts.fetch ?? fetch, Math.max(1000, serve.timeoutMs - 500));
    else verifier = db;
    const legacy = serve.legacy;
    const resolver: LegacyResolver | undefined =
      legacy.type === "oidc" && legacy.management ? new Auth0TenantResolver({ ...legacy, management: legacy.management }, opts.fetch ?? fetch, Math.max(1000, serve.timeoutMs - 500)) : db;
    const needsVerifier = serve.routes.verify || serve.routes.kratos || serve.routes.auth0;
    if (needsVerifier && !verifier) {
      throw new AuthmigrateError("SERVE_SOURCE_UNSUPPORTED", `legacy.type "db" needs a SQL source (sqlite, postgres, mysql), not "${config.source.type}"`, {
        hint: 'use a SQL source, or serve.legacy: { type: "oidc", … }',
      });
    }
    if ((serve.routes.prelude || serve.routes.auth0) && !resolver) {
      throw new AuthmigrateError("SERVE_SOURCE_UNSUPPORTED", "the prelude and auth0 get-user routes look users up in a SQL source or, for Auth0 tenant → tenant, the old tenant's Management API", {
        hint: "use a sqlite, postgres or mysql source, or set serve.legacy.management { connection, … } with legacy.type oidc",
      });
    }

    let session: Session | undefined;
    let ledger: Ledger;
    // Every ledger-side piece of serve (ledger, outbox, webhook linker) is scoped to this one key.
    const key = targetKey(config.target);
    // A server: checkpoint fsyncs must not stall hook requests (ledger/checkpointer.ts).
    if (serve.jit) {
      session = await openSession(config, cwd, { backgroundCheckpoint: true });
      closers.push(() => session!.close());
      ledger = session.ledger;
    } else {
      ledger = openLedger(config.ledger.url, key, cwd, { backgroundCheckpoint: true });
      closers.push(() => ledger.close());
    }
    // /metrics' outbox gauge: the mirror outbox lives in the ledger database (apps enqueue, serve reports). Opened on first scrape.
    let outbox: OutboxStore | undefined;
    setOutboxDepthProvider(async () => (await (outbox ??= openOutboxStore(config.ledger.url, key, cwd)).depth()).pending);
    closers.push(async () => {
      setOutboxDepthProvider(undefined);
      await outbox?.close();
    });
    const recorder = new LazyRecorder({ ledger, ...(session ? { jit: { target: session.target, instance: session.instance, retries: 2 } } : {}) });
    closers.push(() => recorder.close());
    const dashboard = serve.dashboard ? await openDashboard(config, cwd, ledger, serve.dashboard) : undefined;
    if (dashboard) closers.push(() => dashboard.close());
    let webhooks: WebhookService | undefined;
    if (serve.webhooks) {
      const w = await openWebhooks({
        config: serve.webhooks, source: config.source, ledgerUrl: config.ledger.url, ledger, ledgerTarget: key, cwd,
        log: opts.log ?? stderrLogger, ...(opts.fetch ? { fetch: opts.fetch } : {}),
      });
      webhooks = w;
      closers.push(() => w.close());
    }

    // Shared hook rate limits across serve instances (rate-store.ts).
    const limits = serve.rateLimit.redis ? redisLimits(serve.rateLimit.redis, serve.rateLimit, opts.log ?? stderrLogger) : undefined;
    if (limits) {
      closers.push(() => limits.close());
      await limits.ready;
    }
    const app = createServer({
      serve,
      ...(limits ? { limits } : {}),
      ...(verifier ? { verifier } : {}),
      ...(resolver ? { resolver } : {}),
      recorder,
      targetType: config.target.type,
      log: countLazyOutcomes(opts.log ?? stderrLogger),
      ...(dashboard ? { dashboard } : {}),
      ...(webhooks ? { webhooks: webhooks.routes } : {}),
    });
    const server = await serveSimulator(app, { port: opts.port ?? serve.port, host: "127.0.0.1" });
    closers.push(() => server.close());
    let closing: Promise<void> | undefined;
    return {
      url: server.url,
      port: server.port,
      routes: enabledRoutes(serve),
      jit: serve.jit,
      ...(webhooks ? { webhooks } : {}),
      close: () => (closing ??= closeAll()),
    };
  } catch (e) {
    await closeAll();
    throw e;
  }
}
