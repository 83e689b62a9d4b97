/**
 * npm run bench: 1M (and 3M) synthetic users from SQLite through source → mapping → validation →
 * ledger → file target, against a raw `SELECT *` scan of the same table measured in the same run.
 * Goals (docs/benchmarks.md): pipeline ≥ 50% of the raw scan; peak RSS < 300 MB and flat in N.
 * BENCH_SIZES=1000000,3000000 (the default) picks the sizes; BENCH_EMAILS=shuffled gives emails an
 * order unrelated to the ids, as real data has (bench/synthetic.ts).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { generateSynthetic, type EmailOrder } from "./synthetic.js";

interface Result {
  mode: string;
  rows: number;
  seconds: number;
  rate: number;
  peakRssMb: number;
  /** Largest size the ledger's WAL file reached during the run (sampled every 250 ms). */
  walPeakMb: number;
}

const sizes = (process.env.BENCH_SIZES ?? "1000000,3000000").split(",").map(Number);
// BENCH_EMAILS=shuffled: emails in an order unrelated to the ids, as in real data (bench/synthetic.ts).
const emails = (process.env.BENCH_EMAILS ?? "ordered") as EmailOrder;
if (emails !== "ordered" && emails !== "shuffled") throw new Error(`BENCH_EMAILS must be "ordered" or "shuffled", not "${String(emails)}"`);
const child = path.resolve("bench/pipeline-child.mjs");

function measure(mode: string, dir: string): Result {
  return JSON.parse(execFileSync(process.execPath, [child, mode, dir], { encoding: "utf8", maxBuffer: 1 << 20 })) as Result;
}

const fmt = (n: number): string => Math.round(n).toLocaleString("en-US");
console.log(`emails ${emails} (BENCH_EMAILS)`);
console.log("size        raw scan/s   pipeline/s   ratio   scan RSS MB   pipeline RSS MB   ledger WAL peak MB");
for (const n of sizes) {
  const dir = mkdtempSync(path.join(tmpdir(), "am-bench-"));
  try {
    generateSynthetic(path.join(dir, "legacy.db"), n, emails);
    const scan = measure("scan", dir);
    const pipe = measure("pipeline", dir);
    if (pipe.rows !== n) throw new Error(`pipeline processed ${pipe.rows} of ${n} rows`);
    console.log(
      `${fmt(n).padEnd(10)}  ${fmt(scan.rate).padStart(10)}   ${fmt(pipe.rate).padStart(10)}   ${(pipe.rate / scan.rate).toFixed(2).padStart(5)}   ${fmt(scan.peakRssMb).padStart(11)}   ${fmt(pipe.peakRssMb).padStart(15)}   ${fmt(pipe.walPeakMb).padStart(18)}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
