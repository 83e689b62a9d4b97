// One measured reconcile scenario in its own process, so peak RSS is its own.
// argv: <prepare|baseline|reconcile> <dir> <n>
import { createWriteStream } from "node:fs";
import { parseConfig } from "../src/config/load.js";
import { openUserSource, readMappedUsers } from "../src/engine/read.js";
import { createTarget } from "../src/targets/index.js";
import { reconcile } from "../src/reconcile/reconcile.js";
import { generateSynthetic } from "./synthetic.js";
import path from "node:path";

const [mode, dir, n] = process.argv.slice(2) as [string, string, string];
const config = parseConfig({
  source: { type: "sqlite", path: "legacy.db", table: "Users", orderBy: ["Id"], pageSize: 2000 },
  mapping: {
    fields: {
      externalId: "Id", email: "Email", givenName: "FirstName", familyName: "LastName", password: "PasswordHash",
      phone: "PhoneNumber", active: "IsActive", lastLoginAt: "LastLoginDate", createdAt: "CreatedDate", org: "TenantId", role: "RoleId",
    },
    roles: { map: { 1: "org_owner", 2: "org_admin", 3: "member" }, default: "member" },
  },
  target: { type: "file", path: "target.ndjson" },
  ledger: { url: "ledger.sqlite" },
});

const started = process.hrtime.bigint();
let out: Record<string, unknown> = {};
if (mode === "prepare") {
  // The target file as a migration would have left it, with drift: every 200th user missing,
  // every 100th renamed. Not measured.
  generateSynthetic(path.join(dir, "legacy.db"), Number(n));
  const file = createWriteStream(path.join(dir, "target.ndjson"));
  const source = await openUserSource(config, dir);
  let i = 0;
  for await (const rec of readMappedUsers(config, source)) {
    if (!rec.user || rec.issues.some((x) => x.severity === "error")) continue;
    i++;
    if (i % 200 === 0) continue;
    const u = i % 100 === 0 ? { ...rec.user, profile: { ...rec.user.profile, givenName: "Renamed" } } : rec.user;
    if (!file.write(JSON.stringify(u) + "\n")) await new Promise<void>((r) => file.once("drain", () => r()));
  }
  await source.close();
  await new Promise<void>((r) => file.end(() => r()));
} else if (mode === "baseline") {
  // Reading both sides once, as reconcile must: the legacy source through the mapping, the target's listUsers.
  let legacy = 0;
  let target = 0;
  const source = await openUserSource(config, dir);
  for await (const _ of readMappedUsers(config, source)) legacy++;
  await source.close();
  const { instance } = await createTarget(config.target, { cwd: dir });
  for await (const _ of instance.listUsers!()) target++;
  out = { legacy, target };
} else {
  const r = await reconcile({ config, cwd: dir });
  out = { legacy: r.legacy.records, target: r.targetUsers, counts: r.counts };
}
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
process.stdout.write(JSON.stringify({ mode, seconds, peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024), ...out }) + "\n");
