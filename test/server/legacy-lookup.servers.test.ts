/**
 * `serve`'s legacy DB verifier on the real PostgreSQL and MariaDB of this machine: the same Users
 * table the bulk run reads, looked up by email (case/whitespace-insensitive), username and id,
 * bcrypt checked by the hash engine; a stopped database is `legacy_unavailable`, never "wrong password".
 */
import { randomBytes } from "node:crypto";
import bcrypt from "bcryptjs";
import mysql from "mysql2/promise";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import type { Config } from "../../src/config/schema.js";
import { LegacyUnavailableError } from "../../src/server/errors.js";
import { openLegacyLookup } from "../../src/server/legacy-lookup.js";
import { DbVerifier } from "../../src/server/verifiers.js";
import { freshPgDatabase, legacyConfig } from "../helpers.js";

const PW = "pässwörd-legacy-1";
const rows = () => [
  [1, " Mixed.Case@Example.COM ", "Mixed", "Case", bcrypt.hashSync(PW, 4), 1, "mixed"],
  [2, "other@example.com", "Other", "User", bcrypt.hashSync("other-pw", 4), 1, "other"],
  [3, "disabled@example.com", "Dis", "Abled", bcrypt.hashSync(PW, 4), 0, "disabled"],
  [4, "nohash@example.com", "No", "Hash", null, 1, "nohash"],
];

function configFor(source: Record<string, unknown>): Config {
  const base = legacyConfig({ source: source as never, ledger: { url: "ledger.sqlite" } }) as Record<string, unknown>;
  delete base.orgs;
  const mapping = base.mapping as { fields: Record<string, string> };
  delete mapping.fields.org;
  mapping.fields.username = "UserName";
  return parseConfig({ ...base, serve: { secret: "s3cret-s3cret-s3cret-0123456789" } });
}

const DDL = (q: (s: string) => string, text: string) =>
  `CREATE TABLE ${q("Users")} (${q("Id")} INT PRIMARY KEY, ${q("Email")} ${text}, ${q("FirstName")} ${text}, ${q("LastName")} ${text}, ${q("PasswordHash")} ${text}, ${q("IsActive")} INT, ${q("UserName")} ${text},
   ${q("TenantId")} INT, ${q("RoleId")} INT, ${q("PhoneNumber")} ${text}, ${q("LastLoginDate")} ${text}, ${q("CreatedDate")} ${text})`;

function behaves(name: string, setup: () => Promise<{ config: Config; teardown: () => Promise<void>; down: Config }>) {
  describe(`DbVerifier on ${name}`, () => {
    let ctx: Awaited<ReturnType<typeof setup>>;
    beforeAll(async () => {
      ctx = await setup();
    });
    afterAll(async () => {
      await ctx?.teardown();
    });

    it("finds the user by email ignoring case and surrounding spaces, and checks the bcrypt hash", async () => {
      const lookup = openLegacyLookup(ctx.config, "/");
      try {
        const v = new DbVerifier(ctx.config, lookup);
        const ok = await v.verify("mixed.case@example.com", PW);
        expect(ok.status).toBe("ok");
        if (ok.status === "ok") expect(ok.user).toMatchObject({ externalId: "1", email: "mixed.case@example.com", profile: { givenName: "Mixed" } });
        expect(await v.verify("MIXED.CASE@example.com", "wrong")).toEqual({ status: "invalid" });
        expect(await v.verify("ghost@example.com", PW)).toEqual({ status: "unknown_user" });
      } finally {
        await lookup.close();
      }
    });

    it("an identifier without @ is looked up by the username column; ids by externalId", async () => {
      const lookup = openLegacyLookup(ctx.config, "/");
      try {
        const v = new DbVerifier(ctx.config, lookup);
        expect((await v.verify("mixed", PW)).status).toBe("ok");
        expect(await v.findUser("externalId", "2")).toMatchObject({ email: "other@example.com" });
      } finally {
        await lookup.close();
      }
    });

    it("inactive users and users without a hash never sign in; injection-shaped input is a value", async () => {
      const lookup = openLegacyLookup(ctx.config, "/");
      try {
        const v = new DbVerifier(ctx.config, lookup);
        expect((await v.verify("disabled@example.com", PW)).status).not.toBe("ok");
        expect(await v.verify("nohash@example.com", "")).toEqual({ status: "invalid" });
        expect(await v.verify("' OR '1'='1", PW)).toEqual({ status: "unknown_user" });
      } finally {
        await lookup.close();
      }
    });

    it("a database that is not answering is legacy_unavailable, not a wrong password", async () => {
      const lookup = openLegacyLookup(ctx.down, "/");
      try {
        await expect(new DbVerifier(ctx.down, lookup).verify("mixed.case@example.com", PW)).rejects.toBeInstanceOf(LegacyUnavailableError);
      } finally {
        await lookup.close();
      }
    });
  });
}

behaves("PostgreSQL", async () => {
  const db = await freshPgDatabase("am_lookup");
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  await c.query(DDL((s) => `"${s}"`, "TEXT"));
  for (const r of rows()) await c.query(`INSERT INTO "Users" ("Id","Email","FirstName","LastName","PasswordHash","IsActive","UserName") VALUES ($1,$2,$3,$4,$5,$6,$7)`, r);
  await c.end();
  return {
    config: configFor({ type: "postgres", url: db.url, table: "Users", orderBy: ["Id"] }),
    down: configFor({ type: "postgres", url: "postgres://postgres@127.0.0.1:9/none", table: "Users", orderBy: ["Id"] }),
    teardown: db.drop,
  };
});

behaves("MariaDB", async () => {
  const name = `am_lookup_${randomBytes(5).toString("hex")}`;
  const admin = await mysql.createConnection({ host: "127.0.0.1", port: 3306, user: "root" });
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4`);
  const c = await mysql.createConnection({ host: "127.0.0.1", port: 3306, user: "root", database: name });
  await c.query(DDL((s) => `\`${s}\``, "VARCHAR(255)"));
  for (const r of rows()) await c.query("INSERT INTO `Users` (`Id`,`Email`,`FirstName`,`LastName`,`PasswordHash`,`IsActive`,`UserName`) VALUES (?,?,?,?,?,?,?)", r);
  await c.end();
  return {
    config: configFor({ type: "mysql", url: `mysql://root@127.0.0.1:3306/${name}`, table: "Users", orderBy: ["Id"] }),
    down: configFor({ type: "mysql", url: "mysql://root@127.0.0.1:9/none", table: "Users", orderBy: ["Id"] }),
    teardown: async () => {
      await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await admin.end();
    },
  };
});
