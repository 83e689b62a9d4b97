import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

/**
 * A CommonJS driver loaded on first use instead of at import time. Every command loads the source
 * and limiter registries, and the SQL Server driver alone (tedious, with @azure/identity) costs
 * ~0.2 s of start-up: users of the SQLite default should not pay for drivers they never open.
 * Synchronous, so constructors and factories stay synchronous.
 */
export function lazyRequire<T>(id: string): () => T {
  let mod: T | undefined;
  return () => (mod ??= require(id) as T);
}
