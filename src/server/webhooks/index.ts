/**
 * Webhooks for `authmigrate serve`: `POST /webhooks/:provider` (signed deliveries → inbox) and
 * a background worker applying inbox events to the legacy DB and/or the ledger. See docs/sync.md.
 */
import { AuthmigrateError } from "../../errors.js";
import type { Ledger } from "../../ledger/types.js";
import type { SourceConfig } from "../../sources/types.js";
import type { Logger } from "../log.js";
import { LedgerLinker } from "./apply/ledger.js";
import { LegacyApplier } from "./apply/legacy.js";
import { openSqlExec, type SqlExec } from "./apply/sql-exec.js";
import { schemeOf, type WebhookScheme, type WebhooksConfig } from "./config.js";
import { openInbox, type Inbox } from "./inbox/index.js";
import { webhookRoutes, type ProviderRuntime } from "./route.js";
import { ThreadedWorker } from "./thread.js";
import { verifierFor } from "./verify/index.js";
import { WebhookWorker } from "./worker.js";

export { WebhooksConfigSchema, LegacyApplySchema, WebhookProviderSchema, schemeOf, WEBHOOK_SCHEMES } from "./config.js";
export type { WebhooksConfig, WebhooksConfigInput, WebhookScheme, WebhookProviderConfig, LegacyApplyConfig } from "./config.js";
export { openInbox, SqliteInbox, PostgresInbox, type Inbox, type InboxRow, type InboxStatus } from "./inbox/index.js";
export { WebhookWorker } from "./worker.js";
export { webhookRoutes } from "./route.js";
export { toChange, type Change, type ChangeFields } from "./map/index.js";
export { preludeHandshake } from "./handshake.js";
export { verifierFor } from "./verify/index.js";

export const WEBHOOK_ROUTES = ["POST /webhooks/:provider", "GET /webhooks/:provider (Prelude activation)"];

export interface WebhookService {
  routes: ReturnType<typeof webhookRoutes>;
  inbox: Inbox;
  /** In-process worker, or (default) the same worker in a thread. */
  worker: WebhookWorker | ThreadedWorker;
  close(): Promise<void>;
}

export interface OpenWebhooksOptions {
  config: WebhooksConfig;
  /** The legacy source (apply.legacy writes through its connection settings). */
  source: SourceConfig;
  /** Default inbox location. */
  ledgerUrl: string;
  /** For apply.ledger (links) and the reverse lookup target id → external id. */
  ledger?: Ledger;
  ledgerTarget: string;
  cwd: string;
  log?: Logger;
  now?: () => number;
  fetch?: typeof fetch;
  /** Start the worker loop (default true; tests drive an in-process `worker.drain()` themselves). */
  startWorker?: boolean;
}

export async function openWebhooks(o: OpenWebhooksOptions): Promise<WebhookService> {
  const providers = new Map<string, ProviderRuntime>();
  for (const [key, p] of Object.entries(o.config.providers)) {
    const scheme = schemeOf(key, p);
    if (scheme === "prelude" && !p.verificationToken) {
      throw new AuthmigrateError("CONFIG_INVALID", `serve.webhooks.providers.${key}: Prelude needs verificationToken (the activation handshake checks it)`, {
        hint: 'set verificationToken: "${PRELUDE_WEBHOOK_TOKEN}", the value registered with POST /v2/session/apps/{appID}/webhooks',
      });
    }
    providers.set(key, { scheme, config: p, verifier: verifierFor(key, p, o.config.toleranceSec, o.fetch) });
  }
  if (providers.size === 0) throw new AuthmigrateError("CONFIG_INVALID", "serve.webhooks.providers is empty", { hint: 'add e.g. providers: { clerk: { secret: "${CLERK_WEBHOOK_SECRET}" } }' });
  const closers: (() => Promise<void>)[] = [];
  const closeAll = async () => {
    for (const c of closers.reverse()) await c().catch(() => undefined);
  };
  try {
    const inbox = await openInbox(o.config.inboxUrl ?? o.ledgerUrl, o.cwd);
    closers.push(() => inbox.close());
    const schemes = new Map<string, WebhookScheme>([...providers].map(([k, p]) => [k, p.scheme]));
    if (o.config.worker.thread && o.startWorker !== false) {
      const threaded = new ThreadedWorker(
        { config: o.config, source: o.source, ledgerUrl: o.ledgerUrl, ledgerTarget: o.ledgerTarget, cwd: o.cwd, schemes: [...schemes], linkLedger: o.config.apply.ledger && !!o.ledger },
        o.log,
      );
      closers.push(() => threaded.stop());
      await threaded.start();
      const routes = webhookRoutes({ providers, inbox, bodyLimitBytes: o.config.bodyLimitBytes, onStored: () => threaded.kick(), ...(o.log ? { log: o.log } : {}), ...(o.now ? { now: o.now } : {}) });
      let closing: Promise<void> | undefined;
      return { routes, inbox, worker: threaded, close: () => (closing ??= closeAll()) };
    }
    let exec: SqlExec | undefined;
    let legacy: LegacyApplier | undefined;
    if (o.config.apply.legacy) {
      exec = await openSqlExec(o.source, o.cwd);
      closers.push(() => exec!.close());
      legacy = new LegacyApplier(exec, o.config.apply.legacy);
    }
    const linker = o.config.apply.ledger && o.ledger ? new LedgerLinker(o.ledger) : undefined;
    if (linker) closers.push(() => linker.close());
    const worker = new WebhookWorker({
      inbox,
      schemes,
      ...(legacy ? { legacy } : {}),
      ...(linker ? { ledger: linker } : {}),
      ledgerTarget: o.ledgerTarget,
      settings: o.config.worker,
      ...(o.log ? { log: o.log } : {}),
      ...(o.now ? { now: o.now } : {}),
    });
    closers.push(() => worker.stop());
    if (o.startWorker !== false) worker.start();
    const routes = webhookRoutes({
      providers,
      inbox,
      bodyLimitBytes: o.config.bodyLimitBytes,
      onStored: () => worker.kick(),
      ...(o.log ? { log: o.log } : {}),
      ...(o.now ? { now: o.now } : {}),
    });
    let closing: Promise<void> | undefined;
    return { routes, inbox, worker, close: () => (closing ??= closeAll()) };
  } catch (e) {
    await closeAll();
    throw e;
  }
}
