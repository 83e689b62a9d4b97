/**
 * The coordinator's one pass over the source before any worker starts:
 *
 * 1. Chunk boundaries: the key of every `chunkSize`-th record in keyset order. Chunk n is the
 *    range (boundary n-1, boundary n]; the first and last ranges are open, so rows inserted
 *    later still land in exactly one chunk.
 * 2. Email claims in source key order (duplicate policy `first`): workers then run chunks in any
 *    order and on any machine, yet the first record of an email wins exactly as in a
 *    single-process run.
 *
 * The pass streams (one page and one claim batch in memory), whatever the source size.
 */
import { AuthmigrateError } from "../../errors.js";
import { mapUser } from "../../mapping/map-user.js";
import { isClaimable } from "../plan-users.js";
import { openUserSource } from "../read.js";
import type { Session } from "../session.js";
import { keyValue, splittable, type Key } from "./key-range.js";
import type { ScaleLedger } from "./store.js";

export interface ChunkPlan {
  chunks: number;
  records: number;
}

const CLAIM_BATCH = 1000;

export async function planChunks(session: Session, ledger: ScaleLedger, runId: number, chunkSize: number, signal?: AbortSignal): Promise<ChunkPlan> {
  const { config, cwd } = session;
  const source = splittable(config.source);
  if (config.validation.duplicates.keep !== "first") {
    throw new AuthmigrateError("SCALE_DUPLICATES_UNSUPPORTED", `--workers supports validation.duplicates.keep: "first"; this config uses "${config.validation.duplicates.keep}"`, {
      hint: "resolve duplicates with a single-process run, or switch to \"first\" (first record in key order wins)",
    });
  }
  const reader = await openUserSource(config, cwd);
  const bounds: Key[] = [];
  let records = 0;
  let inChunk = 0;
  let claims: { email: string; externalId: string }[] = [];
  const skipInactive = config.validation.inactive === "skip";
  const opts = { mapping: config.mapping, validation: config.validation, hashes: config.hashes };
  try {
    await session.ledger.resetClaims();
    for await (const record of reader.read(signal ? { signal } : {})) {
      records++;
      inChunk++;
      const rec = await mapUser(record, opts);
      if (isClaimable(rec, skipInactive)) claims.push({ email: rec.user!.email!, externalId: rec.user!.externalId });
      if (claims.length >= CLAIM_BATCH) {
        await session.ledger.claimEmails(claims);
        claims = [];
      }
      if (inChunk >= chunkSize && !record.error) {
        bounds.push(source.orderBy.map((k) => keyValue(record.row[k], k, record.location)));
        inChunk = 0;
      }
    }
    if (claims.length) await session.ledger.claimEmails(claims);
  } finally {
    await reader.close();
  }
  // The last boundary is the last record: its open-ended successor catches rows added since.
  const ranges = [...bounds, null].map((until, i) => ({ seq: i, after: i === 0 ? null : bounds[i - 1]!, until }));
  for (let i = 0; i < ranges.length; i += 500) {
    const part = ranges.slice(i, i + 500);
    await ledger.query(
      `INSERT INTO am_chunks (run_id, seq, after_key, until_key, records)
       SELECT $1, s, a, u, n FROM unnest($2::int[], $3::text[], $4::text[], $5::int[]) AS t(s, a, u, n)`,
      [
        runId,
        part.map((r) => r.seq),
        part.map((r) => (r.after ? JSON.stringify(r.after) : null)),
        part.map((r) => (r.until ? JSON.stringify(r.until) : null)),
        part.map((r) => (r.until ? chunkSize : inChunk)),
      ],
    );
  }
  await ledger.query("INSERT INTO am_scale_runs (run_id, target, chunks, records, lease_seconds) VALUES ($1, $2, $3, $4, $5)", [
    runId,
    session.key,
    ranges.length,
    records,
    config.run.scale.leaseSeconds,
  ]);
  return { chunks: ranges.length, records };
}
