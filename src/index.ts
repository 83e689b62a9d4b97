/**
 * authmigrate as a library: every CLI command is one of these functions first.
 * Provider-specific pieces live on subpaths (`authmigrate/better-auth`, `authmigrate/hashes`).
 */
export * from "./model/index.js";
export { AuthmigrateError, isAuthmigrateError } from "./errors.js";
export { defineConfig, loadConfig, parseConfig, skip, type Config, type ConfigInput, type PresetConfigInput, type Skip, type TransformFn } from "./config/index.js";
export { createSource, type Source, type SourceRecord, type SourceConfig } from "./sources/index.js";
export { mapUser, mapOrg, type MappedRecord, type Issue, type IssueCode } from "./mapping/index.js";
export { auditUsers, type AuditReport } from "./audit/compute.js";
export { auditSql } from "./audit/sql.js";
export { runMigration, type RunOptions, type RunReport } from "./engine/run.js";
export { verifyMigration, type VerifyReport } from "./engine/verify.js";
export { rollbackMigration, type RollbackReport } from "./engine/rollback.js";
export { migrationStatus } from "./engine/status.js";
export { reconcile, type ReconcileOptions } from "./reconcile/reconcile.js";
export { lastReconcileSummary, type StoredReconcile } from "./reconcile/summary-store.js";
export type { ReconcileReport, DriftKind, DriftItem } from "./reconcile/types.js";
export { openUserSource, readMappedUsers } from "./engine/read.js";
export type { Decision, DecisionKind } from "./engine/decision.js";
export type { Progress } from "./engine/progress.js";
export { openLedger, targetKey, type Ledger, type LedgerUser, type LedgerStatus, type LedgerSummary } from "./ledger/index.js";
export { targetIds, getTarget, type Target, type TargetInstance, type TargetCapabilities, type UserWrite, type UserOutcome } from "./targets/index.js";
export { metricsRegistry, webhookDeliveries, setOutboxDepthProvider } from "./util/metrics.js";
