/**
 * An application that bundles authmigrate (esbuild, a serverless build) has no dist/hashes/worker.js
 * beside the bundle. Heavy hashes must then be verified inline — not fail every sign-in.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import path from "node:path";
import bcrypt from "bcryptjs";
import { buildSync } from "esbuild";
import { describe, expect, it } from "vitest";
import { tempDir } from "../helpers.js";

describe("hash verification from a bundle", () => {
  it("verifies bcrypt inline when the worker script is not beside the bundle", () => {
    const dir = tempDir();
    const entry = path.join(dir, "entry.ts");
    writeFileSync(
      entry,
      `import { verifyPassword, closePool } from ${JSON.stringify(path.resolve("src/hashes/index.ts"))};
       const [hash] = process.argv.slice(2);
       const ok = await verifyPassword("right-pw", { value: hash });
       const bad = await verifyPassword("wrong-pw", { value: hash });
       await closePool();
       console.log(JSON.stringify({ ok, bad }));`,
    );
    // Inside the project so the bundle's external packages (@node-rs/bcrypt …) resolve.
    const cache = path.resolve("node_modules/.cache/authmigrate-test");
    mkdirSync(cache, { recursive: true });
    const out = path.join(mkdtempSync(path.join(cache, "bundle-")), "app.mjs");
    buildSync({ entryPoints: [entry], bundle: true, platform: "node", format: "esm", packages: "external", outfile: out, logLevel: "error" });
    const hash = bcrypt.hashSync("right-pw", 6);
    const res = JSON.parse(execFileSync(process.execPath, [out, hash], { encoding: "utf8", cwd: process.cwd() })) as { ok: boolean; bad: boolean };
    expect(res).toEqual({ ok: true, bad: false });
  });
});
