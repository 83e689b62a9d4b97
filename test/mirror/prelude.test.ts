import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { SqliteLedger } from "../../src/ledger/index.js";
import { mirrorDelete, mirrorUpsert, type MirrorContext } from "../../src/mirror/index.js";
import { MigrationUserSchema, type MigrationUserInput } from "../../src/model/user.js";
import { startPrelude, type RunningPrelude, type SimUser } from "../../src/simulators/prelude/index.js";
import { preludeTarget } from "../../src/targets/prelude/index.js";
import type { TargetInstance } from "../../src/targets/types.js";
import { tempDir } from "../helpers.js";

let sim: RunningPrelude;
let instance: TargetInstance;
beforeAll(async () => {
  sim = await startPrelude({ credentials: { appId: "app1", apiKey: "sk_test" } });
  instance = preludeTarget.create(preludeTarget.options.parse({ appId: "app1", apiKey: "sk_test", baseUrl: sim.url }), { cwd: process.cwd() });
});
afterAll(async () => {
  await instance.close();
  await sim.close();
});
beforeEach(() => {
  sim.store.clear();
  sim.faults.set({ failRate: 0, burst429: undefined });
});

const ctx = (over: Partial<MirrorContext> = {}): MirrorContext => ({ instance, capabilities: preludeTarget.capabilities.mirror, ...over });
const legacy = (u: Omit<MigrationUserInput, "externalId"> & { externalId?: string }) => MigrationUserSchema.parse({ externalId: "42", ...u });

function seed(externalId: string | null, identifiers: { type: "email_address" | "phone_number" | "oauth"; value: string }[], profile = {}): SimUser {
  return sim.store.createUser({ external_id: externalId, identifiers, profile }, "migration");
}
const values = (u: SimUser) => sim.store.get(u.id).identifiers.map((i) => `${i.type}=${i.value}`).sort();

describe("mirrorUpsert on the Prelude simulator", () => {
  it("patches the profile and reconciles emails, phones and OAuth identities as a diff", async () => {
    const u = seed("42", [
      { type: "email_address", value: "jane@example.com" },
      { type: "email_address", value: "old@example.com" },
      { type: "phone_number", value: "+15550000001" },
      { type: "oauth", value: "github:7" },
    ], { first_name: "Jane", locale: "fr" });
    const r = await mirrorUpsert(ctx(), legacy({
      email: "jane@example.com",
      extraEmails: ["new@example.com"],
      phones: ["+15550000001"],
      identities: [{ provider: "oauth_google", providerUserId: "g-1" }],
      profile: { givenName: "Janet", familyName: "Doe" },
    }));
    expect(r).toMatchObject({ status: "applied", targetId: u.id, errors: [] });
    expect(values(u)).toEqual(["email_address=jane@example.com", "email_address=new@example.com", "oauth=google:g-1", "phone_number=+15550000001"]);
    // The intersection was not touched; locale the legacy user no longer has is cleared.
    expect(r.ops.map((o) => `${o.op}:${o.kind ?? ""}:${o.value ?? ""}:${o.outcome}`)).toEqual([
      "profile:::done",
      "add:email:new@example.com:done",
      "add:oauth:google:g-1:done",
      "remove:email:old@example.com:done",
      "remove:oauth:github:7:done",
    ]);
    expect(sim.store.get(u.id).profile).toEqual({ first_name: "Janet", last_name: "Doe" });
  });

  it("treats AlreadyExists on an add and NotFound on a remove as success", async () => {
    const u = seed("42", [{ type: "email_address", value: "a@example.com" }, { type: "email_address", value: "gone@example.com" }]);
    // Someone else (another mirror, the user in the Auth UI) changes the identifiers right after we read them.
    const racing: TargetInstance = Object.create(instance) as TargetInstance;
    racing.getIdentifiers = async (id) => {
      const seen = await instance.getIdentifiers!(id);
      sim.store.addIdentifier(u.id, { type: "email_address", value: "b@example.com" });
      sim.store.deleteIdentifier(u.id, { type: "email_address", value: "gone@example.com" });
      return seen;
    };
    const r = await mirrorUpsert(ctx({ instance: racing }), legacy({ email: "a@example.com", extraEmails: ["b@example.com"] }));
    expect(r.status).toBe("applied");
    expect(r.ops.filter((o) => o.op !== "profile").map((o) => `${o.op}:${o.value}:${o.outcome}`)).toEqual(["add:b@example.com:already_exists", "remove:gone@example.com:not_found"]);
    expect(values(u)).toEqual(["email_address=a@example.com", "email_address=b@example.com"]);
  });

  it("runs every op when some fail and returns one aggregate failure", async () => {
    seed("other", [{ type: "email_address", value: "taken@example.com" }]);
    const u = seed("42", [{ type: "email_address", value: "a@example.com" }, { type: "phone_number", value: "+15550000001" }]);
    const r = await mirrorUpsert(ctx(), legacy({
      email: "a@example.com",
      extraEmails: ["taken@example.com", "ok@example.com"],
      identities: [{ provider: "myspace", providerUserId: "1" }],
      profile: { givenName: "Zed" },
    }));
    expect(r.status).toBe("failed");
    expect(r.retryable).toBe(false);
    expect(r.errors).toHaveLength(2);
    expect(r.errors.join("\n")).toMatch(/IdentifierAlreadyExists/);
    expect(r.errors.join("\n")).toMatch(/unknown oauth provider/);
    // The ops after the failures still ran: profile, the valid add and the remove.
    expect(values(u)).toEqual(["email_address=a@example.com", "email_address=ok@example.com"]);
    expect(sim.store.get(u.id).profile.first_name).toBe("Zed");
  });

  it("skips silently a user that is not migrated yet", async () => {
    const r = await mirrorUpsert(ctx(), legacy({ email: "nobody@example.com" }));
    expect(r).toMatchObject({ status: "skipped", reason: "not_migrated", ops: [] });
    expect(sim.store.users.size).toBe(0);
  });

  it("resolves through the ledger's legacyId → targetId first (a user without external_id in the target)", async () => {
    const u = seed(null, [{ type: "email_address", value: "jane@example.com" }]);
    expect((await mirrorUpsert(ctx(), legacy({ email: "jane@example.com", profile: { givenName: "J" } }))).status).toBe("skipped");
    const ledger = new SqliteLedger(`${tempDir()}/ledger.db`, "prelude:test");
    await ledger.recordUsers(1, [{ externalId: "42", email: "jane@example.com", digest: null, targetId: u.id, status: "created", reason: null, strategy: null }]);
    const r = await mirrorUpsert(ctx({ ledger }), legacy({ email: "jane@example.com", profile: { givenName: "J" } }));
    await ledger.close();
    expect(r).toMatchObject({ status: "applied", targetId: u.id });
    expect(sim.store.get(u.id).profile.first_name).toBe("J");
  });

  it("a 503 from the target is a retryable failure, not a throw", async () => {
    seed("42", [{ type: "email_address", value: "a@example.com" }]);
    sim.faults.set({ failRate: 1, failStatus: 503 });
    const r = await mirrorUpsert(ctx(), legacy({ email: "a@example.com" }));
    expect(r).toMatchObject({ status: "failed", retryable: true });
  });
});

describe("mirrorDelete on the Prelude simulator", () => {
  it("deletes the target user; a second delete (already gone) is a silent skip", async () => {
    const u = seed("42", [{ type: "email_address", value: "a@example.com" }]);
    expect(await mirrorDelete(ctx(), "42")).toMatchObject({ status: "applied", targetId: u.id });
    expect(sim.store.users.has(u.id)).toBe(false);
    expect(await mirrorDelete(ctx(), "42")).toMatchObject({ status: "skipped", reason: "not_migrated" });
  });
});
