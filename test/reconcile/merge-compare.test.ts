import { describe, expect, it } from "vitest";
import { compareRecords } from "../../src/reconcile/compare.js";
import { mergeById } from "../../src/reconcile/merge.js";
import { SpillStore } from "../../src/reconcile/spill.js";

describe("reconcile sort-merge over the spill store", () => {
  it("pairs ids in SQLite's byte order whatever the input order, with duplicates and orphans apart", () => {
    const store = new SpillStore();
    try {
      // Text order, not numeric: "10" < "9"; non-ASCII after ASCII; "\u{1F600}" after "\uFFFD" in UTF-8 but not in UTF-16.
      const legacyIds = ["9", "10", "b", "é", "\uFFFD", "\u{1F600}", "only-legacy"];
      for (const id of [...legacyIds].reverse()) store.addLegacy({ externalId: id, rec: "{}", user: null, excludedReason: null });
      store.addLegacy({ externalId: "9", rec: "{}", user: null, excludedReason: null }); // a duplicate legacy id
      const targets: [string, string | undefined][] = [["t-\u{1F600}", "\u{1F600}"], ["t-10", "10"], ["t-9", "9"], ["t-b", "b"], ["t-b2", "b"], ["t-e", "é"], ["t-fffd", "\uFFFD"], ["t-only", "only-target"], ["t-orphan", undefined], ["t-ledger", undefined]];
      for (const [t, e] of targets) store.addTarget(t, e, "{}");
      store.addLedger("via-ledger", "t-ledger", "created", null);
      store.finishLoading();
      const pairs = [...mergeById(store.legacyOrdered(), store.targetOrdered())].map((p) => [p.externalId, p.legacy ? "L" : "-", p.targets.map((t) => t.targetId).join("+")]);
      expect(pairs).toEqual([
        ["10", "L", "t-10"],
        ["9", "L", "t-9"],
        ["b", "L", "t-b+t-b2"],
        ["only-legacy", "L", ""],
        ["only-target", "-", "t-only"],
        ["via-ledger", "-", "t-ledger"],
        ["é", "L", "t-e"],
        ["\uFFFD", "L", "t-fffd"],
        ["\u{1F600}", "L", "t-\u{1F600}"],
      ]);
      expect([...store.orphans()].map((o) => o.targetId)).toEqual(["t-orphan"]);
      expect(store.duplicateLegacyIds).toBe(1);
    } finally {
      store.close();
    }
  });
});

describe("compareRecords", () => {
  const base = { emails: ["a@x.com"], phones: ["+15550001"], identities: ["google:1"], profile: { name: "A B" }, memberships: { org1: ["admin"] }, disabled: false };

  it("sorts differences into profile, identifiers and org/role, with both values", () => {
    const target = { ...base, emails: ["b@x.com"], identities: ["github:2", "google:1"], profile: { name: "A C", image: "p.png" }, memberships: { org1: ["member"], org2: ["member"] }, disabled: true };
    expect(compareRecords(base, target)).toEqual({
      profile: [
        { field: "name", legacy: "A B", target: "A C" },
        { field: "image", legacy: "", target: "p.png" },
        { field: "disabled", legacy: false, target: true },
      ],
      identifiers: [
        { field: "emails", legacy: ["a@x.com"], target: ["b@x.com"] },
        { field: "identities", legacy: ["google:1"], target: ["github:2", "google:1"] },
      ],
      org_role: [
        { field: "org:org1", legacy: ["admin"], target: ["member"] },
        { field: "org:org2", legacy: null, target: ["member"] },
      ],
    });
  });

  it("ignores order within sets and fields the target does not store", () => {
    const { phones: _p, identities: _i, memberships: _m, disabled: _d, ...bare } = base;
    expect(compareRecords({ ...base, memberships: { org1: ["b", "a"] } }, { ...base, memberships: { org1: ["a", "b"] } })).toEqual({});
    expect(compareRecords(base, bare)).toEqual({});
  });
});
