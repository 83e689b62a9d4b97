import { closeSync, createReadStream, existsSync, fsyncSync, openSync, readFileSync, writeSync } from "node:fs";
import { createInterface } from "node:readline";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import type { MigrationUser } from "../../model/user.js";
import type { Target, TargetInstance, TargetUserRecord, TargetUserView, UserOutcome } from "../types.js";
import { canonicalRecord } from "../user-record.js";
import { FileMirror } from "./mirror.js";

const Options = z.object({
  /** NDJSON file the canonical users are appended to (0600: it holds password hashes). */
  path: z.string().min(1).default("users.ndjson"),
  /** Also write organizations to this NDJSON file. */
  orgsPath: z.string().optional(),
});


/** Read the externalIds already in the file: after a crash, the file is the truth of what was written. */
function existingIds(file: string): Set<string> {
  const ids = new Set<string>();
  if (!existsSync(file)) return ids;
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (!line.trim()) continue;
    try {
      ids.add((JSON.parse(line) as { externalId: string }).externalId);
    } catch {
      // a torn last line from a kill -9: ignored here, rewritten by the next write of that user
    }
  }
  return ids;
}

/** What verify reads back: parsed from the file on demand (verify only). */
function readViews(file: string): Map<string, TargetUserView> {
  const views = new Map<string, TargetUserView>();
  if (!existsSync(file)) return views;
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (!line.trim()) continue;
    try {
      const u = JSON.parse(line) as MigrationUser;
      views.set(u.externalId, {
        targetId: u.externalId,
        ...(u.email ? { email: u.email } : {}),
        disabled: u.status === "disabled",
        memberships: Object.fromEntries(u.memberships.map((m) => [m.orgExternalId, m.roles])),
        hasPassword: u.credential.kind === "hash",
      });
    } catch {
      // torn line: see existingIds
    }
  }
  return views;
}

/** Stream the file line by line (constant memory): reconcile's view of the target. Org target ids are org externalIds here. */
async function* readRecords(file: string): AsyncGenerator<TargetUserRecord> {
  if (!existsSync(file)) return;
  const lines = createInterface({ input: createReadStream(file, "utf8"), crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line.trim()) continue;
    let u: MigrationUser;
    try {
      u = JSON.parse(line) as MigrationUser;
    } catch {
      continue; // torn line: see existingIds
    }
    const orgIds = Object.fromEntries(u.memberships.map((m) => [m.orgExternalId, m.orgExternalId]));
    yield { targetId: u.externalId, ...canonicalRecord(u, orgIds) };
  }
}

/**
 * Deterministic NDJSON of canonical users, one per line, in source key order: for rehearsals,
 * diffs between runs, and feeding tools we don't support yet. Writes are synchronous appends, so
 * the order is the dispatch order whatever the concurrency.
 */
export const fileTarget = {
  id: "file",
  description: "NDJSON file of canonical users (rehearsals, exports, benchmarks)",
  capabilities: { maxBatchSize: 10_000, update: false, orgs: true, rollback: false, hashFormats: ["*"], idempotentCreate: true,
    // Mirrored changes rewrite the user's line (./mirror.ts).
    mirror: { identifiers: { email: "many", phone: "many", oauth: "many" }, profile: true, password: true } },
  options: Options,
  create(options, ctx): TargetInstance {
    const file = path.resolve(ctx.cwd, options.path);
    const orgsFile = options.orgsPath ? path.resolve(ctx.cwd, options.orgsPath) : undefined;
    let seen: Set<string> | undefined;
    let views: Map<string, TargetUserView> | undefined;
    let fd: number | undefined;
    const mirror = new FileMirror(file);
    return {
      async prepare() {
        mkdirSync(path.dirname(file), { recursive: true });
        seen = existingIds(file);
        fd = openSync(file, "a", 0o600);
      },
      async upsertOrgs(orgs) {
        if (orgsFile) {
          const known = existingIds(orgsFile);
          const out = orgs.filter((o) => !known.has(o.externalId)).map((o) => JSON.stringify(o) + "\n").join("");
          const ofd = openSync(orgsFile, "a", 0o600);
          writeSync(ofd, out);
          closeSync(ofd);
        }
        return orgs.map((o) => ({ externalId: o.externalId, status: "created" as const, targetId: o.externalId }));
      },
      async writeUsers(batch) {
        const outcomes: UserOutcome[] = [];
        let chunk = "";
        for (const w of batch) {
          const id = w.user.externalId;
          // Only ids already in the file when the run started (crash recovery) are remembered: new
          // writes are not added, so memory stays flat however many users go through.
          if (seen!.has(id)) {
            outcomes.push({ externalId: id, status: "skipped", targetId: id, reason: "exists" });
            continue;
          }
          chunk += (w.json ?? JSON.stringify(w.user)) + "\n";
          outcomes.push({ externalId: id, status: "created", targetId: id });
        }
        writeSync(fd!, chunk);
        mirror.invalidate();
        return outcomes;
      },
      async getUser(targetId) {
        views ??= readViews(file);
        return views.get(targetId);
      },
      async countUsers() {
        return existingIds(file).size;
      },
      listUsers: () => readRecords(file),
      toTargetRecord: (user, orgTargetIds) => canonicalRecord(user, orgTargetIds),
      /** Mirrored deletes remove the user's line (rollback stays off: a rehearsal file is discarded, not rolled back). */
      async deleteUsers(ids) {
        views = undefined;
        return ids.map((targetId) => (mirror.delete(targetId) ? { targetId, ok: true } : { targetId, ok: true, reason: "not_found" }));
      },
      /** By externalId only (the file's target id): the line is the user. */
      async lookupUsers(users) {
        mirror.invalidate();
        const found = mirror.lookup(users.map((u) => u.externalId));
        return new Map(found.map((id) => [id, { targetId: id, matchedBy: "externalId" as const }]));
      },
      async getIdentifiers(targetId) {
        return mirror.identifiers(targetId);
      },
      async updateProfile(targetId, patch) {
        mirror.updateProfile(targetId, patch);
        views = undefined;
      },
      async addIdentifier(targetId, identifier) {
        views = undefined;
        return mirror.addIdentifier(targetId, identifier);
      },
      async removeIdentifier(targetId, identifier) {
        views = undefined;
        return mirror.removeIdentifier(targetId, identifier);
      },
      async setPassword(targetId, credential) {
        mirror.setPassword(targetId, credential);
        views = undefined;
      },
      async close() {
        if (fd !== undefined) {
          fsyncSync(fd);
          closeSync(fd);
          fd = undefined;
        }
      },
    };
  },
} satisfies Target<typeof Options>;
