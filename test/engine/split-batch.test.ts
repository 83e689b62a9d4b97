import { describe, expect, it } from "vitest";
import { splitByBytes } from "../../src/engine/split-batch.js";
import { MigrationUserSchema } from "../../src/model/user.js";

const item = (id: number, pad: number) => ({ w: { user: MigrationUserSchema.parse({ externalId: String(id), email: `u${id}@x.io`, metadata: { pad: "x".repeat(pad) } }), action: "create" as const, orgTargetIds: {} } });

describe("splitByBytes", () => {
  it("keeps every user, in order, with each part under the budget", () => {
    const items = Array.from({ length: 50 }, (_, i) => item(i, 900));
    const parts = splitByBytes(items, 10_000);
    expect(parts.length).toBeGreaterThan(5);
    expect(parts.flat().map((x) => x.w.user.externalId)).toEqual(items.map((x) => x.w.user.externalId));
    for (const p of parts) expect(p.reduce((n, x) => n + JSON.stringify(x.w.user).length, 0)).toBeLessThanOrEqual(8_000);
  });

  it("a single oversized user goes alone instead of being dropped; no limit = one part", () => {
    const parts = splitByBytes([item(1, 10), item(2, 50_000), item(3, 10)], 10_000);
    expect(parts.map((p) => p.map((x) => x.w.user.externalId))).toEqual([["1"], ["2"], ["3"]]);
    expect(splitByBytes([item(1, 10), item(2, 10)], undefined)).toHaveLength(1);
  });
});
