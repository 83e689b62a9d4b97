import type { Target } from "../types.js";
import { PreludeInstance } from "./instance.js";
import { PreludeTargetOptionsSchema } from "./options.js";

/** Per-user POSTs inside one writeUsers call: 50 keeps a call (and its retry) short. */
export const PRELUDE_MAX_BATCH = 50;
/** Prelude documents no rate limit (targets.md §0): a conservative default; `run.rateLimit` overrides it. */
export const PRELUDE_DEFAULT_RPS = 10;

/**
 * Prelude Session/Auth API (seed 003 step 3, targets.md §4): dormant-user backfill. One
 * `POST /v2/session/apps/{appID}/users` per user with the legacy id as `external_id`, profile and
 * every email / phone / OAuth identifier; lookups by external_id first (batch_lookup, ≤100).
 * Passwords are never sent (no documented hash format): lazy migration via the
 * session_validation_url hook, or a reset. See docs/targets/prelude.md.
 */
export const preludeTarget: Target<typeof PreludeTargetOptionsSchema> = {
  id: "prelude",
  description: "Prelude Session/Auth: users by external_id with email/phone/OAuth identifiers (no password import: lazy or reset)",
  capabilities: {
    maxBatchSize: PRELUDE_MAX_BATCH,
    // PATCH /users/{id}/profile + identifier add/delete (seed 003 step 1).
    update: true,
    orgs: false,
    rollback: true,
    hashFormats: [],
    // The engine looks users up (external_id, then email) before creating: seed 003's idempotency check.
    idempotentCreate: false,
    // Each lookup request is retried on its own (retryRead).
    retriesReads: true,
    rateLimit: { requestsPerSecond: PRELUDE_DEFAULT_RPS, burst: PRELUDE_DEFAULT_RPS },
    // Seed 003 step 1: profile PATCH + identifier add/delete; no password import (hashFormats: []).
    mirror: { identifiers: { email: "many", phone: "many", oauth: "many" }, profile: true, password: false },
  },
  options: PreludeTargetOptionsSchema,
  create: (options, ctx) => new PreludeInstance(options, ctx),
};

export { PreludeInstance, BREAKER_STREAK, reasonOf } from "./instance.js";
export { PreludeApi, BATCH_LOOKUP_MAX, isPreludeError } from "./client.js";
export { PreludeTargetOptionsSchema, PRELUDE_API } from "./options.js";
export type { PreludeTargetOptions, PreludeTargetOptionsInput } from "./options.js";
export { DEFAULT_PROVIDER_NAMES, MAX_EXTERNAL_ID, normalizeProvider, oauthIdentifier, toCreateBody, toIdentifiers, toProfile, toView } from "./map.js";
export type { CreateUserBody, PreludeIdentifier, PreludeProfile, PreludeUser } from "./map.js";
export { enrichFromExport, mergeExport } from "./enrich.js";
export type { EnrichOptions, LegacyExportRecord } from "./enrich.js";
