/**
 * The `serve` side of bench:hooks, in its own process so the load generator's CPU and event-loop
 * stalls don't land in the measured tail. Started by hooks.bench.ts with IPC: it gets the legacy
 * DB's directory as argv[2], starts the service and sends `{ url }`; on "close" it shuts down.
 * AUTHMIGRATE_HASH_POOL=0 in its environment gives the main-thread bcrypt baseline.
 */
// Built code (dist/), as users run it: the hash pool's worker script is found beside it.
import { parseConfig } from "../dist/config/load.js";
import { startService } from "../dist/server/service.js";
import { closePool } from "../dist/hashes/index.js";

const [dir, secret] = process.argv.slice(2);

const config = parseConfig({
  source: { type: "sqlite", path: "legacy.db", table: "Users", orderBy: ["Id"] },
  mapping: { fields: { externalId: "Id", email: "Email", givenName: "FirstName", familyName: "LastName", password: "PasswordHash", active: "IsActive" } },
  target: { type: "file", path: "out/users.ndjson" },
  ledger: { url: "ledger.sqlite" },
  serve: {
    secret,
    port: 0,
    routes: { verify: true },
    // The load comes from one IP: lift the per-IP budget so the bench measures the hook, not the limiter.
    rateLimit: { perIp: { max: 1_000_000, windowSec: 60, lockoutSec: 1 } },
    // Main-thread bcrypt (the baseline) queues requests behind each other: don't time them out.
    timeoutMs: 60_000,
  },
});

const svc = await startService(config, dir, { log: () => {} });
process.send({ url: svc.url });
process.on("message", async (m) => {
  if (m !== "close") return;
  await svc.close();
  await closePool();
  process.exit(0);
});
