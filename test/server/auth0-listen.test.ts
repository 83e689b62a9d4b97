import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { Command } from "commander";
import { afterEach, describe, expect, it } from "vitest";
import { auth0Scripts } from "../../src/server/auth0.js";
import { signBody } from "../../src/server/security.js";
import { startService, type RunningService } from "../../src/server/service.js";
import { registerGenerateCommand, registerServeCommand } from "../../src/cli/commands/serve.js";
import { openLedger, targetKey } from "../../src/ledger/index.js";
import { ALICE_PW, fixture, SECRET } from "./fixtures.js";
import { tempDir } from "../helpers.js";

const services: RunningService[] = [];
afterEach(async () => {
  for (const s of services.splice(0)) await s.close();
});

class WrongUsernameOrPasswordError extends Error {
  constructor(
    public readonly user: string,
    message: string,
  ) {
    super(message);
  }
}

/** Runs a generated Auth0 script the way Auth0's sandbox does: globals `configuration`, `require`, `WrongUsernameOrPasswordError`. */
function loadScript(source: string, name: "login" | "getByEmail", url: string, secret = SECRET): (...args: unknown[]) => void {
  const fn = new Function("configuration", "require", "WrongUsernameOrPasswordError", "Buffer", `${source}\nreturn ${name};`);
  return fn({ AUTHMIGRATE_URL: url, AUTHMIGRATE_SECRET: secret }, createRequire(import.meta.url), WrongUsernameOrPasswordError, Buffer);
}
const callback = (f: (...a: unknown[]) => void, ...args: unknown[]) =>
  new Promise<unknown[]>((resolve) => f(...args, (...cb: unknown[]) => resolve(cb)));

describe("Auth0 custom DB routes + generated scripts (real listen on 127.0.0.1:0)", () => {
  it("Login and Get User scripts call the service with the shared secret and hand Auth0 the right callbacks", async () => {
    const f = fixture({ routes: { verify: true, auth0: true, kratos: true }, port: 0 });
    const svc = await startService(f.config, f.dir, { log: () => {} });
    services.push(svc);
    expect(svc.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(svc.routes).toEqual(["GET /healthz", "POST /hooks/verify", "POST /hooks/kratos/password-migration", "POST /hooks/auth0/login", "POST /hooks/auth0/get-user"]);
    expect((await fetch(`${svc.url}/healthz`)).status).toBe(200);

    const { login, getUser } = auth0Scripts();
    const loginFn = loadScript(login, "login", svc.url);
    const [err, profile] = await callback(loginFn, "alice@example.com", ALICE_PW);
    expect(err).toBeNull();
    expect(profile).toMatchObject({ user_id: "1", email: "alice@example.com", given_name: "Alice", family_name: "Liddell", name: "Alice Liddell", email_verified: false });
    expect(JSON.stringify(profile)).not.toMatch(/\$2[aby]\$/);

    const [wrong] = await callback(loginFn, "alice@example.com", "nope");
    expect(wrong).toBeInstanceOf(WrongUsernameOrPasswordError);
    const [unknown] = await callback(loginFn, "ghost@example.com", "nope");
    expect(unknown).toBeInstanceOf(WrongUsernameOrPasswordError);

    const getFn = loadScript(getUser, "getByEmail", svc.url);
    const found = await callback(getFn, "alice@example.com");
    expect(found[0]).toBeNull();
    expect(found[1]).toMatchObject({ user_id: "1", email: "alice@example.com" }); // same user_id rule as Login
    const missing = await callback(getFn, "ghost@example.com");
    expect(missing).toEqual([null]);

    // Wrong secret in the Auth0 settings: an infrastructure error, never "wrong password".
    const [badSecret] = await callback(loadScript(login, "login", svc.url, "not-the-secret"), "alice@example.com", ALICE_PW);
    expect(badSecret).toBeInstanceOf(Error);
    expect(badSecret).not.toBeInstanceOf(WrongUsernameOrPasswordError);

    // Service down: an Error (Auth0 shows a login error), not WrongUsernameOrPassword.
    const url = svc.url;
    await svc.close();
    const [down] = await callback(loadScript(login, "login", url), "alice@example.com", ALICE_PW);
    expect(down).toBeInstanceOf(Error);
    expect(down).not.toBeInstanceOf(WrongUsernameOrPasswordError);

    // The successful login was recorded when the service shut down (ledger run finished).
    const ledger = openLedger(f.config.ledger.url, targetKey(f.config.target), f.dir);
    expect((await ledger.getUsers(["1"])).get("1")).toMatchObject({ reason: "lazy_login" });
    const summary = await ledger.summary();
    expect(summary.runs.some((r) => r.status === "completed")).toBe(true);
    await ledger.close();
  });

  it("Kratos webhook over HTTP with an HMAC signature", async () => {
    const f = fixture({ routes: { verify: false, kratos: true } });
    const svc = await startService(f.config, f.dir, { port: 0, log: () => {} });
    services.push(svc);
    const raw = JSON.stringify({ identifier: "alice@example.com", password: ALICE_PW });
    const res = await fetch(`${svc.url}/hooks/kratos/password-migration`, { method: "POST", headers: { "content-type": "application/json", "x-authmigrate-signature": signBody(SECRET, raw) }, body: raw });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "password_match" });
    const bad = await fetch(`${svc.url}/hooks/kratos/password-migration`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${SECRET}` }, body: JSON.stringify({ identifier: "alice@example.com", password: "x" }) });
    expect(bad.status).toBe(403);
  });
});

describe("CLI", () => {
  it("`authmigrate serve` prints the URL and routes, serves, and stops gracefully", async () => {
    const f = fixture({ port: 0 });
    const cfg = path.join(f.dir, "authmigrate.config.json");
    writeFileSync(cfg, JSON.stringify({ ...JSON.parse(JSON.stringify(f.config)), serve: { secret: SECRET, port: 0 } }));
    const out: string[] = [];
    let stop!: () => void;
    const stopped = new Promise<void>((r) => (stop = r));
    let url = "";
    const program = new Command().exitOverride();
    registerServeCommand(program, {
      stdout: (s) => out.push(s),
      waitForStop: () => stopped,
      onStarted: (svc) => {
        url = svc.url;
        void fetch(`${svc.url}/hooks/verify`, { method: "POST", headers: { authorization: `Bearer ${SECRET}`, "content-type": "application/json" }, body: JSON.stringify({ identifier: "alice@example.com", password: ALICE_PW }) })
          .then((r) => out.push(`status ${r.status}\n`))
          .finally(() => stop());
      },
    });
    await program.parseAsync(["node", "authmigrate", "serve", "--config", cfg, "--port", "0"]);
    const text = out.join("");
    expect(text).toContain(`authmigrate serve listening on ${url}`);
    expect(text).toContain("POST /hooks/verify");
    expect(text).toContain("status 200");
    expect(text).toContain("authmigrate serve stopped");
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });

  it("`authmigrate generate auth0-scripts` writes login.js and get_user.js", async () => {
    const dir = tempDir("am-gen-");
    mkdirSync(dir, { recursive: true });
    const out: string[] = [];
    const program = new Command().exitOverride();
    registerGenerateCommand(program, { stdout: (s) => out.push(s) });
    await program.parseAsync(["node", "authmigrate", "generate", "auth0-scripts", "--out", path.join(dir, "scripts")]);
    const login = readFileSync(path.join(dir, "scripts/login.js"), "utf8");
    const getUser = readFileSync(path.join(dir, "scripts/get_user.js"), "utf8");
    expect(login).toContain("function login(userNameOrEmail, password, callback)");
    expect(login).toContain("configuration.AUTHMIGRATE_SECRET");
    expect(getUser).toContain("function getByEmail(email, callback)");
    expect(out.join("")).toContain("Import Users to Auth0");
  });
});
