/**
 * Runs the inbox worker in a worker thread. better-sqlite3 is synchronous: a SQLite legacy commit
 * (several fsyncs) or a ledger write on the main thread would hold back every acknowledgement
 * queued behind it. In the thread they don't; the main thread only verifies, inserts and answers.
 *
 * The thread opens its own connections (inbox, legacy, ledger) from the same config; WAL mode lets
 * the main thread's inbox inserts and the thread's updates share the file.
 */
import type { Worker } from "node:worker_threads";
import { startModuleWorker } from "../../util/module-worker.js";
import { AuthmigrateError } from "../../errors.js";
import type { LogEntry, Logger } from "../log.js";
import type { ThreadData, ThreadMessage } from "./thread-entry.js";

function startThread(data: ThreadData): Worker {
  return startModuleWorker(import.meta.url, "thread-entry", { workerData: data });
}

/** The same face as WebhookWorker (start / kick / stop), backed by a thread. */
export class ThreadedWorker {
  private worker: Worker | undefined;
  private ready: Promise<void> | undefined;
  private stopped: Promise<void> | undefined;

  constructor(
    private readonly data: ThreadData,
    private readonly log: Logger = () => {},
  ) {}

  private stopping = false;

  /** Starts the thread; resolves once it opened its connections (rejects with its startup error). */
  start(): Promise<void> {
    this.ready ??= new Promise<void>((resolve, reject) => {
      let up = false;
      const w = startThread(this.data);
      this.worker = w;
      w.on("message", (m: ThreadMessage) => {
        if (m.kind === "ready") {
          up = true;
          resolve();
        } else if (m.kind === "log") this.log(m.entry as LogEntry);
        else if (m.kind === "fatal") reject(new AuthmigrateError(m.code ?? "WEBHOOK_WORKER_FAILED", m.message));
      });
      w.on("error", (e) => {
        this.log({ event: "webhook_worker_error", code: (e as { code?: string }).code ?? e.name, message: e.message.slice(0, 200) });
        if (!up) reject(e);
      });
      w.once("exit", () => {
        if (!up) return reject(new Error("webhook worker thread exited before it was ready"));
        if (this.stopping) return;
        // A crash must not stop processing for the rest of the serve's life: the inbox keeps every event, start again.
        this.log({ event: "webhook_worker_restart" });
        this.ready = undefined;
        setTimeout(() => void this.start().catch(() => undefined), 1000).unref();
      });
    });
    return this.ready;
  }

  kick(): void {
    this.worker?.postMessage({ kind: "kick" });
  }

  /** Finishes the batch in progress, closes the thread's connections, ends the thread. */
  stop(): Promise<void> {
    this.stopping = true;
    const w = this.worker;
    if (!w) return Promise.resolve();
    this.stopped ??= new Promise<void>((resolve) => {
      const t = setTimeout(() => void w.terminate(), 10_000);
      w.once("exit", () => {
        clearTimeout(t);
        resolve();
      });
      w.postMessage({ kind: "stop" });
    });
    return this.stopped;
  }
}
