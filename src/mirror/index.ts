/**
 * `authmigrate/mirror`: keep the target in sync with the legacy system during the migration
 * (seed 003 step 1, seed 002 §4.1). See docs/sync.md, section "Mirror".
 */
export { openMirror, Mirror } from "./open.js";
export type { OpenMirrorOptions, NewPassword } from "./open.js";
export { DualWrite, DUAL_WRITE_BCRYPT_COST } from "./dual-write.js";
export { mirrorUpsert, mirrorDelete, mirrorEmail, mirrorPassword, mirrorSignUp, applyChange, profilePatch, MIRROR_RUN_ID } from "./mirror.js";
export { desiredIdentifiers, diffIdentifiers, identifierKey } from "./identifiers.js";
export type { IdentifierDiff } from "./identifiers.js";
export { resolveUser } from "./resolve.js";
export type { ResolvedUser } from "./resolve.js";
export { Outbox, openOutboxStore, backoffMs } from "./outbox.js";
export type { OutboxOptions, SubmitResult, DrainStats } from "./outbox.js";
export { SqliteOutboxStore } from "./outbox-sqlite.js";
export { PgOutboxStore } from "./outbox-pg.js";
export type { PgOutboxOptions } from "./outbox-pg.js";
export type { OutboxStore, OutboxEntry, OutboxDepth, DeadLetter } from "./outbox-types.js";
export type * from "./types.js";
