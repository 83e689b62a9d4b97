import { randomBytes } from "node:crypto";
import pg from "pg";
import { betterAuthSuite } from "./better-auth.suite.js";

/** The local test server (trust auth); each run gets its own database, dropped afterwards. */
const SERVER = process.env.AUTHMIGRATE_TEST_PG ?? "postgres://postgres@127.0.0.1:5432";
const name = `authmigrate_ba_${randomBytes(6).toString("hex")}`;

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: `${SERVER}/postgres` });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

betterAuthSuite(
  "postgres",
  async () => {
    await admin((c) => c.query(`CREATE DATABASE ${name}`));
    const url = `${SERVER}/${name}`;
    return {
      database: url,
      cwd: process.cwd(),
      appDatabase: () => {
        const pool = new pg.Pool({ connectionString: url, max: 2 });
        return { database: pool, close: () => pool.end() };
      },
    };
  },
  () => admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
);
