/**
 * The target contract (issue 6): one suite every target passes. A target's contract test file is
 *
 *   defineTargetContract("workos", makeHarness, { skip: { "dry-run-link": "why it cannot" } });
 *
 * `makeHarness` builds a fresh target (simulator / database / file) in a fresh directory for
 * every case, so cases never see each other's users. Skips carry a reason, printed in the test
 * name. See docs/targets/README.md.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import type { Context } from "hono";
import { afterEach, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import type { Config } from "../../src/config/schema.js";
import { rollbackMigration } from "../../src/engine/rollback.js";
import { runMigration, type RunReport } from "../../src/engine/run.js";
import { isAuthmigrateError } from "../../src/errors.js";
import { openLedger, targetKey } from "../../src/ledger/index.js";
import { MigrationUserSchema, type MigrationUser } from "../../src/model/user.js";
import type { FaultMiddleware } from "../../src/simulators/kit.js";
import { createTarget } from "../../src/targets/index.js";
import type { TargetInstance, UserWrite } from "../../src/targets/types.js";
import { legacyConfig, tempDir, writeLegacyDb, type LegacyRow } from "../helpers.js";

export const CASE_IDS = [
  "create",
  "skip-existing",
  "conflict",
  "invalid",
  "429",
  "5xx",
  "timeout",
  "resume-after-crash",
  "rollback",
  "dry-run",
  /** The half of `dry-run` that needs `lookupUsers`: an existing account is reported `would_link`. */
  "dry-run-link",
] as const;
export type CaseId = (typeof CASE_IDS)[number];

export type TargetConfig = { type: string } & Record<string, unknown>;

/** The provider simulator behind an HTTP target. */
export interface SimulatorHandle {
  /** Fault injection of the running simulator (kit.ts). */
  faults: FaultMiddleware;
  /** The requests that write users (import / create): faults are aimed at them (`match`). */
  isUserWrite(c: Context): boolean;
  /** Emails of the users in the simulator's store, read directly (not through the target). */
  emails(): string[];
}

export interface ContractHarness {
  /** `target:` block of the config (`type` + options), with rates set high for the suite. */
  targetConfig: TargetConfig;
  simulator?: SimulatorHandle;
  /**
   * Create an account that exists before the migration and was not created by authmigrate (an
   * app sign-up, an earlier tool) — through the simulator's store or another path. Returns its
   * target id. `externalId` is the legacy id the migration will carry for that email.
   */
  preExisting?(user: { externalId: string; email: string }): Promise<string>;
  /** Target options giving a short per-request timeout (timeout case). */
  clientTimeout?(ms: number): Record<string, unknown>;
  /** Turn a valid user into one the provider rejects (default: an invalid email, bypassing our validation). */
  invalidUser?(user: MigrationUser): MigrationUser;
  close(): Promise<void>;
}

export interface HarnessContext {
  /** Fresh directory of this case: config cwd, ledger, report, local databases and files. */
  dir: string;
}

export type MakeHarness = (ctx: HarnessContext) => Promise<ContractHarness>;

export interface ContractOptions {
  /** Cases this target cannot run, each with the reason (shown in the test name). */
  skip?: Partial<Record<CaseId, string>>;
}

// ---------------------------------------------------------------------------------------------
// Fixtures

const emailOf = (id: number) => `contract${id}@school.test`;

function legacyRows(ids: number[]): LegacyRow[] {
  return ids.map((Id) => ({ Id, Email: emailOf(Id), FirstName: "Jane", LastName: `Doe${Id}`, TenantId: null }));
}

/** The canonical user the mapping below produces for legacy row `id` (for direct writes). */
function userOf(id: number): MigrationUser {
  return MigrationUserSchema.parse({ externalId: String(id), email: emailOf(id), profile: { givenName: "Jane", familyName: `Doe${id}` } });
}

const writeOf = (user: MigrationUser): UserWrite => ({ user, action: "create", orgTargetIds: {} });

function configFor(h: ContractHarness, extraTarget: Record<string, unknown> = {}, run: Record<string, unknown> = {}): Config {
  const base = legacyConfig();
  const { orgs: _orgs, ...rest } = base;
  return parseConfig({
    ...rest,
    mapping: {
      ...base.mapping,
      fields: { externalId: "Id", email: "Email", givenName: "FirstName", familyName: "LastName", active: "IsActive" },
    },
    target: { ...h.targetConfig, ...extraTarget },
    // Reset emails are not part of the contract (and go through non-retried calls).
    passwords: { reset: "none" },
    run: { batchSize: 4, concurrency: 2, outDir: "out", rateLimit: 1000, retries: 8, ...run },
  });
}

function reportLines(report: RunReport): { externalId?: string; status: string; targetId?: string; reason?: string }[] {
  return readFileSync(report.reportFile!, "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as { externalId?: string; status: string; targetId?: string; reason?: string });
}

/**
 * A user written again by another process: `skipped` (linked, the reason says it exists), or —
 * only when the target can prove it created that account itself (e.g. calimatic's migratedBy
 * mark) — `created` with a reason saying so. Never a bare `created`, never `failed`.
 */
function expectRelinked(o: { externalId: string; status: string; reason?: string }): void {
  if (o.status === "created") expect(o.reason, `${o.externalId}: created again without a reason`).toEqual(expect.stringMatching(/./));
  else {
    expect(o.status, `${o.externalId}: ${o.status} ${o.reason ?? ""}`).toBe("skipped");
    expect(o.reason ?? "").toMatch(/exist|link/);
  }
}

/** Every migrated email is in the target exactly once (store-level when a simulator is there). */
function expectNoDuplicates(h: ContractHarness, ids: number[]): void {
  if (!h.simulator) return;
  const emails = h.simulator.emails().map((e) => e.toLowerCase());
  for (const id of ids) expect(emails.filter((e) => e === emailOf(id)), `${emailOf(id)} in the simulator`).toHaveLength(1);
}

// ---------------------------------------------------------------------------------------------
// The suite

export function defineTargetContract(name: string, makeHarness: MakeHarness, options: ContractOptions = {}): void {
  const skip = options.skip ?? {};
  for (const id of Object.keys(skip)) {
    if (!(CASE_IDS as readonly string[]).includes(id)) throw new Error(`${name} contract: unknown case "${id}" in skip`);
    if (!skip[id as CaseId]?.trim()) throw new Error(`${name} contract: skip "${id}" needs a reason`);
  }

  describe(`target contract: ${name}`, () => {
    let open: { h: ContractHarness; instances: TargetInstance[] } | undefined;
    afterEach(async () => {
      if (!open) return;
      const { h, instances } = open;
      open = undefined;
      await Promise.allSettled(instances.map((i) => i.close()));
      await h.close();
    });

    /** A fresh harness + directory (+ legacy DB with `ids`) for one case. */
    async function setup(ids: number[] = []) {
      const dir = tempDir(`am-contract-${name}-`);
      writeLegacyDb(path.join(dir, "legacy.db"), legacyRows(ids));
      const h = await makeHarness({ dir });
      const instances: TargetInstance[] = [];
      open = { h, instances };
      const instance = async (extra: Record<string, unknown> = {}): Promise<TargetInstance> => {
        const { instance: inst } = await createTarget({ ...h.targetConfig, ...extra }, { cwd: dir });
        instances.push(inst);
        await inst.prepare();
        return inst;
      };
      return { dir, h, instance };
    }

    /** `it`, or `it.skip` with the reason in the name. */
    const contractCase = (id: CaseId, title: string, fn: () => Promise<void>, timeout = 30_000): void => {
      const reason = skip[id];
      if (reason) it.skip(`${id} — ${title} [skipped: ${reason}]`, fn);
      else it(`${id} — ${title}`, fn, timeout);
    };

    contractCase("create", "writeUsers creates new users with target ids; getUser and countUsers see them", async () => {
      const { instance } = await setup();
      const t = await instance();
      const before = await t.countUsers();
      const users = [1, 2, 3].map(userOf);
      const out = await t.writeUsers(users.map(writeOf));
      expect(out.map((o) => [o.externalId, o.status])).toEqual(users.map((u) => [u.externalId, "created"]));
      const ids = out.map((o) => o.targetId);
      for (const id of ids) expect(id, "target id").toEqual(expect.any(String));
      expect(new Set(ids).size).toBe(3);
      for (const [i, o] of out.entries()) {
        const view = await t.getUser(o.targetId!);
        expect(view, `getUser(${o.targetId})`).toBeDefined();
        expect(view!.targetId).toBe(o.targetId);
        expect(view!.email?.toLowerCase()).toBe(users[i]!.email);
      }
      expect(await t.countUsers()).toBe(before + 3);
    });

    contractCase("skip-existing", "writing the same users again (same process, then a later one) keeps the same target ids, never a duplicate", async () => {
      const { h, instance } = await setup();
      const t = await instance();
      const users = [1, 2, 3].map(userOf);
      const first = await t.writeUsers(users.map(writeOf));
      expect(first.map((o) => o.status)).toEqual(["created", "created", "created"]);
      const count = await t.countUsers();
      // Same instance: what the engine's retry of a batch whose answer was lost does.
      const retried = await t.writeUsers(users.map(writeOf));
      for (const [i, o] of retried.entries()) {
        expect(o.externalId).toBe(users[i]!.externalId);
        expect(o.targetId, `${o.externalId}: same target id on a retry`).toBe(first[i]!.targetId);
        expect(["created", "skipped"]).toContain(o.status);
      }
      // A later process (a second run that lost its ledger): linked to the same accounts.
      const again = await (await instance()).writeUsers(users.map(writeOf));
      for (const [i, o] of again.entries()) {
        expect(o.externalId).toBe(users[i]!.externalId);
        expect(o.targetId, `${o.externalId}: same target id`).toBe(first[i]!.targetId);
        expectRelinked(o);
      }
      expect(await t.countUsers()).toBe(count);
      expectNoDuplicates(h, [1, 2, 3]);
    });

    contractCase("conflict", "an account that existed before (not ours) is linked, not created twice", async () => {
      const { h, instance } = await setup();
      const preId = await h.preExisting!({ externalId: "7", email: emailOf(7) });
      const t = await instance();
      const count = await t.countUsers();
      const out = await t.writeUsers([writeOf(userOf(7)), writeOf(userOf(8))]);
      expect(out[0]).toMatchObject({ externalId: "7", status: "skipped", targetId: preId });
      expect(out[0]!.reason).toMatch(/exist/);
      expect(out[1]).toMatchObject({ externalId: "8", status: "created" });
      expect(await t.countUsers()).toBe(count + 1);
      expectNoDuplicates(h, [7, 8]);
    });

    contractCase("invalid", "a user the provider rejects fails with a reason; the rest of the batch succeeds", async () => {
      const { h, instance } = await setup();
      const t = await instance();
      const invalid = h.invalidUser ?? ((u: MigrationUser) => ({ ...u, email: "not-an-email" }));
      const batch = [userOf(1), invalid(userOf(2)), userOf(3)].map(writeOf);
      const before = await t.countUsers();
      const out = await t.writeUsers(batch);
      expect(out.map((o) => [o.externalId, o.status])).toEqual([
        ["1", "created"],
        ["2", "failed"],
        ["3", "created"],
      ]);
      expect(out[1]!.reason, "failure reason").toEqual(expect.any(String));
      expect(out[1]!.reason!.length).toBeGreaterThan(0);
      expect(out[1]!.retryable ?? false).toBe(false);
      expect(await t.countUsers()).toBe(before + 2);
    });

    describe("429", () => {
      contractCase("429", "Retry-After bursts: through runMigration every user is created exactly once", async () => {
        const ids = Array.from({ length: 12 }, (_, i) => i + 1);
        const { dir, h, instance } = await setup(ids);
        const sim = h.simulator!;
        sim.faults.set({ match: sim.isUserWrite, burst429: { windows: [{ fromMs: 0, toMs: 500 }], retryAfterSec: 1 } });
        const report = await runMigration({ config: configFor(h), cwd: dir });
        expect(report.counts).toMatchObject({ total: 12, created: 12, failed: 0 });
        expect(sim.faults.counts().burst429).toBeGreaterThan(0);
        sim.faults.set({ burst429: { windows: [] } });
        expect(await (await instance()).countUsers()).toBe(12);
        expectNoDuplicates(h, ids);
      });

      contractCase("429", "writeUsers throws a retryable AuthmigrateError with meta.retryAfterMs", async () => {
        const { h, instance } = await setup();
        const t = await instance();
        const sim = h.simulator!;
        sim.faults.set({ match: sim.isUserWrite, burst429: { windows: [{ fromMs: 0, toMs: 60_000 }], retryAfterSec: 2 } });
        const err = await t.writeUsers([writeOf(userOf(1))]).then(
          (out) => out,
          (e: unknown) => e,
        );
        expect(isAuthmigrateError(err), `threw an AuthmigrateError (got ${JSON.stringify(err)})`).toBe(true);
        if (!isAuthmigrateError(err)) return;
        expect(err.retryable).toBe(true);
        expect(err.meta.retryAfterMs).toBe(2000);
      });
    });

    describe("5xx", () => {
      contractCase("5xx", "failRate 0.4 on writes: retried, every user created exactly once", async () => {
        const ids = Array.from({ length: 12 }, (_, i) => i + 1);
        const { dir, h, instance } = await setup(ids);
        const sim = h.simulator!;
        sim.faults.set({ match: sim.isUserWrite, failRate: 0.4, failStatus: 503, seed: 3 });
        const report = await runMigration({ config: configFor(h), cwd: dir });
        expect(report.counts).toMatchObject({ total: 12, created: 12, failed: 0 });
        expect(sim.faults.counts().failed).toBeGreaterThan(0);
        sim.faults.set({ failRate: 0 });
        expect(await (await instance()).countUsers()).toBe(12);
        expectNoDuplicates(h, ids);
      });

      contractCase("5xx", "failRate 0.3 on every request (prepare, lookups, polls too): the run survives, every user created exactly once", async () => {
        const ids = Array.from({ length: 12 }, (_, i) => i + 1);
        const { dir, h, instance } = await setup(ids);
        const sim = h.simulator!;
        sim.faults.set({ failRate: 0.3, failStatus: 503, seed: 3 });
        const report = await runMigration({ config: configFor(h), cwd: dir });
        expect(report.counts).toMatchObject({ total: 12, created: 12, failed: 0 });
        expect(sim.faults.counts().failed).toBeGreaterThan(0);
        sim.faults.set({ failRate: 0 });
        expect(await (await instance()).countUsers()).toBe(12);
        expectNoDuplicates(h, ids);
      });
    });

    contractCase("timeout", "timeoutRate 0.3 with a 400 ms client timeout: retried, every user created exactly once", async () => {
      const ids = Array.from({ length: 12 }, (_, i) => i + 1);
      const { dir, h, instance } = await setup(ids);
      const sim = h.simulator!;
      sim.faults.set({ match: sim.isUserWrite, timeoutRate: 0.3, timeoutMs: 5_000, seed: 5 });
      const report = await runMigration({ config: configFor(h, h.clientTimeout!(400)), cwd: dir });
      expect(report.counts).toMatchObject({ total: 12, created: 12, failed: 0 });
      expect(sim.faults.counts().timedOut).toBeGreaterThan(0);
      sim.faults.set({ timeoutRate: 0 });
      expect(await (await instance()).countUsers()).toBe(12);
      expectNoDuplicates(h, ids);
    });

    describe("resume-after-crash", () => {
      // What a crashed run leaves: its request's intent (one ledger row for the request, as `run`
      // writes it), or per-user `pending` rows (what the lazy hooks and reconcile write).
      for (const left of ["an open intent", "pending rows"] as const) {
        contractCase("resume-after-crash", `crash after the intent (ledger: ${left}): the re-run recovers the users, no duplicates`, async () => {
          const ids = [1, 2, 3, 4, 5];
          const { dir, h, instance } = await setup(ids);
          const config = configFor(h);
          // The users are in the target, no answers recorded.
          const ledger = openLedger(config.ledger.url, targetKey(config.target), dir);
          const run = await ledger.startRun("run");
          if (left === "an open intent") await ledger.recordIntent(run.id, ids.map(String));
          else
            await ledger.recordUsers(
              run.id,
              ids.map((i) => ({ externalId: String(i), email: emailOf(i), digest: null, targetId: null, status: "pending" as const, reason: null, strategy: null })),
            );
          const crashed = await instance();
          const written = await crashed.writeUsers(ids.map((i) => writeOf(userOf(i))));
          expect(written.map((o) => o.status)).toEqual(ids.map(() => "created"));
          await crashed.close();

          const report = await runMigration({ config, cwd: dir });
          expect(report.counts).toMatchObject({ total: 5, failed: 0 });
          expect(report.counts.created! + report.counts.skipped!).toBe(5);
          const lines = reportLines(report);
          for (const [k, i] of ids.entries()) {
            const line = lines.find((l) => l.externalId === String(i));
            expect(line?.targetId, `user ${i} keeps the target id of the crashed write`).toBe(written[k]!.targetId);
          }
          expect(await (await instance()).countUsers()).toBe(5);
          expectNoDuplicates(h, ids);
          // Every user of the intent was decided again: nothing is left for the next run to recover.
          expect(await ledger.openIntents()).toEqual([]);
          await ledger.close();
        });
      }

      contractCase("resume-after-crash", "users in the target, ledger knows nothing: the run links them, no duplicates", async () => {
        const ids = [1, 2, 3, 4, 5];
        const { dir, h, instance } = await setup(ids);
        const crashed = await instance();
        const written = await crashed.writeUsers(ids.map((i) => writeOf(userOf(i))));
        expect(written.map((o) => o.status)).toEqual(ids.map(() => "created"));
        await crashed.close();

        const report = await runMigration({ config: configFor(h), cwd: dir });
        expect(report.counts).toMatchObject({ total: 5, failed: 0 });
        expect(report.counts.created! + report.counts.skipped!).toBe(5);
        const lines = reportLines(report);
        for (const [k, i] of ids.entries()) {
          const line = lines.find((l) => l.externalId === String(i))!;
          expect(line.targetId).toBe(written[k]!.targetId);
          expectRelinked({ externalId: String(i), status: line.status, ...(line.reason ? { reason: line.reason } : {}) });
        }
        expect(await (await instance()).countUsers()).toBe(5);
        expectNoDuplicates(h, ids);
      });
    });

    contractCase("rollback", "rollbackMigration deletes the users we created, never the pre-existing one", async () => {
      const ids = [1, 2, 3, 4, 5, 6];
      const { dir, h, instance } = await setup(ids);
      const preId = await h.preExisting!({ externalId: "6", email: emailOf(6) });
      const config = configFor(h);
      const report = await runMigration({ config, cwd: dir });
      expect(report.counts).toMatchObject({ total: 6, created: 5, skipped: 1, failed: 0 });
      const created = reportLines(report).filter((l) => l.status === "created").map((l) => l.targetId!);
      expect(created).toHaveLength(5);

      const rb = await rollbackMigration({ config, cwd: dir });
      expect(rb).toMatchObject({ candidates: 5, deleted: 5, failed: [] });
      const t = await instance();
      for (const id of created) expect(await t.getUser(id), `${id} deleted`).toBeUndefined();
      expect(await t.getUser(preId), "pre-existing user untouched").toMatchObject({ targetId: preId, email: emailOf(6) });
      expect(await t.countUsers()).toBe(1);
    });

    contractCase("dry-run", "runMigration({ dryRun }) writes nothing and reports would_create per user", async () => {
      const ids = [1, 2, 3, 4, 5];
      const { dir, h, instance } = await setup(ids);
      const t = await instance();
      const before = await t.countUsers();
      const storeBefore = h.simulator?.emails().length;
      const decisions: string[] = [];
      const report = await runMigration({ config: configFor(h), cwd: dir, dryRun: true, onDecision: (d) => decisions.push(`${d.externalId}:${d.kind}`) });
      expect(report.dryRun).toBe(true);
      expect(report.counts).toMatchObject({ total: 5, would_create: 5, created: 0 });
      expect(decisions.sort()).toEqual(ids.map((i) => `${i}:create`).sort());
      expect(await t.countUsers()).toBe(before);
      if (h.simulator) expect(h.simulator.emails().length).toBe(storeBefore);
    });

    contractCase("dry-run-link", "dry-run reports would_link for an account that already exists", async () => {
      const ids = [1, 2, 3];
      const { dir, h, instance } = await setup(ids);
      const preId = await h.preExisting!({ externalId: "3", email: emailOf(3) });
      const t = await instance();
      const before = await t.countUsers();
      const config = configFor(h);
      const report = await runMigration({ config, cwd: dir, dryRun: true });
      expect(report.counts).toMatchObject({ total: 3, would_create: 2, would_link: 1 });
      expect(report.reasons).toMatchObject({ exists_by_email: 1 });
      expect(await t.countUsers()).toBe(before);
      // The link is what the real run then does, to the same account.
      const real = await runMigration({ config, cwd: dir });
      expect(reportLines(real).find((l) => l.externalId === "3")).toMatchObject({ status: "skipped", targetId: preId });
    });
  });
}
