/**
 * npm run bench:sources — provider exports streamed at scale. Generates a 1M-user Firebase
 * `auth:export` JSON and a 1M-user Auth0 bulk-export NDJSON (streamed to disk), then, each in its
 * own process: a raw parse of the same file (the baseline, measured in the same run) and the
 * source + mapping layer producing validated canonical users.
 * Goal (docs/benchmarks.md): peak RSS < 300 MB for the source run, flat in N.
 * BENCH_USERS=200000 for a quicker run.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { writeAuth0Ndjson, writeFirebaseJson } from "./sources-generate.js";

interface Result {
  mode: string;
  rows: number;
  users: number;
  seconds: number;
  rate: number;
  peakRssMb: number;
}

const n = Number(process.env.BENCH_USERS ?? 1_000_000);
const loader = pathToFileURL(path.resolve("node_modules/tsx/dist/loader.mjs")).href;
const child = path.resolve("bench/sources-child.ts");
const measure = (mode: string, file: string): Result =>
  JSON.parse(execFileSync(process.execPath, ["--import", loader, child, mode, file], { encoding: "utf8", maxBuffer: 1 << 20 })) as Result;
const fmt = (x: number): string => Math.round(x).toLocaleString("en-US");

const dir = mkdtempSync(path.join(tmpdir(), "am-bench-sources-"));
try {
  const cases = [
    { name: "Firebase auth:export JSON", file: path.join(dir, "firebase.json"), write: writeFirebaseJson, baseline: "baseline-json", source: "firebase" },
    { name: "Auth0 bulk export NDJSON", file: path.join(dir, "auth0.ndjson"), write: writeAuth0Ndjson, baseline: "baseline-ndjson", source: "auth0" },
  ];
  console.log(`${fmt(n)} users per file\n`);
  console.log("export                      file MB   raw parse/s   source+mapping/s   ratio   raw RSS MB   source RSS MB");
  for (const c of cases) {
    await c.write(c.file, n);
    const mb = statSync(c.file).size / 2 ** 20;
    const base = measure(c.baseline, c.file);
    const src = measure(c.source, c.file);
    if (src.users !== n || base.rows !== n) throw new Error(`${c.name}: source mapped ${src.users}, baseline parsed ${base.rows}, of ${n}`);
    console.log(
      `${c.name.padEnd(26)}  ${fmt(mb).padStart(7)}   ${fmt(base.rate).padStart(11)}   ${fmt(src.rate).padStart(16)}   ${(src.rate / base.rate).toFixed(2).padStart(5)}   ${fmt(base.peakRssMb).padStart(10)}   ${fmt(src.peakRssMb).padStart(13)}${src.peakRssMb < 300 ? "" : "   (over the 300 MB goal)"}`,
    );
    rmSync(c.file);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
