/**
 * Shared pieces of the proofs (issue 5): the demo's Calimatic-style legacy data, a config that
 * migrates it into the Calimatic simulator, and the checks a user would notice — duplicates,
 * missing users, a ledger that disagrees with the target.
 */
import Database from "better-sqlite3";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import type { ConfigInput } from "../../src/config/schema.js";
import { demoConfig } from "../../src/demo/demo-config.js";
import { startCalimatic, type RunningCalimatic } from "../../src/simulators/calimatic/index.js";
import { parseConfig } from "../../src/config/load.js";
import { runMigration } from "../../src/engine/run.js";
import { generateLegacyDb } from "../../src/demo/generate-legacy.js";
import { CLI_ARGS, tempDir } from "../helpers.js";

export const CLI = CLI_ARGS;

/** The demo's config (seed 000 field map, tenants, roles) pointed at a Calimatic simulator. */
export function calimaticConfig(sim: RunningCalimatic, over: { run?: ConfigInput["run"]; target?: Record<string, unknown>; source?: ConfigInput["source"]; orgs?: ConfigInput["orgs"] } = {}): ConfigInput {
  const base = demoConfig();
  return {
    ...base,
    ...(over.source ? { source: over.source } : {}),
    ...(over.orgs ? { orgs: over.orgs } : {}),
    target: {
      type: "calimatic",
      baseUrl: sim.url,
      apiKey: sim.credentials.apiKey,
      clientId: sim.credentials.clientId,
      clientSecret: sim.credentials.clientSecret,
      defaultApplications: ["edtech"],
      // Lookups / verify reads: effectively unpaced by the client (the simulator's own limit applies).
      requestsPerSecond: 1000,
      concurrency: 8,
      ...over.target,
    },
    ledger: { url: "ledger.sqlite" },
    run: { concurrency: 4, batchSize: 50, outDir: "out", ...over.run },
  };
}

export interface LedgerRow {
  external_id: string;
  email: string | null;
  target_id: string | null;
  status: string;
  reason: string | null;
}

/** The ledger's user rows (none when the run was killed before it created the ledger). */
export function readLedger(file: string): LedgerRow[] {
  if (!existsSync(file)) return [];
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return db.prepare("SELECT external_id, email, target_id, status, reason FROM am_users").all() as LedgerRow[];
  } finally {
    db.close();
  }
}

/** Users carried by requests whose answers no run recorded yet (ledger am_intents). */
export function openIntentUsers(file: string): number {
  if (!existsSync(file)) return 0;
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const hasTable = db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'am_intents'").get();
    if (!hasTable) return 0;
    return (db.prepare("SELECT external_ids FROM am_intents").pluck().all() as string[]).reduce((n, ids) => n + (JSON.parse(ids) as string[]).length, 0);
  } finally {
    db.close();
  }
}

export function readReport(file: string): Record<string, unknown>[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** The store as `externalId → emails` (one entry per target user). */
export function storeByExternalId(sim: RunningCalimatic): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const u of sim.store.users.values()) {
    const k = u.externalId ?? "(none)";
    out.set(k, [...(out.get(k) ?? []), u.email]);
  }
  return out;
}

export interface Consistency {
  storeUsers: number;
  /** Emails held by more than one target user (the simulator dedupes by email, so this proves the store too). */
  duplicateEmails: string[];
  /** Legacy ids with more than one target user. */
  duplicateExternalIds: string[];
  /** Target users without a legacy id (not ours). */
  withoutExternalId: number;
  /** Ledger rows that claim a target user the store does not hold. */
  ledgerMissingInStore: string[];
  /** Ledger rows whose target user carries another legacy id. */
  ledgerWrongUser: string[];
  /** Target users no ledger row points to (lost answers that were never reconciled). */
  storeNotInLedger: string[];
  pending: number;
  ledgerRows: number;
}

export function consistency(sim: RunningCalimatic, ledger: LedgerRow[]): Consistency {
  const emails = new Map<string, number>();
  for (const u of sim.store.users.values()) emails.set(u.email, (emails.get(u.email) ?? 0) + 1);
  const byExt = storeByExternalId(sim);
  const pointed = new Set<string>();
  const c: Consistency = {
    storeUsers: sim.store.users.size,
    duplicateEmails: [...emails].filter(([, n]) => n > 1).map(([e]) => e),
    duplicateExternalIds: [...byExt].filter(([k, v]) => k !== "(none)" && v.length > 1).map(([k]) => k),
    withoutExternalId: byExt.get("(none)")?.length ?? 0,
    ledgerMissingInStore: [],
    ledgerWrongUser: [],
    storeNotInLedger: [],
    pending: ledger.filter((r) => r.status === "pending").length,
    ledgerRows: ledger.length,
  };
  for (const r of ledger) {
    if (!r.target_id || !["created", "updated", "skipped"].includes(r.status)) continue;
    pointed.add(r.target_id);
    const u = sim.store.users.get(r.target_id);
    if (!u) c.ledgerMissingInStore.push(r.external_id);
    else if (u.externalId !== r.external_id) c.ledgerWrongUser.push(r.external_id);
  }
  for (const u of sim.store.users.values()) if (!pointed.has(u.id)) c.storeNotInLedger.push(u.externalId ?? u.id);
  return c;
}

/** What a clean, uninterrupted run leaves in the store: `externalId → email`. */
export function storeSnapshot(sim: RunningCalimatic): Map<string, string> {
  return new Map([...sim.store.users.values()].map((u) => [u.externalId ?? u.id, u.email]));
}

export { prng } from "../../src/demo/prng.js";

/** The demo's legacy SQLite DB (`generateLegacyDb`) as the user and org source, by absolute path. */
export const demoSource = (dir: string) => ({ type: "sqlite" as const, path: path.join(dir, "legacy.db"), table: "Users", orderBy: ["CreatedDate", "Id"] });
export const demoOrgs = (dir: string) => ({
  source: { type: "sqlite" as const, path: path.join(dir, "legacy.db"), table: "Tenants", orderBy: ["Id"] },
  fields: { externalId: "Id", name: "Name", slug: "Slug", domain: "Domain", type: "Type", plan: "Plan" },
});

/**
 * A fresh demo legacy DB of `users` users in a new directory, and the oracle: what a clean,
 * uninterrupted run leaves in an empty Calimatic (`externalId → email`).
 */
export async function demoWithOracle(users: number, prefix: string): Promise<{ dir: string; expected: Map<string, string> }> {
  const dir = tempDir(prefix);
  generateLegacyDb({ file: path.join(dir, "legacy.db"), users });
  const clean = await startCalimatic({ bcryptCost: 4 });
  try {
    await runMigration({ config: parseConfig(calimaticConfig(clean, { source: demoSource(dir), orgs: demoOrgs(dir), run: { rateLimit: 1000 } })), cwd: tempDir(`${prefix}clean-`) });
    return { dir, expected: storeSnapshot(clean) };
  } finally {
    await clean.close();
  }
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI without blocking this process's event loop (an in-process simulator answers from it). */
export function cli(cwd: string, args: string[]): { child: ChildProcess; done: Promise<CliResult> } {
  const child = spawn(process.execPath, [...CLI, ...args], { cwd, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CliResult>((resolve) => child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}
