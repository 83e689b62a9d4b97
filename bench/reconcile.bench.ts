/**
 * npm run bench:reconcile: reconcile N synthetic users (SQLite legacy source + file target with
 * 0.5% missing and 1% renamed users) against a baseline of reading both sides once (legacy through
 * the mapping, target through listUsers), each in its own process so peak RSS is its own.
 * Goal (issue 8): peak RSS < 300 MB at 1M users. BENCH_SIZES=100000,1000000 to choose sizes.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { buildSync } from "esbuild";

interface Result {
  mode: string;
  seconds: number;
  peakRssMb: number;
  legacy?: number;
  target?: number;
  counts?: Record<string, number>;
}

const sizes = (process.env.BENCH_SIZES ?? "1000000").split(",").map(Number);
// The child is bundled to plain JS first: under a TS loader, loading the modules alone costs ~120 MB
// of RSS that a user's built CLI never pays. Inside node_modules so its package imports resolve.
const child = path.resolve("node_modules/.cache/authmigrate-bench/reconcile-child.mjs");
mkdirSync(path.dirname(child), { recursive: true });
buildSync({ entryPoints: ["bench/reconcile-child.ts"], bundle: true, platform: "node", format: "esm", packages: "external", outfile: child, logLevel: "warning" });

function measure(mode: string, dir: string, n: number): Result {
  const out = execFileSync(process.execPath, [child, mode, dir, String(n)], { encoding: "utf8", maxBuffer: 1 << 20 });
  return JSON.parse(out.trim().split("\n").pop()!) as Result;
}

const fmt = (n: number): string => Math.round(n).toLocaleString("en-US");
console.log("users       baseline/s   reconcile/s   ratio   baseline RSS MB   reconcile RSS MB   drift found");
for (const n of sizes) {
  const dir = mkdtempSync(path.join(tmpdir(), "am-bench-reconcile-"));
  try {
    measure("prepare", dir, n);
    const base = measure("baseline", dir, n);
    const rec = measure("reconcile", dir, n);
    const drift = Object.entries(rec.counts ?? {}).filter(([, v]) => v).map(([k, v]) => `${k}=${v}`).join(" ");
    console.log(
      `${fmt(n).padEnd(10)}  ${fmt(n / base.seconds).padStart(10)}   ${fmt(n / rec.seconds).padStart(11)}   ${(base.seconds / rec.seconds).toFixed(2).padStart(5)}   ${fmt(base.peakRssMb).padStart(15)}   ${fmt(rec.peakRssMb).padStart(16)}   ${drift}`,
    );
    if (rec.peakRssMb >= 300) console.log(`  peak RSS ${rec.peakRssMb} MB: over the 300 MB goal`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
