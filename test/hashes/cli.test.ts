import { Command } from "commander";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it, vi } from "vitest";
import { registerHashCommand } from "../../src/cli/commands/hash.js";

const VECTORS = fileURLToPath(new URL("../../../shared/vectors/password-hashes.json", import.meta.url));

async function run(args: string[], stdin?: string): Promise<{ stdout: string; exitCode: number | undefined }> {
  const program = new Command("authmigrate").exitOverride();
  registerHashCommand(program);
  let stdout = "";
  const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  const origStdin = Object.getOwnPropertyDescriptor(process, "stdin")!;
  if (stdin !== undefined) Object.defineProperty(process, "stdin", { value: Readable.from([Buffer.from(stdin)]), configurable: true });
  process.exitCode = undefined;
  try {
    await program.parseAsync(["node", "authmigrate", ...args]);
  } finally {
    spy.mockRestore();
    Object.defineProperty(process, "stdin", origStdin);
  }
  const exitCode = process.exitCode as number | undefined;
  process.exitCode = undefined;
  return { stdout, exitCode };
}

afterEach(() => {
  process.exitCode = undefined;
});

const BCRYPT = "$2b$10$VvC10Nhzh8oCRE6A9ywlS.iV7fjqU4LFPnENq2jGdtLyn.SK0Ybju";

describe("authmigrate hash", () => {
  it("identify --json", async () => {
    const r = await run(["hash", "identify", BCRYPT, "--json"]);
    expect(JSON.parse(r.stdout)).toEqual({ candidates: [{ format: "bcrypt", confidence: 1 }] });
    expect(r.exitCode).toBe(0);
  });

  it("verify --password-stdin --json: valid → 0, invalid → 1, never echoes the password", async () => {
    const ok = await run(["hash", "verify", "--hash", BCRYPT, "--password-stdin", "--json"], "correct horse battery staple\n");
    expect(JSON.parse(ok.stdout)).toEqual({ format: "bcrypt", valid: true });
    expect(ok.exitCode).toBe(0);
    const bad = await run(["hash", "verify", "--hash", BCRYPT, "--format", "bcrypt", "--password-stdin", "--json"], "wrong horse");
    expect(JSON.parse(bad.stdout)).toEqual({ format: "bcrypt", valid: false });
    expect(bad.exitCode).toBe(1);
    expect(bad.stdout).not.toContain("wrong horse");
  });

  it("verify with --params", async () => {
    const r = await run(
      ["hash", "verify", "--hash", "md55fba2ea04fd36069d2574ea71c8efe9d", "--format", "postgres-md5", "--params", '{"username":"postgres"}', "--password-stdin", "--json"],
      "mypass",
    );
    expect(JSON.parse(r.stdout)).toEqual({ format: "postgres-md5", valid: true });
  });

  it("usage and format errors are AuthmigrateErrors (the bin exits 2)", async () => {
    await expect(run(["hash", "verify", "--hash", BCRYPT])).rejects.toMatchObject({ code: "USAGE" });
    await expect(run(["hash", "verify", "--hash", BCRYPT, "--format", "nope", "--password-stdin"], "x")).rejects.toMatchObject({ code: "HASH_UNSUPPORTED_FORMAT" });
    await expect(run(["hash", "verify", "--hash", "$2b$10$short", "--format", "bcrypt", "--password-stdin"], "x")).rejects.toMatchObject({ code: "HASH_PARSE_ERROR" });
  });

  it("verify --vectors runs every vector and ends with 'N passed, M failed'", async () => {
    const r = await run(["hash", "verify", "--vectors", VECTORS]);
    const lines = r.stdout.trim().split("\n");
    expect(lines.at(-1)).toMatch(/^\d+ passed, 0 failed(, \d+ skipped)?$/);
    expect(lines.filter((l) => l.startsWith("PASS")).length).toBeGreaterThan(130);
    expect(r.exitCode).toBe(0);
  });

  it("convert --to and matrix", async () => {
    const c = await run(["hash", "convert", "--to", "kratos", "--hash", "pbkdf2_sha256$390000$seasalt$8xBlGd3jVgvJ+92hWPxi5ww0uuAuAnKgC45eudxro7c=", "--json"]);
    const j = JSON.parse(c.stdout);
    expect(j.strategy).toBe("re-encode");
    expect(j.fields.credentials.password.config.hashed_password).toMatch(/^\$pbkdf2-sha256\$i=390000,l=32\$/);
    await expect(run(["hash", "convert", "--to", "authgear", "--hash", "5f4dcc3b5aa765d61d8327deb882cf99", "--format", "md5-raw"])).rejects.toMatchObject({
      code: "HASH_NOT_CONVERTIBLE",
    });
    const m = await run(["hash", "matrix", "--target", "calimatic", "--json"]);
    const mj = JSON.parse(m.stdout);
    expect(mj.formats.find((r: { format: string }) => r.format === "bcrypt").targets.calimatic.strategy).toBe("native");
    const text = await run(["hash", "matrix"]);
    expect(text.stdout).toContain("better-auth");
  });
});
