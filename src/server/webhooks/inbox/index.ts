import path from "node:path";
import { PostgresInbox } from "./postgres.js";
import { SqliteInbox } from "./sqlite.js";
import type { Inbox } from "./types.js";

export type { Inbox, InboxRow, InboxStatus, SubjectState } from "./types.js";
export { SqliteInbox } from "./sqlite.js";
export { PostgresInbox } from "./postgres.js";

/** Opens the inbox like src/ledger/index.ts opens the ledger: a postgres:// URL, or a SQLite path (relative to cwd). */
export async function openInbox(url: string, cwd: string): Promise<Inbox> {
  if (/^postgres(ql)?:\/\//.test(url)) {
    const inbox = new PostgresInbox(url);
    try {
      await inbox.open();
    } catch (e) {
      await inbox.close().catch(() => undefined);
      throw e;
    }
    return inbox;
  }
  const file = url.startsWith("sqlite:") ? url.slice("sqlite:".length) : url;
  return new SqliteInbox(file === ":memory:" ? file : path.resolve(cwd, file));
}
