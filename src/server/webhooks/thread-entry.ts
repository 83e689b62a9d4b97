/** Worker-thread side of ./thread.ts: builds the inbox worker from plain config and runs it. */
import { parentPort, workerData } from "node:worker_threads";
import { openLedger } from "../../ledger/index.js";
import type { SourceConfig } from "../../sources/types.js";
import { LedgerLinker } from "./apply/ledger.js";
import { LegacyApplier } from "./apply/legacy.js";
import { openSqlExec } from "./apply/sql-exec.js";
import type { WebhookScheme, WebhooksConfig } from "./config.js";
import { openInbox } from "./inbox/index.js";
import { WebhookWorker } from "./worker.js";

export interface ThreadData {
  config: WebhooksConfig;
  source: SourceConfig;
  ledgerUrl: string;
  ledgerTarget: string;
  cwd: string;
  schemes: [string, WebhookScheme][];
  /** Link targetId ↔ externalId in the ledger (apply.ledger and a ledger is configured). */
  linkLedger: boolean;
}

export type ThreadMessage =
  | { kind: "ready" }
  | { kind: "log"; entry: Record<string, unknown> }
  | { kind: "fatal"; message: string; code?: string };

async function main(): Promise<void> {
  const d = workerData as ThreadData;
  const port = parentPort!;
  const closers: (() => Promise<void>)[] = [];
  const closeAll = async () => {
    for (const c of closers.reverse()) await c().catch(() => undefined);
  };
  let worker: WebhookWorker;
  try {
    const inbox = await openInbox(d.config.inboxUrl ?? d.ledgerUrl, d.cwd);
    closers.push(() => inbox.close());
    let legacy: LegacyApplier | undefined;
    if (d.config.apply.legacy) {
      const exec = await openSqlExec(d.source, d.cwd);
      closers.push(() => exec.close());
      legacy = new LegacyApplier(exec, d.config.apply.legacy);
    }
    let linker: LedgerLinker | undefined;
    if (d.linkLedger) {
      const ledger = openLedger(d.ledgerUrl, d.ledgerTarget, d.cwd);
      closers.push(() => ledger.close());
      linker = new LedgerLinker(ledger);
      closers.push(() => linker!.close());
    }
    worker = new WebhookWorker({
      inbox,
      schemes: new Map(d.schemes),
      ...(legacy ? { legacy } : {}),
      ...(linker ? { ledger: linker } : {}),
      ledgerTarget: d.ledgerTarget,
      settings: d.config.worker,
      log: (entry) => port.postMessage({ kind: "log", entry } satisfies ThreadMessage),
    });
  } catch (e) {
    await closeAll();
    port.postMessage({ kind: "fatal", message: (e as Error).message, ...((e as { code?: string }).code ? { code: (e as { code: string }).code } : {}) } satisfies ThreadMessage);
    return;
  }
  closers.push(() => worker.stop());
  port.on("message", (m: { kind: string }) => {
    if (m.kind === "kick") worker.kick();
    else if (m.kind === "stop") void closeAll().then(() => port.close());
  });
  worker.start();
  port.postMessage({ kind: "ready" } satisfies ThreadMessage);
}

void main();
