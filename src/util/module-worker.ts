import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { Worker, type WorkerOptions } from "node:worker_threads";

/**
 * Starts the worker-thread module `name` (without extension) that sits beside `here` (the
 * caller's import.meta.url): `name.js` when running built code; from TypeScript sources (vitest,
 * tsx) a tiny bootstrap registers tsx's loader inside the thread first, then imports `name.ts`
 * (`execArgv: ["--import", "tsx"]` does not reach worker entry points on Node 20).
 */
export function startModuleWorker(here: string, name: string, options: WorkerOptions = {}): Worker {
  if (!here.endsWith(".ts")) return new Worker(new URL(`./${name}.js`, here), options);
  // tsx's ESM API (the import-condition file of "tsx/esm/api"); register() installs the TS hooks.
  const tsxDir = dirname(createRequire(here).resolve("tsx/package.json"));
  const tsxApi = pathToFileURL(join(tsxDir, "dist", "esm", "api", "index.mjs")).href;
  const target = new URL(`./${name}.ts`, here).href;
  const code = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(target)}); });`;
  return new Worker(code, { ...options, eval: true });
}
