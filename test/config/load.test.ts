import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { interpolateEnv, loadConfig, parseConfig } from "../../src/config/index.js";
import { isAuthmigrateError } from "../../src/errors.js";
import { legacyConfig, tempDir } from "../helpers.js";

async function loadError(dir: string, file: string, content: string): Promise<{ code: string; message: string; hint?: string }> {
  writeFileSync(path.join(dir, file), content);
  try {
    await loadConfig(undefined, dir);
  } catch (e) {
    if (isAuthmigrateError(e)) return { code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}) };
    throw e;
  }
  throw new Error("expected loadConfig to fail");
}

describe("config loading", () => {
  it("loads .ts (defineConfig), .json and .yaml with the same result", async () => {
    const body = legacyConfig();
    const ts = tempDir();
    writeFileSync(
      path.join(ts, "authmigrate.config.ts"),
      `import { defineConfig } from "${path.resolve("src/config/index.ts")}";\nexport default defineConfig(${JSON.stringify(body)});\n`,
    );
    const json = tempDir();
    writeFileSync(path.join(json, "authmigrate.config.json"), JSON.stringify(body));
    const yaml = tempDir();
    const { stringify } = await import("yaml");
    writeFileSync(path.join(yaml, "authmigrate.config.yaml"), stringify(body));
    const a = await loadConfig(undefined, ts);
    const b = await loadConfig(undefined, json);
    const c = await loadConfig(undefined, yaml);
    expect(a.config).toEqual(b.config);
    expect(c.config).toEqual(b.config);
    expect(a.cwd).toBe(ts);
    expect(b.config.validation.duplicates.keep).toBe("first");
  });

  it("names the path and the fix when the email mapping is missing", async () => {
    const cfg = legacyConfig();
    delete (cfg.mapping.fields as Record<string, unknown>).email;
    const err = await loadError(tempDir(), "authmigrate.config.json", JSON.stringify(cfg));
    expect(err.code).toBe("CONFIG_INVALID");
    expect(err.message).toBe('mapping.fields.email: required — map it to a source column, e.g. "Email"');
  });

  it("rejects unknown keys and wrong enum values with their path", () => {
    const bad = { ...legacyConfig(), validation: { duplicates: { keep: "newest" } } };
    expect(() => parseConfig(bad)).toThrowError(/validation\.duplicates\.keep/);
    expect(() => parseConfig({ ...legacyConfig(), sourse: {} })).toThrowError(/sourse/);
  });

  it("says how to start when there is no config", async () => {
    await expect(loadConfig(undefined, tempDir())).rejects.toMatchObject({ code: "CONFIG_NOT_FOUND", hint: expect.stringContaining("authmigrate init") });
  });

  it("reports a syntax error in a config file as one line", async () => {
    const err = await loadError(tempDir(), "authmigrate.config.json", "{ not json");
    expect(err.code).toBe("CONFIG_UNREADABLE");
    expect(err.message.split("\n")).toHaveLength(1);
  });

  it("interpolates ${ENV} and never echoes the value in errors", () => {
    const out = interpolateEnv({ a: { url: "postgres://u:${PGPASS}@h/db" }, b: ["${MISSING:-fallback}"] }, { PGPASS: "s3cret" });
    expect(out).toEqual({ a: { url: "postgres://u:s3cret@h/db" }, b: ["fallback"] });
    expect(() => interpolateEnv({ target: { secret: "${NOPE}" } }, {})).toThrowError("target.secret: environment variable NOPE is not set");
  });
});
