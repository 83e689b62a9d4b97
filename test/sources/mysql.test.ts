import { randomBytes } from "node:crypto";
import mysql from "mysql2/promise";
import { describe, expect, it } from "vitest";
import { AuthmigrateError } from "../../src/errors.js";
import { createSource } from "../../src/sources/index.js";
import { sqlSourceContract } from "./sql-contract.js";

sqlSourceContract("MariaDB", async () => {
  const name = `am_src_${randomBytes(5).toString("hex")}`;
  const admin = await mysql.createConnection({ host: "127.0.0.1", port: 3306, user: "root" });
  await admin.query(`CREATE DATABASE ${name}`);
  const db = await mysql.createConnection({ host: "127.0.0.1", port: 3306, user: "root", database: name });
  const url = `mysql://root@127.0.0.1:3306/${name}`;
  return {
    exec: async (sql) => void (await db.query(sql)),
    q: (i) => `\`${i}\``,
    timestampType: "DATETIME(6)",
    bigintType: "BIGINT",
    dates: "Date",
    source: (o) => createSource({ type: "mysql", url, orderBy: ["Id"], pageSize: 1000, ...o }, { cwd: "/" }),
    teardown: async () => {
      await db.end();
      await admin.query(`DROP DATABASE IF EXISTS ${name}`);
      await admin.end();
    },
  };
});

describe("MySQL connection errors", () => {
  it("unreachable server: names host, port and database, never the password", async () => {
    const s = createSource(
      { type: "mysql", url: "mysql://app:S3cr3t-pw%21@127.0.0.1:1/legacy_users", table: "Users", orderBy: ["Id"], pageSize: 10 },
      { cwd: "/" },
    );
    const e = (await s.count().catch((x: unknown) => x)) as AuthmigrateError;
    expect(e).toBeInstanceOf(AuthmigrateError);
    expect(e.code).toBe("SOURCE_UNREACHABLE");
    expect(e.message).toContain("127.0.0.1:1");
    expect(e.message).toContain("legacy_users");
    expect(e.message).not.toMatch(/S3cr3t/);
    expect(JSON.stringify(e.toJSON())).not.toMatch(/S3cr3t/);
    expect(s.describe()).not.toMatch(/S3cr3t/);
    await s.close();
  });

  it("rejected credentials are SOURCE_AUTH_FAILED, without the password", async () => {
    const s = createSource(
      { type: "mysql", url: "mysql://am_nobody:S3cr3t-pw@127.0.0.1:3306/legacy_users", table: "Users", orderBy: ["Id"], pageSize: 10 },
      { cwd: "/" },
    );
    const e = (await s.columns().catch((x: unknown) => x)) as AuthmigrateError;
    expect(e.code).toBe("SOURCE_AUTH_FAILED");
    expect(e.message).toContain("am_nobody");
    expect(e.message).not.toContain("S3cr3t");
    await s.close();
  });

  it("missing database is its own error", async () => {
    const s = createSource(
      { type: "mysql", url: "mysql://root@127.0.0.1:3306/am_src_does_not_exist", table: "Users", orderBy: ["Id"], pageSize: 10 },
      { cwd: "/" },
    );
    await expect(s.columns()).rejects.toMatchObject({ code: "SOURCE_DATABASE_NOT_FOUND" });
    await s.close();
  });
});
