/**
 * Hash engine benchmark: verifications/s per format — engine single thread (inline), engine
 * worker pool (size = cores), and the bare npm library in a loop on one core. One run.
 * Usage: npm run bench:hashes   (AUTHMIGRATE_BENCH_SECONDS=2 by default per measurement)
 */
import { verifySync as bcryptVerify } from "@node-rs/bcrypt";
import { verifySync as argon2Verify } from "@node-rs/argon2";
import { pbkdf2Sync, scryptSync } from "node:crypto";
import { availableParallelism, cpus } from "node:os";
import { VerifyPool, verifyInline } from "../src/hashes/index.js";

const SECONDS = Number(process.env.AUTHMIGRATE_BENCH_SECONDS ?? 3);

interface Case {
  name: string;
  format: string;
  value: string;
  params?: Record<string, unknown>;
  password: string;
  bare: () => unknown;
}

const CASES: Case[] = [
  {
    name: "bcrypt cost 10",
    format: "bcrypt",
    value: "$2b$10$VvC10Nhzh8oCRE6A9ywlS.iV7fjqU4LFPnENq2jGdtLyn.SK0Ybju",
    password: "correct horse battery staple",
    bare: () => bcryptVerify("correct horse battery staple", "$2b$10$VvC10Nhzh8oCRE6A9ywlS.iV7fjqU4LFPnENq2jGdtLyn.SK0Ybju"),
  },
  {
    name: "argon2id m=19456,t=2,p=1",
    format: "argon2id",
    value: "$argon2id$v=19$m=19456,t=2,p=1$YzJGc2RITmhiSFJ6WVd4MA$C3HFvcUvem61LKXSltL/xutKug9zYH7lDf0PpKaRnmM",
    password: "correct horse battery staple",
    bare: () => argon2Verify("$argon2id$v=19$m=19456,t=2,p=1$YzJGc2RITmhiSFJ6WVd4MA$C3HFvcUvem61LKXSltL/xutKug9zYH7lDf0PpKaRnmM", "correct horse battery staple"),
  },
  {
    name: "scrypt N=2^14,r=8",
    format: "scrypt-phc",
    value: "$scrypt$ln=14,r=8,p=1$HLuG/HRh9DI1WLNN7+YhfQ$cRcGC12rG/YzivYwz8f83QmjqRNV90DCDsSb6rAbCgE",
    password: "correct horse battery staple",
    bare: () => scryptSync("correct horse battery staple", Buffer.from("HLuG/HRh9DI1WLNN7+YhfQ", "base64"), 32, { N: 16384, r: 8, p: 1 }),
  },
  {
    name: "pbkdf2-sha256 Django 260000",
    format: "pbkdf2-sha256-django",
    value: "pbkdf2_sha256$260000$Xk4gHbqP2vRmYt8wLs6nQe$oiFzCBcaAPpsQ3HWEdI+4Sjf7+jl6q8XpjI1KnYBYdA=",
    password: "correct horse battery staple",
    bare: () => pbkdf2Sync("correct horse battery staple", "Xk4gHbqP2vRmYt8wLs6nQe", 260000, 32, "sha256"),
  },
  {
    name: "phpass $P$B (2^13 md5)",
    format: "phpass-wordpress",
    value: "$P$B9wyjxuU4yrfjnnHNGSzH9ti9CC0Os1",
    password: "password",
    bare: () => undefined,
  },
];

async function rate(fn: () => Promise<unknown>, concurrency: number): Promise<number> {
  await Promise.all(Array.from({ length: concurrency }, fn)); // warm-up (starts every pool worker)
  const end = performance.now() + SECONDS * 1000;
  let n = 0;
  const lane = async () => {
    while (performance.now() < end) {
      await fn();
      n++;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, lane));
  return (n * 1000) / (performance.now() - t0);
}

async function main(): Promise<void> {
  const cores = availableParallelism();
  const pool = new VerifyPool(cores);
  console.log(`hash engine bench: ${cores} cores (${cpus()[0]?.model ?? "?"}), Node ${process.version}, ${SECONDS}s per measurement`);
  console.log("format | bare lib 1 core /s | engine single thread /s | engine pool /s | pool ÷ single | single ÷ bare");
  for (const c of CASES) {
    const params = c.params ?? {};
    const ok = await verifyInline(c.password, c.format, c.value, params);
    if (!ok) throw new Error(`bench vector does not verify: ${c.name}`);
    const bareFn = c.name.startsWith("phpass") ? () => verifyInline(c.password, c.format, c.value, params) : async () => c.bare();
    const bare = await rate(bareFn, 1);
    const single = await rate(() => verifyInline(c.password, c.format, c.value, params), 1);
    const pooled = await rate(() => pool.verify(c.format, c.value, params, c.password), cores * 2);
    console.log(
      `${c.name} | ${bare.toFixed(1)} | ${single.toFixed(1)} | ${pooled.toFixed(1)} | ${(pooled / single).toFixed(2)}× | ${((100 * single) / bare).toFixed(0)}%`,
    );
  }
  await pool.close();
}

await main();
