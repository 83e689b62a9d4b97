import type { Command } from "commander";
import { readFileSync } from "node:fs";
import { AuthmigrateError } from "../../errors.js";
import {
  TARGET_IDS,
  capabilityMatrix,
  convert,
  getFormat,
  identify,
  scanFormats,
  verifyPassword,
  type StoredHash,
} from "../../hashes/index.js";

/** `authmigrate hash …`: identify, verify, convert and the capability matrix. Never prints passwords. */
export function registerHashCommand(program: Command): void {
  const hash = program.command("hash").description("Identify, verify and convert legacy password hashes");

  hash
    .command("identify")
    .description("List the formats a stored hash value can be (best first)")
    .argument("<value>", "the stored hash string")
    .option("--json", "print JSON")
    .action((value: string, opts: { json?: boolean }) => {
      const candidates = identify(value);
      if (opts.json) out(JSON.stringify({ candidates }));
      else if (candidates.length === 0) out("unknown format");
      else for (const c of candidates) out(`${c.format}\t${c.confidence}`);
      process.exitCode = candidates.length > 0 ? 0 : 1;
    });

  hash
    .command("verify")
    .description("Verify a password (read from stdin) against a hash, or run a vectors file")
    .option("--hash <value>", "the stored hash string")
    .option("--format <id>", "format id (default: identified from the value)")
    .option("--params <json>", "extra inputs as JSON (salt, credentialData, key, username…)")
    .option("--password-stdin", "read the password from standard input")
    .option("--vectors <file>", "verify every vector of a password-hashes.json file")
    .option("--json", "print JSON")
    .action(async (opts: { hash?: string; format?: string; params?: string; passwordStdin?: boolean; vectors?: string; json?: boolean }) => {
      if (opts.vectors) return runVectors(opts.vectors, !!opts.json);
      if (opts.hash === undefined) throw usage("hash verify needs --hash <value> (or --vectors <file>)");
      if (!opts.passwordStdin) throw usage("hash verify reads the password from stdin: pass --password-stdin (passwords never go on the command line)");
      const password = await readPassword();
      const stored = storedFrom(opts.hash, opts.format, opts.params);
      const format = resolveFormatId(stored);
      const valid = await verifyPassword(password, stored);
      if (opts.json) out(JSON.stringify({ format, valid }));
      else out(`${format}: ${valid ? "valid" : "NOT valid"}`);
      process.exitCode = valid ? 0 : 1;
    });

  hash
    .command("convert")
    .description("Convert a stored hash into the password fields a target accepts")
    .requiredOption("--to <target>", `target: ${TARGET_IDS.join(", ")}`)
    .requiredOption("--hash <value>", "the stored hash string")
    .option("--format <id>", "format id (default: identified from the value)")
    .option("--params <json>", "extra inputs as JSON")
    .option("--json", "print JSON")
    .action((opts: { to: string; hash: string; format?: string; params?: string; json?: boolean }) => {
      const stored = storedFrom(opts.hash, opts.format, opts.params);
      const result = convert(stored, opts.to);
      if (opts.json) out(JSON.stringify({ target: opts.to, format: resolveFormatId(stored), ...result }));
      else {
        out(`${opts.to}: ${result.strategy} as ${result.targetFormat}`);
        out(JSON.stringify(result.fields, null, 2));
        if (result.importConfig) out(`import config: ${JSON.stringify(result.importConfig, null, 2)}`);
      }
    });

  registerScan(hash);

  hash
    .command("matrix")
    .description("What each target can do with each hash format (native, re-encode, lazy, reset)")
    .option("--target <t>", "only this target")
    .option("--json", "print JSON")
    .action((opts: { target?: string; json?: boolean }) => {
      if (opts.target && !(TARGET_IDS as readonly string[]).includes(opts.target)) {
        throw usage(`unknown target "${opts.target}"; one of: ${TARGET_IDS.join(", ")}`);
      }
      const targets = opts.target ? [opts.target] : [...TARGET_IDS];
      const rows = capabilityMatrix(targets);
      if (opts.json) {
        out(JSON.stringify({ targets, formats: rows }));
        return;
      }
      if (opts.target) {
        const w = Math.max(...rows.map((r) => r.format.length));
        for (const r of rows) out(`${r.format.padEnd(w)}  ${r.targets[opts.target]!.strategy.padEnd(9)}  ${r.targets[opts.target]!.reason}`);
        return;
      }
      const w = Math.max(...rows.map((r) => r.format.length));
      out(["format".padEnd(w), ...targets.map((t) => t.padEnd(11))].join(" ").trimEnd());
      for (const r of rows) out([r.format.padEnd(w), ...targets.map((t) => r.targets[t]!.strategy.padEnd(11))].join(" ").trimEnd());
    });
}

/** `hash scan`: format counts of the configured source's password column (also part of `audit`). */
function registerScan(hash: Command): void {
  hash
    .command("scan")
    .description("Count the password hash formats in the configured source (values are never printed)")
    .option("-c, --config <file>", "config file (default: authmigrate.config.* in the current directory)")
    .option("--json", "print JSON")
    .action(async (opts: { config?: string; json?: boolean }) => {
      const { loadConfig } = await import("../../config/load.js");
      const { createSource } = await import("../../sources/index.js");
      const { readField } = await import("../../mapping/map-user.js");
      const { config, cwd } = await loadConfig(opts.config);
      const source = createSource(config.source, { cwd });
      const column = config.mapping.fields.password;
      // Provider exports (Firebase, Keycloak…) build the user themselves and know each credential's format.
      if (!column && !source.mapsUsers) throw usage("mapping.fields.password is not set: there is no password column to scan");
      try {
        const values = (async function* () {
          for await (const r of source.read()) {
            if (!column) {
              const c = r.user?.credential;
              yield c && c.kind === "hash" ? { format: c.format } : undefined;
              continue;
            }
            const v = readField(r.row, column);
            yield v === null || v === undefined ? undefined : String(v);
          }
        })();
        const counts = await scanFormats(values);
        if (opts.json) return out(JSON.stringify(counts));
        out(`${counts.total} values in ${column}: ${counts.empty} empty, ${counts.unknown} unrecognised, ${counts.ambiguous} ambiguous`);
        for (const [f, n] of Object.entries(counts.formats).sort((a, b) => b[1] - a[1])) out(`  ${f.padEnd(28)} ${n}`);
        for (const [f, n] of Object.entries(counts.candidates)) out(`  ambiguous ${f.padEnd(18)} ${n}  (set hashes.assume)`);
      } finally {
        await source.close();
      }
    });
}

function out(line: string): void {
  process.stdout.write(line + "\n");
}

function usage(message: string): AuthmigrateError {
  return new AuthmigrateError("USAGE", message, { hint: "run `authmigrate hash --help`" });
}

function parseParams(json: string | undefined): Record<string, unknown> {
  if (json === undefined) return {};
  try {
    const v = JSON.parse(json) as unknown;
    if (v && typeof v === "object" && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw usage("--params must be a JSON object, e.g. '{\"salt\":\"abc\"}'");
}

function storedFrom(value: string, format: string | undefined, params: string | undefined): StoredHash {
  if (format !== undefined && format !== "auto" && !getFormat(format)) {
    throw new AuthmigrateError("HASH_UNSUPPORTED_FORMAT", `Unknown password hash format "${format}"`, {
      hint: "run `authmigrate hash matrix` for the supported ids",
      meta: { format },
    });
  }
  return { format: format ?? "auto", value, params: parseParams(params) };
}

function resolveFormatId(stored: StoredHash): string {
  if (stored.format !== "auto") return getFormat(stored.format)!.id;
  const c = identify(stored.value);
  return c[0]?.format ?? "unknown";
}

async function readPassword(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer));
  // One trailing newline is the terminator of `echo`/here-strings, not part of the password.
  return Buffer.concat(chunks).toString("utf8").replace(/\r?\n$/, "");
}

interface VectorFile {
  vectors?: { format: string; hash: string; params?: Record<string, unknown>; password: string; valid: boolean }[];
}

async function runVectors(file: string, json: boolean): Promise<void> {
  let data: VectorFile;
  try {
    data = JSON.parse(readFileSync(file, "utf8")) as VectorFile;
  } catch {
    throw usage(`cannot read vectors file ${file} as JSON`);
  }
  if (!Array.isArray(data.vectors)) throw usage("vectors file has no \"vectors\" array");
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  const results: { index: number; format: string; expected: boolean; result: "pass" | "fail" | "skip"; reason?: string }[] = [];
  const runs = data.vectors.map(async (v, index) => {
    let got: boolean | undefined;
    let reason: string | undefined;
    try {
      got = await verifyPassword(v.password, { format: v.format, value: v.hash, params: v.params ?? {} });
    } catch (e) {
      reason = (e as { code?: string }).code ?? "ERROR";
    }
    let result: "pass" | "fail" | "skip";
    if (reason === "HASH_UNVERIFIABLE") result = "skip";
    else if (got === undefined) result = !v.valid && reason === "HASH_PARSE_ERROR" ? "pass" : "fail";
    else result = got === v.valid ? "pass" : "fail";
    return { index, format: v.format, expected: v.valid, result, ...(reason ? { reason } : {}) };
  });
  for (const r of await Promise.all(runs)) {
    results.push(r);
    if (r.result === "pass") passed++;
    else if (r.result === "fail") failed++;
    else skipped++;
  }
  if (json) out(JSON.stringify({ passed, failed, skipped, results }));
  else {
    for (const r of results) out(`${r.result.toUpperCase().padEnd(4)} #${r.index} ${r.format} (expected ${r.expected ? "valid" : "invalid"})${r.reason ? ` ${r.reason}` : ""}`);
    out(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
  }
  process.exitCode = failed > 0 ? 1 : 0;
}
