import type { Target } from "../types.js";
import { DEFAULT_IMPORTS_PER_SECOND } from "./client.js";
import { CALIMATIC_MAX_BATCH, CalimaticInstance } from "./instance.js";
import { CalimaticTargetOptionsSchema } from "./options.js";

/**
 * Calimatic Auth (seed 000): organizations first, then `POST /api/v1/users/import` in batches of
 * ≤500 with bcrypt / Keycloak-PBKDF2 hashes passed through (strategy A), reset emails (B),
 * temporary passwords (C) or nothing (D, SSO). See docs/targets/calimatic.md.
 */
export const calimaticTarget: Target<typeof CalimaticTargetOptionsSchema> = {
  id: "calimatic",
  description: "Calimatic Auth: bulk import API (≤500 users/request), organizations, bcrypt and Keycloak PBKDF2 hashes",
  capabilities: {
    maxBatchSize: CALIMATIC_MAX_BATCH,
    update: true,
    orgs: true,
    rollback: true,
    hashFormats: ["bcrypt", "pbkdf2-keycloak-json"],
    // The import deduplicates by email (skipExisting) and writeUsers tells its own earlier users
    // apart: no lookupUsers round trips before every create.
    idempotentCreate: true,
    // Each lookup request is retried on its own (retryRead).
    retriesReads: true,
    // The seed waits 2 s between import batches: seeds the run's limiter, which paces import calls
    // (other calls have their own `requestsPerSecond`); `importsPerSecond` overrides it.
    rateLimit: { requestsPerSecond: DEFAULT_IMPORTS_PER_SECOND, burst: 1 },
  },
  options: CalimaticTargetOptionsSchema,
  create: (options, ctx) => new CalimaticInstance(options, ctx),
};

export { CalimaticInstance, CALIMATIC_MAX_BATCH } from "./instance.js";
export { CalimaticApi, DEFAULT_IMPORTS_PER_SECOND } from "./client.js";
export { CalimaticTargetOptionsSchema } from "./options.js";
export type { CalimaticTargetOptions, CalimaticTargetOptionsInput } from "./options.js";
export { MIGRATED_BY, mapImportResponse, toImportItem, toOutcome, toView } from "./map.js";
