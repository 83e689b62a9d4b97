import type { Target } from "../types.js";
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
    // The seed waits 2 s between import batches; the instance spaces imports by `importsPerSecond` (default 0.5).
    rateLimit: { requestsPerSecond: 0.5, burst: 1 },
  },
  options: CalimaticTargetOptionsSchema,
  create: (options, ctx) => new CalimaticInstance(options, ctx),
};

export { CalimaticInstance, CALIMATIC_MAX_BATCH } from "./instance.js";
export { CalimaticApi, IntervalLimiter } from "./client.js";
export { CalimaticTargetOptionsSchema } from "./options.js";
export type { CalimaticTargetOptions, CalimaticTargetOptionsInput } from "./options.js";
export { MIGRATED_BY, mapImportResponse, toImportItem, toOutcome, toView } from "./map.js";
