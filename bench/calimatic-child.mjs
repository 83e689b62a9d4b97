/**
 * The Calimatic simulator for bench:engine-run, in its own process: it stands in for a remote
 * provider, so its CPU (parsing 500-user bodies, storing users) must not be charged to the
 * engine's event loop. Started with IPC by engine-run.bench.ts: argv = <requestsPerSecond>; it
 * sends `{ url, credentials }`, answers "stats" with its counters and the reset mails' times,
 * and exits on "close".
 */
// Built code (dist/), like bench/hooks-server.mjs.
import { startCalimatic } from "../dist/simulators/calimatic/index.js";

const sim = await startCalimatic({ rateLimit: Number(process.argv[2]), bcryptCost: 4 });
process.send({ type: "ready", url: sim.url, credentials: sim.credentials });
process.on("message", async (m) => {
  if (m === "stats") {
    const resets = sim.store.outbox.filter((x) => x.kind === "password_reset").map((x) => Date.parse(x.at));
    process.send({ type: "stats", stats: sim.stats(), resets });
  } else if (m === "close") {
    await sim.close();
    process.exit(0);
  }
});
