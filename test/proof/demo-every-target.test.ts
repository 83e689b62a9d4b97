import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import { runMigration } from "../../src/engine/run.js";
import { verifyMigration } from "../../src/engine/verify.js";
import { openSession } from "../../src/engine/session.js";
import { demoConfig } from "../../src/demo/demo-config.js";
import { DEMO_ACCOUNTS, generateLegacyDb } from "../../src/demo/generate-legacy.js";
import { capability } from "../../src/hashes/index.js";
import { startAuth0 } from "../../src/simulators/auth0/index.js";
import { startAuthgear } from "../../src/simulators/authgear/index.js";
import { startCalimatic } from "../../src/simulators/calimatic/index.js";
import { startPrelude } from "../../src/simulators/prelude/index.js";
import { startWorkosSimulator } from "../../src/simulators/workos/index.js";
import { tempDir } from "../helpers.js";

/**
 * Issue 6 proof: the demo legacy DB (every data problem of seed 000) migrates into every target's
 * simulator; verify passes; demo users whose hash the target accepts sign in with their old
 * password, the others are reported with their password strategy.
 */
const USERS = 150;
const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of closers) await c();
});

type Harness = { target: Record<string, unknown> & { type: string }; hashTarget: string };

const harnesses: Record<string, () => Promise<Harness>> = {
  "better-auth": async () => ({ target: { type: "better-auth", database: "auth.db", admin: true }, hashTarget: "better-auth" }),
  calimatic: async () => {
    const sim = await startCalimatic({ bcryptCost: 4 });
    closers.push(() => sim.close());
    const c = sim.credentials;
    return { target: { type: "calimatic", baseUrl: sim.url, apiKey: c.apiKey, clientId: c.clientId, clientSecret: c.clientSecret, importsPerSecond: 0, requestsPerSecond: 0 }, hashTarget: "calimatic" };
  },
  authgear: async () => {
    const sim = await startAuthgear({ taskDelayMs: 2 });
    closers.push(() => sim.close());
    return { target: { type: "authgear", endpoint: sim.url, appId: sim.appId, keyId: sim.keyId, privateKey: sim.privateKeyPem, pollIntervalMs: 5 }, hashTarget: "authgear" };
  },
  workos: async () => {
    // The WorkOS environment has the app's roles configured, as its dashboard requires.
    const sim = await startWorkosSimulator({ rateLimit: 10_000, roles: ["org_owner", "org_admin", "member", "edtech_teacher", "edtech_student", "edtech_parent"] });
    closers.push(() => sim.close());
    return { target: { type: "workos", apiKey: sim.apiKey, clientId: sim.clientId, baseUrl: sim.url, requestsPerSecond: 10_000, disabledUsers: "import" }, hashTarget: "workos" };
  },
  auth0: async () => {
    const sim = await startAuth0({ jobDelayMs: 2 });
    closers.push(() => sim.close());
    return { target: { type: "auth0", baseUrl: sim.url, clientId: sim.clientId, clientSecret: sim.clientSecret, connectionId: sim.connectionId, pollIntervalMs: 5 }, hashTarget: "auth0" };
  },
  prelude: async () => {
    const sim = await startPrelude({});
    closers.push(() => sim.close());
    return { target: { type: "prelude", appId: sim.appId, apiKey: sim.apiKey, baseUrl: sim.url }, hashTarget: "prelude" };
  },
};

describe.each(Object.keys(harnesses))("demo legacy DB → %s", (name) => {
  it("migrates completely, verifies, and old passwords work where the target accepts the hash", async () => {
    const dir = tempDir();
    generateLegacyDb({ file: path.join(dir, "legacy.db"), users: USERS });
    const h = await harnesses[name]!();
    const raw = demoConfig();
    const config = parseConfig({ ...raw, target: h.target, run: { ...raw.run, rateLimit: 1000 } });

    const report = await runMigration({ config, cwd: dir });
    const lines = readFileSync(report.reportFile!, "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, string>);
    expect(lines).toHaveLength(USERS); // every record accounted for
    // Failures are only the data problems the demo plants (validation), never the target's.
    const failures = lines.filter((l) => l.status === "failed").map((l) => l.reason!.split(":")[0]);
    expect(new Set(failures)).toEqual(new Set(failures.filter((r) => r === "no_email" || r === "invalid_email")));

    const verify = await verifyMigration({ config, cwd: dir });
    expect(verify.checks.filter((c) => c.status === "fail")).toEqual([]);

    const session = await openSession(config, dir);
    try {
      const byEmail = new Map(lines.map((l) => [l.email, l]));
      for (const acct of DEMO_ACCOUNTS) {
        const line = byEmail.get(acct.email)!;
        const format = acct.email.startsWith("grace") ? "pbkdf2-keycloak-json" : "bcrypt";
        const { strategy } = capability(format, h.hashTarget);
        expect(line.strategy, `${acct.email} on ${name}`).toBeDefined();
        if ((strategy === "native" || strategy === "re-encode") && session.instance.signIn) {
          expect(await session.instance.signIn(acct.email, acct.password), `${acct.email} signs in at ${name}`).toBe(true);
          expect(await session.instance.signIn(acct.email, "wrong-password"), `${acct.email} wrong password at ${name}`).toBe(false);
        } else {
          // Not carried: reported with the strategy that applies instead.
          expect(["lazy", "reset", "none"]).toContain(line.strategy);
        }
      }
    } finally {
      await session.close();
    }
  });
});
