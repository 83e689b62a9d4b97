import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import type { Worker } from "node:worker_threads";
import { startModuleWorker } from "../util/module-worker.js";
import { AuthmigrateError } from "../errors.js";
import type { PoolJob, PoolReply } from "./worker.js";

interface Pending {
  job: PoolJob;
  resolve: (v: boolean) => void;
  reject: (e: unknown) => void;
}

interface Slot {
  worker: Worker;
  busy?: Pending;
}

let scriptFound: boolean | undefined;

/**
 * Whether the worker script can be started. False when this module was bundled into another file
 * (esbuild, a serverless build) without dist/hashes/worker.js beside it: verification then runs
 * inline, slower under load but correct, instead of every heavy verify failing.
 */
export function poolAvailable(): boolean {
  if (scriptFound === undefined) {
    const here = import.meta.url;
    scriptFound = here.endsWith(".ts") || !here.startsWith("file:") || existsSync(fileURLToPath(new URL("./worker.js", here)));
  }
  return scriptFound;
}

/** dist/hashes/worker.js when built, worker.ts through tsx from sources (util/module-worker.ts). */
function startWorker(): Worker {
  return startModuleWorker(import.meta.url, "worker", { stdout: false, stderr: false });
}

/**
 * Fixed-size pool of worker threads for CPU-heavy verification (bcrypt, argon2, scrypt, PBKDF2…),
 * so the event loop stays free. Workers are unref'd while idle: the pool never keeps a process alive.
 */
export class VerifyPool {
  readonly size: number;
  private slots: Slot[] = [];
  private queue: Pending[] = [];
  private nextId = 1;
  private closed = false;

  constructor(size = availableParallelism()) {
    this.size = Math.max(1, Math.floor(size));
  }

  verify(format: string, value: string, params: Record<string, unknown>, password: string): Promise<boolean> {
    if (this.closed) return Promise.reject(new AuthmigrateError("HASH_POOL_CLOSED", "The hash verification pool is closed"));
    return new Promise<boolean>((resolve, reject) => {
      this.queue.push({ job: { id: this.nextId++, format, value, params, password }, resolve, reject });
      this.pump();
    });
  }

  private spawn(): Slot {
    const worker = startWorker();
    const slot: Slot = { worker };
    worker.unref();
    worker.on("message", (reply: PoolReply) => {
      const p = slot.busy;
      if (!p || p.job.id !== reply.id) return;
      slot.busy = undefined;
      worker.unref();
      if (reply.ok) p.resolve(reply.valid);
      else p.reject(new AuthmigrateError(reply.error.code, reply.error.message, { hint: reply.error.hint, meta: reply.error.meta }));
      this.pump();
    });
    const die = (why: string) => {
      this.slots = this.slots.filter((s) => s !== slot);
      const p = slot.busy;
      slot.busy = undefined;
      if (p) p.reject(new AuthmigrateError("HASH_WORKER_FAILED", `Hash worker stopped (${why})`, { retryable: true }));
      if (!this.closed) this.pump();
    };
    worker.on("error", (e) => { if (process.env.AUTHMIGRATE_DEBUG_POOL) console.error(e); die("error"); });
    worker.on("exit", (code) => die(`exit ${code}`));
    this.slots.push(slot);
    return slot;
  }

  private pump(): void {
    while (this.queue.length > 0 && !this.closed) {
      let slot = this.slots.find((s) => !s.busy);
      if (!slot && this.slots.length < this.size) slot = this.spawn();
      if (!slot) return;
      const p = this.queue.shift()!;
      slot.busy = p;
      slot.worker.ref(); // keep the process alive while a caller awaits a result
      slot.worker.postMessage(p.job);
    }
  }

  /** Number of workers started so far (they start lazily). */
  get started(): number {
    return this.slots.length;
  }

  async close(): Promise<void> {
    this.closed = true;
    const err = new AuthmigrateError("HASH_POOL_CLOSED", "The hash verification pool is closed");
    for (const p of this.queue.splice(0)) p.reject(err);
    const slots = this.slots.splice(0);
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }
}

let shared: VerifyPool | undefined;

/** The process-wide pool (size = cores), created on first use. */
export function getPool(): VerifyPool {
  if (!shared) shared = new VerifyPool();
  return shared;
}

/** Closes the shared pool (a later getPool() creates a fresh one). */
export async function closePool(): Promise<void> {
  const p = shared;
  shared = undefined;
  await p?.close();
}
