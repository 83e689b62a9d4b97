import { PostgresLedger } from "../../src/ledger/index.js";
import { PgOutboxStore } from "../../src/mirror/index.js";
import { freshPgDatabase } from "../helpers.js";
import { defineOutboxSuite } from "./outbox.suite.js";

defineOutboxSuite("PostgreSQL (pg-boss 10)", {
  async setup() {
    const db = await freshPgDatabase("am_outbox");
    const ledger = new PostgresLedger(db.url, "prelude:test");
    return {
      ledger,
      openStore: () => new PgOutboxStore(db.url, "prelude:test"),
      async cleanup() {
        await ledger.close();
        await db.drop();
      },
    };
  },
});
