import { SqliteLedger } from "../../src/ledger/index.js";
import { SqliteOutboxStore } from "../../src/mirror/index.js";
import { tempDir } from "../helpers.js";
import { defineOutboxSuite } from "./outbox.suite.js";

defineOutboxSuite("SQLite (a table in the ledger file)", {
  async setup() {
    const file = `${tempDir("am-outbox-")}/ledger.db`;
    const ledger = new SqliteLedger(file, "prelude:test");
    return { ledger, openStore: () => new SqliteOutboxStore(file, "prelude:test"), cleanup: () => ledger.close() };
  },
});
