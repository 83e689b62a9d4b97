import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

/**
 * WAL checkpoints off the event loop. In WAL mode with `synchronous = NORMAL` a commit does not
 * fsync; the automatic checkpoint that follows every ~1000 WAL pages does, inside whichever commit
 * crosses the threshold — 10–30 ms on a VM disk, during which a long-running server (serve's
 * hooks) answers nobody. Here the connection that writes turns automatic checkpoints off and a
 * worker thread with its own connection runs a PASSIVE checkpoint (never blocks writers or readers)
 * every `intervalMs`. If the thread dies, automatic checkpoints come back on.
 *
 * PASSIVE alone is not enough under a writer that never pauses (a bulk `run`): SQLite rewinds the
 * WAL only when a write starts after *every* frame was copied, and a passive checkpoint always
 * finishes behind the writer. The WAL then grew without bound (23 GB and a 45 MB mapped
 * wal-index for 2M users). So once the WAL holds `restartFrames` frames, the thread runs a RESTART
 * checkpoint: it takes the write lock for the few frames the passive pass left (writers wait on
 * their busy timeout while it copies, a few ms) and the next write starts the WAL from its
 * beginning again. A writer that never yields can still starve it; SqliteLedger's `walLimitBytes`
 * is the backstop for that.
 */
const CODE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.file);
// Only RESTART waits on locks (PASSIVE never does), and it holds the write lock while it waits for
// readers: a short wait keeps a long reader elsewhere from stalling this process's writers; the
// next tick tries again.
db.pragma("busy_timeout = 250");
/** Checkpoints once; returns the WAL's size in frames before it (0 when unknown). */
const checkpoint = () => {
  try {
    const [r] = db.pragma("wal_checkpoint(PASSIVE)");
    if (r && r.log >= workerData.restartFrames) db.pragma("wal_checkpoint(RESTART)");
    return r ? r.log : 0;
  } catch {
    return 0;
  }
};
// A WAL filling fast (a bulk run writes ~100 MB/s of frames) is looked at again soon, not in a second.
let timer;
const tick = () => {
  const frames = checkpoint();
  timer = setTimeout(tick, frames >= workerData.restartFrames / 4 ? Math.min(50, workerData.intervalMs) : workerData.intervalMs);
};
timer = setTimeout(tick, workerData.intervalMs);
parentPort.on("message", (m) => {
  if (m !== "close") return;
  clearTimeout(timer);
  checkpoint();
  db.close();
  parentPort.close(); // nothing left to run: the thread exits
});
`;

export interface Checkpointer {
  close(): Promise<void>;
}

export interface CheckpointerOptions {
  /** How often the thread checkpoints (default 1000 ms). */
  intervalMs?: number;
  /** WAL size, in frames (pages), from which a RESTART checkpoint rewinds it (default 16384: 64 MB of 4 KB pages). */
  restartFrames?: number;
}

export function startCheckpointer(file: string, onDeath: () => void, opts: CheckpointerOptions = {}): Checkpointer {
  const driver = createRequire(import.meta.url).resolve("better-sqlite3");
  const workerData = { file, driver, intervalMs: opts.intervalMs ?? 1000, restartFrames: opts.restartFrames ?? 16384 };
  const worker = new Worker(CODE, { eval: true, workerData, stdout: false, stderr: false });
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
