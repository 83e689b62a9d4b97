import Database from "better-sqlite3";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { createTarget } from "../../src/targets/index.js";
import { defineTargetContract } from "./target.contract.js";

const LOCAL = "local SQLite database: no HTTP, no rate limits, no simulator faults";

defineTargetContract(
  "better-auth",
  async ({ dir }) => {
    const targetConfig = { type: "better-auth", database: "app.db" };
    return {
      targetConfig,
      // An app sign-up: better-auth's own row, written by the app (after the schema exists).
      preExisting: async ({ email }) => {
        const { instance } = await createTarget(targetConfig, { cwd: dir });
        await instance.prepare();
        await instance.close();
        const db = new Database(path.join(dir, "app.db"));
        try {
          const id = randomBytes(16).toString("hex");
          const now = new Date().toISOString();
          db.prepare('insert into "user" (id, name, email, emailVerified, image, createdAt, updatedAt) values (?, ?, ?, 0, null, ?, ?)').run(id, "Native User", email, now, now);
          return id;
        } finally {
          db.close();
        }
      },
      close: async () => {},
    };
  },
  { skip: { "429": LOCAL, "5xx": LOCAL, timeout: LOCAL } },
);
