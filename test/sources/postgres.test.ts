import { randomBytes } from "node:crypto";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { AuthmigrateError } from "../../src/errors.js";
import { createSource } from "../../src/sources/index.js";
import { sqlSourceContract } from "./sql-contract.js";

const ADMIN = "postgres://postgres@127.0.0.1:5432/postgres";

sqlSourceContract("PostgreSQL", async () => {
  const name = `am_src_${randomBytes(5).toString("hex")}`;
  const admin = new pg.Client({ connectionString: ADMIN });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = `postgres://postgres@127.0.0.1:5432/${name}`;
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  return {
    exec: async (sql) => void (await db.query(sql)),
    q: (i) => `"${i}"`,
    timestampType: "TIMESTAMP(6)",
    bigintType: "BIGINT",
    dates: "Date",
    source: (o) => createSource({ type: "postgres", url, orderBy: ["Id"], pageSize: 1000, ...o }, { cwd: "/" }),
    teardown: async () => {
      await db.end();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
});

describe("PostgreSQL connection errors", () => {
  it("unreachable server: names host, port and database, never the password", async () => {
    const s = createSource(
      { type: "postgres", url: "postgres://app:S3cr3t-pw%21@127.0.0.1:1/legacy_users", table: "Users", orderBy: ["Id"], pageSize: 10 },
      { cwd: "/" },
    );
    const e = (await s.count().catch((x: unknown) => x)) as AuthmigrateError;
    expect(e).toBeInstanceOf(AuthmigrateError);
    expect(e.code).toBe("SOURCE_UNREACHABLE");
    expect(e.message).toContain("127.0.0.1:1");
    expect(e.message).toContain("legacy_users");
    expect(e.message).not.toMatch(/S3cr3t/);
    expect(e.message).not.toContain("\n");
    expect(JSON.stringify(e.toJSON())).not.toMatch(/S3cr3t/);
    expect(s.describe()).not.toMatch(/S3cr3t/);
    await s.close();
  });

  it("missing database is its own error", async () => {
    const s = createSource(
      { type: "postgres", url: "postgres://postgres@127.0.0.1:5432/am_src_does_not_exist", table: "Users", orderBy: ["Id"], pageSize: 10 },
      { cwd: "/" },
    );
    await expect(s.columns()).rejects.toMatchObject({ code: "SOURCE_DATABASE_NOT_FOUND" });
    await s.close();
  });
});
