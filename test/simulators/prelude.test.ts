import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { simulators } from "../../src/simulators/index.js";
import { startPrelude, type RunningPrelude } from "../../src/simulators/prelude/index.js";

let sim: RunningPrelude;
beforeAll(async () => {
  sim = await startPrelude({ credentials: { appId: "54e9ujn", apiKey: "sk_prelude_test" } });
});
afterAll(async () => {
  await sim.close();
});
beforeEach(() => {
  sim.store.clear();
  sim.faults.set({ failRate: 0, burst429: undefined });
});

const base = () => `${sim.url}/v2/session/apps/${sim.appId}`;
async function call(method: string, path: string, body?: unknown, key = sim.apiKey): Promise<{ status: number; body: any }> {
  const res = await fetch(base() + path, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

const jane = {
  external_id: "internal-user-42",
  profile: { first_name: "Jane", last_name: "Doe" },
  identifiers: [
    { type: "email_address", value: "Jane@Example.com" },
    { type: "phone_number", value: "+15551234567" },
    { type: "oauth", value: "google:1234567890" },
  ],
};

describe("prelude simulator", () => {
  it("is registered and checks the bearer key and the app id", async () => {
    expect(simulators.prelude!.id).toBe("prelude");
    expect((await call("GET", "/users", undefined, "sk_wrong")).status).toBe(401);
    const r = await fetch(`${sim.url}/v2/session/apps/other/users`, { headers: { authorization: `Bearer ${sim.apiKey}` } });
    expect(r.status).toBe(404);
  });

  it("creates a user (seed 003 body) and reads it back by id, list filter and batch_lookup", async () => {
    const created = await call("POST", "/users", jane);
    expect(created.status).toBe(201);
    expect(created.body.id).toMatch(/^usr_/);
    expect(created.body.identifiers).toEqual([
      { type: "email_address", value: "jane@example.com" },
      { type: "phone_number", value: "+15551234567" },
      { type: "oauth", value: "google:1234567890" },
    ]);
    const got = await call("GET", `/users/${created.body.id}`);
    expect(got.body.user).toMatchObject({ id: created.body.id, external_id: "internal-user-42", profile: { first_name: "Jane", last_name: "Doe" }, status: "active", scopes: [] });
    expect((await call("GET", "/users?external_id=internal-user-42")).body.users.map((u: any) => u.id)).toEqual([created.body.id]);
    expect((await call("GET", "/users?identifier_type=email_address&identifier_value=JANE@example.com")).body.users).toHaveLength(1);
    const lookup = await call("POST", "/users/batch_lookup", { external_ids: ["internal-user-42", "nobody"], emails: ["jane@example.com"] });
    expect(lookup.body.users.map((u: any) => u.id)).toEqual([created.body.id]);
  });

  it("answers the seed's error names: ExternalIDAlreadyExists, IdentifierAlreadyExists, AlreadyExists, NotFound; invalid input is 400", async () => {
    const u = (await call("POST", "/users", jane)).body;
    expect(await call("POST", "/users", { ...jane, identifiers: [{ type: "email_address", value: "other@example.com" }] })).toMatchObject({ status: 409, body: { code: "ExternalIDAlreadyExists" } });
    expect(await call("POST", "/users", { ...jane, external_id: "x-2" })).toMatchObject({ status: 409, body: { code: "IdentifierAlreadyExists" } });
    expect(sim.store.users.size).toBe(1); // atomic: nothing half-written
    expect(await call("POST", `/users/${u.id}/identifiers`, { type: "email_address", value: "jane@example.com" })).toMatchObject({ status: 409, body: { code: "AlreadyExists" } });
    expect(await call("DELETE", `/users/${u.id}/identifiers`, { type: "email_address", value: "nope@example.com" })).toMatchObject({ status: 404, body: { code: "NotFound" } });
    expect(await call("GET", "/users/usr_missing")).toMatchObject({ status: 404, body: { code: "NotFound" } });
    for (const bad of [
      { external_id: "a", identifiers: [{ type: "phone_number", value: "555-1234" }] },
      { external_id: "b", identifiers: [{ type: "email_address", value: "not-an-email" }] },
      { external_id: "c", identifiers: [{ type: "oauth", value: "oauth_google:1" }] },
      { external_id: "d", identifiers: [] },
      { external_id: "x".repeat(129), identifiers: [{ type: "email_address", value: "d@example.com" }] },
    ]) {
      expect(await call("POST", "/users", bad)).toMatchObject({ status: 400, body: { code: expect.stringMatching(/Invalid/) } });
    }
    expect((await call("POST", "/users/batch_lookup", { external_ids: Array.from({ length: 101 }, (_, i) => String(i)) })).status).toBe(400);
    expect((await call("POST", "/users/batch_lookup", {})).status).toBe(400);
  });

  it("error statuses are configurable (the real ones are not public)", async () => {
    const other = await startPrelude({ errorStatuses: { conflict: 422 } });
    try {
      const h = { authorization: `Bearer ${other.apiKey}`, "content-type": "application/json" };
      const url = `${other.url}/v2/session/apps/${other.appId}/users`;
      await fetch(url, { method: "POST", headers: h, body: JSON.stringify(jane) });
      const res = await fetch(url, { method: "POST", headers: h, body: JSON.stringify(jane) });
      expect(res.status).toBe(422);
      expect(await res.json()).toMatchObject({ code: "ExternalIDAlreadyExists" });
    } finally {
      await other.close();
    }
  });

  it("update-external-id (204), profile patch, identifier add/delete, delete user", async () => {
    const signup = (await call("POST", "/users", { identifiers: [{ type: "email_address", value: "new@example.com" }] })).body;
    expect(signup.external_id).toBe("");
    expect((await call("PUT", `/users/${signup.id}/external_id`, { external_id: "internal-7" })).status).toBe(204);
    expect(sim.store.users.get(signup.id)!.external_id).toBe("internal-7");
    expect((await call("PUT", `/users/${signup.id}/external_id`, { external_id: "y".repeat(129) })).status).toBe(400);
    const second = (await call("POST", "/users", { external_id: "internal-8", identifiers: [{ type: "email_address", value: "b@example.com" }] })).body;
    expect(await call("PUT", `/users/${second.id}/external_id`, { external_id: "internal-7" })).toMatchObject({ status: 409, body: { code: "ExternalIDAlreadyExists" } });
    expect((await call("PATCH", `/users/${signup.id}/profile`, { first_name: "N", locale: "fr" })).body.user.profile).toEqual({ first_name: "N", locale: "fr" });
    expect((await call("POST", `/users/${signup.id}/identifiers`, { type: "oauth", value: "GitHub:99" })).status).toBe(201);
    expect(await call("POST", `/users/${second.id}/identifiers`, { type: "oauth", value: "github:99" })).toMatchObject({ status: 409, body: { code: "IdentifierAlreadyExists" } });
    expect((await call("DELETE", `/users/${signup.id}/identifiers`, { type: "oauth", value: "github:99" })).status).toBe(204);
    expect((await call("DELETE", `/users/${signup.id}`)).status).toBe(204);
    expect((await call("DELETE", `/users/${signup.id}`)).status).toBe(404);
  });

  it("lists with a cursor and exposes lazy migration for race tests", async () => {
    for (let i = 0; i < 5; i++) sim.store.lazyMigrate({ external_id: `m${i}`, identifiers: [{ type: "email_address", value: `m${i}@example.com` }] });
    expect(sim.store.lazyMigrate({ external_id: "m0", identifiers: [{ type: "email_address", value: "m0@example.com" }] }).source).toBe("migration");
    const p1 = (await call("GET", "/users?limit=3")).body;
    expect(p1.users).toHaveLength(3);
    const p2 = (await call("GET", `/users?limit=3&cursor=${p1.next_cursor}`)).body;
    expect(p2.users).toHaveLength(2);
    expect(p2.next_cursor).toBeNull();
    expect(sim.store.creates).toHaveLength(0); // migrate() is not an API create
  });

  it("faults and rate limit come from the kit", async () => {
    const limited = await startPrelude({ rateLimit: 2, rateLimitBurst: 2 });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await fetch(`${limited.url}/v2/session/apps/${limited.appId}/users`, { headers: { authorization: `Bearer ${limited.apiKey}` } })).status);
      expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    } finally {
      await limited.close();
    }
    sim.faults.set({ failRate: 1, failStatus: 503 });
    expect(await call("GET", "/users")).toMatchObject({ status: 503, body: { code: "Internal" } });
  });
});
