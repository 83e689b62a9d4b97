import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { mirrorDelete, mirrorEmail, mirrorPassword, mirrorUpsert, type MirrorContext } from "../../src/mirror/index.js";
import { MigrationUserSchema } from "../../src/model/user.js";
import { createTarget, getTarget } from "../../src/targets/index.js";
import type { TargetInstance } from "../../src/targets/types.js";
import { tempDir } from "../helpers.js";

describe("mirror on the file target", () => {
  it("updates the user's one line in place (diffed identifiers, profile, password) and deletes it", async () => {
    const dir = tempDir("am-mirror-file-");
    const { target, instance } = await createTarget({ type: "file", path: "users.ndjson" }, { cwd: dir });
    await instance.prepare();
    const jane = MigrationUserSchema.parse({ externalId: "1", email: "jane@example.com", phones: ["+15550000001"], identities: [{ provider: "github", providerUserId: "7" }], profile: { givenName: "Jane", locale: "fr" } });
    const bob = MigrationUserSchema.parse({ externalId: "2", email: "bob@example.com" });
    await instance.writeUsers([jane, bob].map((user) => ({ user, action: "create" as const, orgTargetIds: {} })));
    await instance.close();
    const ctx: MirrorContext = { instance, capabilities: target.capabilities.mirror };
    const lines = () => readFileSync(`${dir}/users.ndjson`, "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);

    const r = await mirrorUpsert(ctx, MigrationUserSchema.parse({ ...jane, extraEmails: ["j@work.example"], phones: [], identities: [{ provider: "google-oauth2", providerUserId: "g" }], profile: { givenName: "Janet" } }));
    expect(r.status).toBe("applied");
    expect(lines()).toHaveLength(2);
    expect(lines()[0]).toMatchObject({ externalId: "1", email: "jane@example.com", extraEmails: ["j@work.example"], phones: [], identities: [{ provider: "google", providerUserId: "g" }], profile: { givenName: "Janet" } });
    expect((lines()[0]!.profile as Record<string, unknown>).locale).toBeUndefined();

    expect((await mirrorEmail(ctx, "1", "new@example.com")).status).toBe("applied");
    expect(lines()[0]).toMatchObject({ email: "new@example.com", extraEmails: [] });
    expect((await mirrorPassword(ctx, "1", { kind: "hash", format: "bcrypt", value: "$2b$04$abcdefghijklmnopqrstuu5Ky5oIeW5Rb9AXh5nRsmOLmkxYQ0w6a", params: {} })).status).toBe("applied");
    expect(lines()[0]).toMatchObject({ credential: { kind: "hash", format: "bcrypt" } });

    expect((await mirrorDelete(ctx, "1")).status).toBe("applied");
    expect(lines().map((l) => l.externalId)).toEqual(["2"]);
    expect((await mirrorUpsert(ctx, jane)).status).toBe("skipped");
  });
});

describe("targets without user-update endpoints", () => {
  it.each(["calimatic", "auth0"])("%s: capability absent, every mirror call answers unsupported without touching the target", async (type) => {
    const target = await getTarget(type);
    expect(target.capabilities.mirror).toBeUndefined();
    const touched: PropertyKey[] = [];
    const instance = new Proxy({} as TargetInstance, { get: (_t, k) => void touched.push(k) });
    const ctx: MirrorContext = { instance, capabilities: target.capabilities.mirror };
    expect(await mirrorUpsert(ctx, MigrationUserSchema.parse({ externalId: "1" }))).toMatchObject({ status: "unsupported", reason: "target_cannot_mirror" });
    expect(await mirrorDelete(ctx, "1")).toMatchObject({ status: "unsupported" });
    expect(await mirrorEmail(ctx, "1", "a@b.io")).toMatchObject({ status: "unsupported" });
    expect(touched).toEqual([]);
  });
});
