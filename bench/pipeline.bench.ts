/**
 * npm run bench: 1M (and 3M) synthetic users from SQLite through source → mapping → validation →
 * ledger → file target, against a raw `SELECT *` scan of the same table measured in the same run.
 * Goals (docs/benchmarks.md): pipeline ≥ 50% of the raw scan; peak RSS < 300 MB and flat in N.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { generateSynthetic } from "./synthetic.js";

interface Result {
  mode: string;
  rows: number;
  seconds: number;
  rate: number;
  peakRssMb: number;
}

const sizes = (process.env.BENCH_SIZES ?? "1000000,3000000").split(",").map(Number);
const child = path.resolve("bench/pipeline-child.mjs");

function measure(mode: string, dir: string): Result {
  return JSON.parse(execFileSync(process.execPath, [child, mode, dir], { encoding: "utf8", maxBuffer: 1 << 20 })) as Result;
}

const fmt = (n: number): string => Math.round(n).toLocaleString("en-US");
console.log("size        raw scan/s   pipeline/s   ratio   scan RSS MB   pipeline RSS MB");
for (const n of sizes) {
  const dir = mkdtempSync(path.join(tmpdir(), "am-bench-"));
  try {
    generateSynthetic(path.join(dir, "legacy.db"), n);
    const scan = measure("scan", dir);
    const pipe = measure("pipeline", dir);
    if (pipe.rows !== n) throw new Error(`pipeline processed ${pipe.rows} of ${n} rows`);
    console.log(
      `${fmt(n).padEnd(10)}  ${fmt(scan.rate).padStart(10)}   ${fmt(pipe.rate).padStart(10)}   ${(pipe.rate / scan.rate).toFixed(2).padStart(5)}   ${fmt(scan.peakRssMb).padStart(11)}   ${fmt(pipe.peakRssMb).padStart(15)}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
