import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SqliteLedger } from "../../src/ledger/index.js";
import { mirrorDelete, mirrorEmail, mirrorUpsert, type MirrorContext } from "../../src/mirror/index.js";
import { MigrationUserSchema } from "../../src/model/user.js";
import { startAuthgear, type RunningAuthgear } from "../../src/simulators/authgear/index.js";
import { createTarget } from "../../src/targets/index.js";
import { tempDir } from "../helpers.js";

describe("mirror on Authgear (simulator): profile through the Admin API, login IDs left alone", () => {
  let sim: RunningAuthgear;
  let ctx: MirrorContext;
  let ledger: SqliteLedger;
  let targetId: string;
  beforeAll(async () => {
    sim = await startAuthgear({ taskDelayMs: 2 });
    const { target, instance } = await createTarget({ type: "authgear", endpoint: sim.url, appId: sim.appId, keyId: sim.keyId, privateKey: sim.privateKeyPem, pollIntervalMs: 5 }, { cwd: tempDir() });
    await instance.prepare();
    const [o] = await instance.writeUsers([{ user: MigrationUserSchema.parse({ externalId: "9", email: "ann@example.com", profile: { givenName: "Ann", locale: "de" } }), action: "create", orgTargetIds: {} }]);
    targetId = o!.targetId!;
    // Authgear stores no legacy id: the ledger's link is how the mirror finds the user.
    ledger = new SqliteLedger(`${tempDir()}/ledger.db`, "authgear:test");
    await ledger.recordUsers(1, [{ externalId: "9", email: "ann@example.com", digest: null, targetId, status: "created", reason: null, strategy: null }]);
    ctx = { instance, capabilities: target.capabilities.mirror, ledger };
  });
  afterAll(async () => {
    await ledger.close();
    await ctx.instance.close();
    await sim.close();
  });

  it("patches standard attributes (a field the legacy user lost is removed)", async () => {
    const r = await mirrorUpsert(ctx, MigrationUserSchema.parse({ externalId: "9", email: "ann@example.com", profile: { givenName: "Anna", familyName: "Berg" } }));
    expect(r).toMatchObject({ status: "applied", targetId });
    const view = await ctx.instance.getUser(targetId);
    expect(view?.email).toBe("ann@example.com");
    const attrs = [...sim.store.users.values()][0]!.standardAttributes;
    expect(attrs).toMatchObject({ given_name: "Anna", family_name: "Berg" });
    expect(attrs.locale).toBeUndefined();
  });

  it("an email change is unsupported (no documented identity mutation); delete works", async () => {
    expect(await mirrorEmail(ctx, "9", "new@example.com")).toMatchObject({ status: "unsupported" });
    expect(await mirrorDelete(ctx, "9")).toMatchObject({ status: "applied" });
    expect(await ctx.instance.countUsers()).toBe(0);
    expect(await mirrorUpsert(ctx, MigrationUserSchema.parse({ externalId: "9" }))).toMatchObject({ status: "skipped", reason: "not_migrated" });
  });
});
