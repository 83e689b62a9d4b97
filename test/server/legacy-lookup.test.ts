import { describe, expect, it } from "vitest";
import { mysqlDialect } from "../../src/sources/mysql.js";
import { pgDialect } from "../../src/sources/postgres.js";
import { sqliteDialect } from "../../src/sources/sqlite.js";
import { lookupSql, openLegacyLookup } from "../../src/server/legacy-lookup.js";
import { DbVerifier } from "../../src/server/verifiers.js";
import { ALICE_PW, fixture } from "./fixtures.js";

describe("legacy lookup", () => {
  it("builds parameterised SQL per dialect (values never in the text)", () => {
    expect(lookupSql(pgDialect, { table: "dbo.Users" }, ["Id"], "Email", true, 10)).toBe(
      'SELECT am_src.* FROM "dbo"."Users" am_src WHERE LOWER(TRIM(am_src."Email")) = LOWER(TRIM($1)) ORDER BY am_src."Id" LIMIT 10',
    );
    expect(lookupSql(mysqlDialect, { table: "Users" }, ["Id"], "Id", false, 1)).toBe("SELECT am_src.* FROM `Users` am_src WHERE am_src.`Id` = ? ORDER BY am_src.`Id` LIMIT 1");
    expect(lookupSql(sqliteDialect, { query: "SELECT * FROM Users WHERE IsActive = 1;" }, ["Id"], "Email", true, 10)).toContain("FROM (SELECT * FROM Users WHERE IsActive = 1) am_src WHERE");
  });

  it("an injection-shaped identifier is just a value", async () => {
    const f = fixture();
    const lookup = openLegacyLookup(f.config, f.dir);
    try {
      const v = new DbVerifier(f.config, lookup);
      expect(await v.verify("' OR '1'='1", ALICE_PW)).toEqual({ status: "unknown_user" });
      expect(await v.verify("alice@example.com' --", ALICE_PW)).toEqual({ status: "unknown_user" });
      expect((await v.verify("alice@example.com", ALICE_PW)).status).toBe("ok");
      expect(await v.findUser("externalId", "2")).toMatchObject({ email: "bob@example.com" });
    } finally {
      await lookup.close();
    }
  });

  it("duplicate emails follow validation.duplicates.keep (first / fail)", async () => {
    const f = fixture();
    const { writeLegacyDb } = await import("../helpers.js");
    const bcrypt = (await import("bcryptjs")).default;
    writeLegacyDb(`${f.dir}/legacy.db`, [{ Id: 9, Email: "ALICE@example.com", PasswordHash: bcrypt.hashSync("dup-pw", 4) }]);
    const lookup = openLegacyLookup(f.config, f.dir);
    try {
      const first = new DbVerifier(f.config, lookup);
      expect((await first.findUser("email", "alice@example.com"))?.externalId).toBe("1");
      expect((await first.verify("alice@example.com", "dup-pw")).status).toBe("invalid");
      const failing = new DbVerifier({ ...f.config, validation: { ...f.config.validation, duplicates: { keep: "fail" } } }, lookup);
      expect(await failing.findUser("email", "alice@example.com")).toBeUndefined();
    } finally {
      await lookup.close();
    }
  });
});
