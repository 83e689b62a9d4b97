import Database from "better-sqlite3";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { auditUsers, type AuditReport } from "../audit/compute.js";
import { parseConfig } from "../config/load.js";
import { openUserSource, readMappedUsers } from "../engine/read.js";
import type { ProgressFn } from "../engine/progress.js";
import { runMigration, type RunReport } from "../engine/run.js";
import { verifyMigration, type VerifyReport } from "../engine/verify.js";
import { demoConfig, demoConfigFile } from "./demo-config.js";
import { DEMO_ACCOUNTS, DEMO_AS_OF, generateLegacyDb } from "./generate-legacy.js";
import { signInDemoAccounts, type SignInResult } from "./sign-in.js";

export interface DemoOptions {
  dir: string;
  users: number;
  seed?: number;
  onStep?: (step: string) => void;
  onProgress?: (step: string) => ProgressFn | undefined;
}

export interface DemoResult {
  dir: string;
  legacyDb: string;
  targetDb: string;
  generated: boolean;
  audit: AuditReport;
  plan: RunReport;
  run: RunReport;
  verify: VerifyReport;
  accounts: (SignInResult & { password: string; hashFormat: string })[];
}

function userCount(file: string): number | undefined {
  try {
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      return (db.prepare("SELECT COUNT(*) AS n FROM Users").get() as { n: number }).n;
    } finally {
      db.close();
    }
  } catch {
    return undefined;
  }
}

/**
 * The whole seed-000 flow on the embedded default: generate the legacy DB (once; it is
 * deterministic), then audit → plan → run → verify into better-auth, then sign the demo accounts in.
 * A second run finds everything unchanged and creates nothing.
 */
export async function runDemo(opts: DemoOptions): Promise<DemoResult> {
  const dir = path.resolve(opts.dir);
  mkdirSync(dir, { recursive: true });
  const legacyDb = path.join(dir, "legacy.db");
  const raw = demoConfig();
  // Written so every other command can be tried on the demo: authmigrate status -c <dir>/authmigrate.config.json
  writeFileSync(path.join(dir, "authmigrate.config.json"), JSON.stringify(demoConfigFile(), null, 2) + "\n");
  const config = parseConfig(raw, "demo");

  let generated = false;
  if (!existsSync(legacyDb) || userCount(legacyDb) !== opts.users) {
    opts.onStep?.(`generating legacy database with ${opts.users} users`);
    generateLegacyDb({ file: legacyDb, users: opts.users, ...(opts.seed !== undefined ? { seed: opts.seed } : {}) });
    generated = true;
  }

  opts.onStep?.("audit");
  const source = await openUserSource(config, dir);
  let audit: AuditReport;
  try {
    audit = await auditUsers(readMappedUsers(config, source), { asOf: DEMO_AS_OF, source: source.describe() });
  } finally {
    await source.close();
  }

  opts.onStep?.("plan");
  const plan = await runMigration({ config, cwd: dir, dryRun: true, ...progress(opts, "plan") });
  opts.onStep?.("run");
  const run = await runMigration({ config, cwd: dir, ...progress(opts, "run") });
  opts.onStep?.("verify");
  // The demo accounts are the pilot credentials of seed 000's checklist ("login works").
  const signIn = DEMO_ACCOUNTS.map((a) => ({ email: a.email, password: a.password }));
  const verify = await verifyMigration({ config, cwd: dir, signIn, ...progress(opts, "verify") });
  opts.onStep?.("sign in demo accounts");
  const targetDb = path.join(dir, "auth.db");
  const signIns = await signInDemoAccounts(targetDb, DEMO_ACCOUNTS);
  const accounts = signIns.map((s, i) => ({ ...s, password: DEMO_ACCOUNTS[i]!.password, hashFormat: DEMO_ACCOUNTS[i]!.hashFormat }));
  return { dir, legacyDb, targetDb, generated, audit, plan, run, verify, accounts };
}

function progress(opts: DemoOptions, step: string): { onProgress?: ProgressFn } {
  const fn = opts.onProgress?.(step);
  return fn ? { onProgress: fn } : {};
}
