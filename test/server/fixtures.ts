import bcrypt from "bcryptjs";
import path from "node:path";
import { parseConfig } from "../../src/config/load.js";
import type { Config } from "../../src/config/schema.js";
import type { ServeConfigInput } from "../../src/server/config.js";
import type { LogEntry } from "../../src/server/log.js";
import { legacyConfig, tempDir, writeLegacyDb } from "../helpers.js";

export const SECRET = "s3cret-s3cret-s3cret-0123456789";
export const ALICE_PW = "correct horse battery staple";
export const BOB_PW = "hunter2-but-longer";

export interface Fixture {
  dir: string;
  config: Config;
  aliceHash: string;
}

/** A real legacy SQLite DB (writeLegacyDb) with bcrypt hashes, and a parsed config with a serve block. */
export function fixture(serve: Partial<ServeConfigInput> = {}, overrides: Record<string, unknown> = {}): Fixture {
  const dir = tempDir("am-serve-");
  const aliceHash = bcrypt.hashSync(ALICE_PW, 4);
  writeLegacyDb(path.join(dir, "legacy.db"), [
    { Id: 1, Email: "Alice@Example.com", FirstName: "Alice", LastName: "Liddell", PasswordHash: aliceHash, TenantId: null },
    { Id: 2, Email: "bob@example.com", FirstName: "Bob", LastName: "Builder", PasswordHash: bcrypt.hashSync(BOB_PW, 4), PhoneNumber: "+15551234567" },
    { Id: 3, Email: "nohash@example.com", PasswordHash: null },
    { Id: 4, Email: "gone@example.com", PasswordHash: bcrypt.hashSync("whatever-pw", 4), IsActive: 0 },
  ]);
  const base = legacyConfig({ ledger: { url: "ledger.sqlite" }, ...overrides }) as Record<string, unknown>;
  delete base.orgs;
  const mapping = base.mapping as { fields: Record<string, string> };
  delete mapping.fields.org;
  const config = parseConfig({ ...base, serve: { secret: SECRET, ...serve } });
  return { dir, config, aliceHash };
}

export function captureLogs(): { log: (e: LogEntry) => void; lines: string[] } {
  const lines: string[] = [];
  return { lines, log: (e) => lines.push(JSON.stringify(e)) };
}

export function bearer(extra: Record<string, string> = {}): Record<string, string> {
  return { authorization: `Bearer ${SECRET}`, "content-type": "application/json", ...extra };
}
