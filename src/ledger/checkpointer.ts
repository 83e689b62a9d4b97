import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

/**
 * WAL checkpoints off the event loop. In WAL mode with `synchronous = NORMAL` a commit does not
 * fsync; the automatic checkpoint that follows every ~1000 WAL pages does, inside whichever commit
 * crosses the threshold — 10–30 ms on a VM disk, during which a long-running server (serve's
 * hooks) answers nobody. Here the connection that writes turns automatic checkpoints off and a
 * worker thread with its own connection runs a PASSIVE checkpoint (never blocks writers or readers)
 * every `intervalMs`. If the thread dies, automatic checkpoints come back on.
 */
const CODE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma("busy_timeout = 5000");
const checkpoint = () => { try { db.pragma("wal_checkpoint(PASSIVE)"); } catch {} };
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on("message", (m) => {
  if (m !== "close") return;
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort.close(); // nothing left to run: the thread exits
});
`;

export interface Checkpointer {
  close(): Promise<void>;
}

export function startCheckpointer(file: string, onDeath: () => void, intervalMs = 1000): Checkpointer {
  const driver = createRequire(import.meta.url).resolve("better-sqlite3");
  const worker = new Worker(CODE, { eval: true, workerData: { file, driver, intervalMs }, stdout: false, stderr: false });
  worker.unref();
  let closing = false;
  const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
  const died = () => {
    if (!closing) onDeath();
  };
  worker.on("error", died);
  worker.on("exit", died);
  return {
    close: () => {
      // A thread that already died gets the message nowhere; `exited` has settled then anyway.
      closing = true;
      // Unref'd while running (it must not keep a process alive), but waited for here: without a
      // ref, a CLI whose last pending work is this close() exits before it settles (the demo
      // stopped silently after `plan`).
      worker.ref();
      worker.postMessage("close");
      return exited;
    },
  };
}
