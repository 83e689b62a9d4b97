// One measured scenario in its own process (built code, no TS loader), so peak RSS is its own.
// argv: <scan|pipeline> <dir>
import Database from "better-sqlite3";
import { statSync } from "node:fs";
import path from "node:path";
import { parseConfig } from "../dist/config/load.js";
import { runMigration } from "../dist/engine/run.js";

const [mode, dir] = process.argv.slice(2);
const started = process.hrtime.bigint();
let rows = 0;
let walPeakMb = 0;
if (mode === "scan") {
  const db = new Database(path.join(dir, "legacy.db"), { readonly: true });
  for (const _row of db.prepare("SELECT * FROM Users").iterate()) rows++;
  db.close();
} else {
  const config = parseConfig({
    source: { type: "sqlite", path: "legacy.db", table: "Users", orderBy: ["Id"], pageSize: 1000 },
    mapping: {
      fields: {
        externalId: "Id", email: "Email", givenName: "FirstName", familyName: "LastName", password: "PasswordHash",
        phone: "PhoneNumber", active: "IsActive", lastLoginAt: "LastLoginDate", createdAt: "CreatedDate", org: "TenantId", role: "RoleId",
      },
      roles: { map: { 1: "org_owner", 2: "org_admin", 3: "member" }, default: "member" },
    },
    target: { type: "file", path: "out/users.ndjson" },
    ledger: { url: "ledger.sqlite" },
    run: { batchSize: 1000, concurrency: 2, outDir: "out" },
  });
  // The ledger's WAL must stay bounded however long the run (it once grew to 23 GB: docs/benchmarks.md).
  const wal = path.join(dir, "ledger.sqlite-wal");
  const sampler = setInterval(() => {
    try {
      walPeakMb = Math.max(walPeakMb, statSync(wal).size / 1048576);
    } catch {}
  }, 250);
  const report = await runMigration({ config, cwd: dir });
  clearInterval(sampler);
  rows = report.counts.total ?? 0;
}
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
process.stdout.write(JSON.stringify({ mode, rows, seconds, rate: rows / seconds, peakRssMb: process.resourceUsage().maxRSS / 1024, walPeakMb }) + "\n");
