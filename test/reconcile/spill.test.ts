/**
 * reconcile --fix spills full legacy users (password hash included) to a temp SQLite file. A
 * file left behind by kill -9 must not hold a readable hash: users are sealed with a key that
 * lives only in the process.
 */
import Database from "better-sqlite3";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { SpillStore } from "../../src/reconcile/spill.js";

describe("reconcile spill file", () => {
  it("stores users encrypted; the merge reads them back intact; close() removes the directory", () => {
    const hash = "$2b$10$abcdefghijklmnopqrstuuQ0ekY0Gg8O2aYbHYbRk0Tn5XU9l6eKy";
    const user = JSON.stringify({ externalId: "42", email: "secret-person@example.com", credential: { kind: "hash", format: "bcrypt", value: hash } });
    const spill = new SpillStore();
    try {
      spill.addLegacy({ externalId: "42", rec: JSON.stringify({ email: "secret-person@example.com" }), user, excludedReason: null });
      spill.addLegacy({ externalId: "43", rec: null, user: null, excludedReason: "no_email" });
      spill.finishLoading();

      // What an attacker finds on disk after a crash: neither the hash nor the user JSON.
      const onDisk = readFileSync(spill.file);
      expect(onDisk.includes(Buffer.from(hash))).toBe(false);
      expect(onDisk.includes(Buffer.from('"credential"'))).toBe(false);
      const raw = new Database(spill.file, { readonly: true }).prepare("SELECT user FROM legacy WHERE external_id = '42'").pluck().get() as Buffer;
      expect(raw.toString("latin1")).not.toContain("bcrypt");

      const rows = [...spill.legacyOrdered()];
      expect(rows.map((r) => [r.externalId, r.user])).toEqual([
        ["42", user],
        ["43", null],
      ]);
    } finally {
      spill.close();
    }
    expect(() => readFileSync(spill.file)).toThrow(/ENOENT/);
  });
});
