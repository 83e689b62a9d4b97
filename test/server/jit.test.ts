import { readFileSync } from "node:fs";
import path from "node:path";
import bcrypt from "bcryptjs";
import { afterEach, describe, expect, it } from "vitest";
import { runMigration } from "../../src/engine/run.js";
import { openSession, type Session } from "../../src/engine/session.js";
import { openLedger, targetKey } from "../../src/ledger/index.js";
import { createServer } from "../../src/server/app.js";
import { LazyRecorder } from "../../src/server/lazy.js";
import { openLegacyLookup } from "../../src/server/legacy-lookup.js";
import { DbVerifier } from "../../src/server/verifiers.js";
import { ALICE_PW, BOB_PW, bearer, fixture, type Fixture } from "./fixtures.js";

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

async function jitApp(f: Fixture) {
  const lookup = openLegacyLookup(f.config, f.dir);
  const session: Session = await openSession(f.config, f.dir);
  const recorder = new LazyRecorder({ ledger: session.ledger, jit: { target: session.target, instance: session.instance, retries: 0 } });
  closers.push(() => lookup.close(), () => session.close(), () => recorder.close());
  const verifier = new DbVerifier(f.config, lookup);
  const app = createServer({ serve: f.config.serve!, verifier, resolver: verifier, recorder, targetType: f.config.target.type });
  return { app, session, recorder };
}
const login = (app: ReturnType<typeof createServer>, identifier: string, password: string, route = "/hooks/verify") =>
  app.request(route, { method: "POST", headers: bearer(), body: JSON.stringify({ identifier, password }) });

describe("just-in-time mode", () => {
  it("file target: creates the user with the verified password, ledger created/lazy_login; the bulk run then counts it unchanged", async () => {
    const f = fixture({ jit: true });
    const { app, recorder } = await jitApp(f);
    const res = await login(app, "alice@example.com", ALICE_PW);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { user: { migration: unknown } }).user.migration).toEqual({ status: "created", targetId: "1", wrote: true });
    // A second login is not a second create: the ledger already says done, and the file target cannot update.
    expect((await login(app, "alice@example.com", ALICE_PW)).status).toBe(200);
    await recorder.close();
    for (const c of closers.splice(0).reverse()) await c();

    const lines = readFileSync(path.join(f.dir, "out/users.ndjson"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(lines).toHaveLength(1);
    expect(lines[0].externalId).toBe("1");
    expect(lines[0].credential.format).toBe("bcrypt");
    expect(bcrypt.compareSync(ALICE_PW, lines[0].credential.value)).toBe(true);
    expect(JSON.stringify(lines[0])).not.toContain(ALICE_PW);

    const ledger = openLedger(f.config.ledger.url, targetKey(f.config.target), f.dir);
    const row = (await ledger.getUsers(["1"])).get("1")!;
    expect(row).toMatchObject({ status: "created", targetId: "1", reason: "lazy_login", strategy: "lazy" });
    expect(row.digest).toBeTruthy();
    await ledger.close();

    const report = await runMigration({ config: f.config, cwd: f.dir });
    expect(report.counts).toMatchObject({ unchanged: 1, created: 3 });
    const after = readFileSync(path.join(f.dir, "out/users.ndjson"), "utf8").trim().split("\n").map((l) => JSON.parse(l).externalId);
    expect(after.filter((id: string) => id === "1")).toHaveLength(1);
  });

  it("better-auth target (local SQLite): the user can sign in to the target with the legacy password right after the lazy login", async () => {
    const f = fixture({ jit: true, routes: { verify: false, kratos: true } }, { target: { type: "better-auth", database: "app.db" } });
    const { app, session } = await jitApp(f);
    const res = await login(app, "bob@example.com", BOB_PW, "/hooks/kratos/password-migration");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "password_match" });
    expect(await session.instance.signIn!("bob@example.com", BOB_PW)).toBe(true);
    expect(await session.instance.signIn!("bob@example.com", "wrong")).toBe(false);
    const row = (await session.ledger.getUsers(["2"])).get("2")!;
    expect(row).toMatchObject({ status: "created", reason: "lazy_login" });
    expect(row.targetId).toBeTruthy();
    // Wrong password: 403, nothing written.
    expect((await login(app, "alice@example.com", "wrong", "/hooks/kratos/password-migration")).status).toBe(403);
    expect((await session.ledger.getUsers(["1"])).size).toBe(0);
  });

  it("links instead of duplicating when the bulk run got there first (ledger keeps created; reason lazy_login)", async () => {
    const f = fixture({ jit: true }, { target: { type: "better-auth", database: "app.db" } });
    const bulk = await runMigration({ config: f.config, cwd: f.dir });
    expect(bulk.counts.created).toBeGreaterThanOrEqual(2);
    const { app, session } = await jitApp(f);
    const before = (await session.ledger.getUsers(["1"])).get("1")!;
    const users = await session.instance.countUsers();
    expect((await login(app, "alice@example.com", ALICE_PW)).status).toBe(200);
    const after = (await session.ledger.getUsers(["1"])).get("1")!;
    expect(after).toMatchObject({ status: "created", targetId: before.targetId, reason: "lazy_login", createdRun: before.createdRun, digest: before.digest });
    expect(await session.instance.countUsers()).toBe(users);
    expect(await session.instance.signIn!("alice@example.com", ALICE_PW)).toBe(true);
  });
});

describe("ledger-only mode (no JIT)", () => {
  it("records skipped/lazy_login with the bulk digest; Auth0 target gets targetId auth0|<user_id>; the bulk run sees it as done", async () => {
    const f = fixture({ routes: { verify: false, auth0: true }, auth0: { userIdPrefix: "legacy-" } }, { target: { type: "file", path: "out/users.ndjson" } });
    const lookup = openLegacyLookup(f.config, f.dir);
    const ledger = openLedger(f.config.ledger.url, targetKey(f.config.target), f.dir);
    const recorder = new LazyRecorder({ ledger });
    closers.push(() => lookup.close(), () => ledger.close(), () => recorder.close());
    const verifier = new DbVerifier(f.config, lookup);
    const app = createServer({ serve: f.config.serve!, verifier, resolver: verifier, recorder, targetType: "auth0" });
    const res = await login(app, "alice@example.com", ALICE_PW, "/hooks/auth0/login");
    expect(res.status).toBe(200);
    const row = (await ledger.getUsers(["1"])).get("1")!;
    expect(row).toMatchObject({ status: "skipped", targetId: "auth0|legacy-1", reason: "lazy_login", strategy: "lazy" });
    await recorder.close();
    for (const c of closers.splice(0).reverse()) await c();
    const report = await runMigration({ config: f.config, cwd: f.dir });
    expect(report.counts).toMatchObject({ unchanged: 1, created: 3 });
  });
});
