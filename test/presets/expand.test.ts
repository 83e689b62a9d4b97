import { readFileSync } from "node:fs";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import { mapUser } from "../../src/mapping/map-user.js";
import { PRESETS } from "../../src/presets/index.js";
import pg from "pg";
import { freshPgDatabase, tempDir } from "../helpers.js";
import { cli } from "./harness.js";

const base = { source: { type: "postgres", url: "postgres://x@127.0.0.1/db" }, target: { type: "file", path: "out.ndjson" } };

describe("preset: in the config", () => {
  it("fills query, mapping and roles; explicit mapping keys override key by key", () => {
    const c = parseConfig({ ...base, preset: "django", mapping: { fields: { email: "username" }, roles: { map: { staff: "support" } } } });
    expect(c.source).toMatchObject({ type: "postgres", orderBy: ["id"] });
    expect((c.source as { query: string }).query).toContain('FROM "auth_user" u');
    expect(c.mapping.fields).toMatchObject({ externalId: "id", email: "username", password: "am_password", active: "is_active" });
    expect(c.mapping.roles).toEqual({ map: { superuser: "admin", staff: "support" }, default: "member" });
    expect(typeof c.mapping.transform).toBe("function");
  });

  it("the preset's transform uses the merged role map, then the config's own transform runs", async () => {
    const c = parseConfig({
      ...base,
      preset: "django",
      mapping: { roles: { map: { editors: "content_editor" } }, transform: (_row: unknown, u: { metadata: Record<string, unknown> }) => ({ ...u, metadata: { ...u.metadata, mine: true } }) },
    });
    const row = { id: 7, email: "a@b.co", username: "a", is_active: true, is_superuser: false, is_staff: true, am_groups: '["editors","Ops"]', am_password: null };
    const m = await mapUser({ row, location: "auth_user id=7" }, { mapping: c.mapping, validation: c.validation, hashes: c.hashes });
    expect(m.user!.metadata).toMatchObject({ role: "staff", roles: ["staff", "content_editor", "Ops"], legacyRoles: ["staff", "editors", "Ops"], mine: true });
  });

  it("a config that names its own table or query keeps it", () => {
    const c = parseConfig({ ...base, source: { ...base.source, table: "my_users", orderBy: ["pk"] }, preset: "laravel" });
    expect(c.source).toMatchObject({ table: "my_users", orderBy: ["pk"] });
    expect((c.source as { query?: string }).query).toBeUndefined();
  });

  it("quotes identifiers for the source's engine", () => {
    const q = (type: string) => (parseConfig({ ...base, source: { type, ...(type === "sqlite" ? { path: "x.db" } : { url: "mysql://x@h/d" }) }, preset: "aspnet-identity" }).source as { query: string }).query;
    expect(q("mysql")).toContain("FROM `AspNetUsers` u");
    expect(q("mysql")).toContain("JSON_ARRAYAGG");
    expect(q("sqlite")).toContain('FROM "AspNetUsers" u');
    expect(q("sqlite")).toContain("json_group_array");
  });

  it("bad presets and options are configuration errors naming the key", () => {
    expect(() => parseConfig({ ...base, preset: "drupal" })).toThrow(/unknown preset "drupal"/);
    expect(() => parseConfig({ ...base, preset: { name: "wordpress", tablePrefix: "wp-; DROP" } })).toThrow(/preset\.tablePrefix/);
    expect(() => parseConfig({ ...base, preset: { name: "django", userTabel: "x" } })).toThrow(/preset/);
    expect(() => parseConfig({ ...base, source: { type: "csv", path: "u.csv" }, preset: "django" })).toThrow(/reads a database/);
  });

  it("every preset expands on every SQL engine into a valid config", () => {
    for (const p of PRESETS) {
      for (const source of [{ type: "sqlite", path: "x.db" }, { type: "postgres", url: "postgres://x@h/d" }, { type: "mysql", url: "mysql://x@h/d" }]) {
        expect(() => parseConfig({ ...base, source, preset: p.name }), `${p.name} on ${source.type}`).not.toThrow();
      }
    }
  });
});

describe("init --preset", () => {
  it("--preset list (and --json) names every preset", () => {
    const dir = tempDir();
    const r = cli(["init", "--preset", "list", "--json"], dir);
    expect(r.code).toBe(0);
    const names = (JSON.parse(r.stdout) as { presets: { name: string }[] }).presets.map((p) => p.name);
    expect(names).toEqual(PRESETS.map((p) => p.name));
    expect(cli(["init", "--help"], dir).stdout).toContain("aspnet-identity");
  });

  it("without --source writes placeholders in the format the file name asks for", () => {
    const dir = tempDir();
    expect(cli(["init", "--preset", "wordpress", "-o", "a.yaml"], dir).code).toBe(0);
    const yaml = readFileSync(path.join(dir, "a.yaml"), "utf8");
    expect(yaml).toMatch(/^# .*placeholder/m);
    expect(parseYaml(yaml)).toMatchObject({ preset: "wordpress", source: { type: "mysql", url: expect.stringContaining("${LEGACY_DB_PASSWORD}") } });
    expect(cli(["init", "--preset", "django", "-o", "b.ts"], dir).code).toBe(0);
    expect(readFileSync(path.join(dir, "b.ts"), "utf8")).toContain('export default defineConfig({\n  "preset": "django"');
    expect(cli(["init", "--preset", "django", "-o", "b.ts"], dir).code).toBe(2); // no silent overwrite
  });

  it("never writes the database password into the file", () => {
    const dir = tempDir();
    // Unreachable on purpose: the error must not echo the password either.
    const r = cli(["init", "--preset", "django", "--source", "postgres://app:Sup3rS3cret@127.0.0.1:1/app", "-o", "c.json", "--json"], dir);
    expect(r.code).toBe(2);
    expect(r.stdout + r.stderr).not.toContain("Sup3rS3cret");
    expect(JSON.parse(r.stdout).error.code).toBe("SOURCE_UNREACHABLE");
  });

  it("a password in --source becomes ${LEGACY_DB_PASSWORD} in the file, and the config works with it exported", async () => {
    const fresh = await freshPgDatabase("am_preset_pw");
    try {
      const c = new pg.Client({ connectionString: fresh.url });
      await c.connect();
      await c.query(`CREATE TABLE auth_user (id integer PRIMARY KEY, password varchar(128) NOT NULL, last_login timestamptz, is_superuser boolean NOT NULL, username varchar(150) NOT NULL, first_name varchar(150) NOT NULL, last_name varchar(150) NOT NULL, email varchar(254) NOT NULL, is_staff boolean NOT NULL, is_active boolean NOT NULL, date_joined timestamptz NOT NULL)`);
      await c.query(`INSERT INTO auth_user VALUES (1, 'md5$$0b8ec2fa71c4f0c0f1e8e0b8f7b1e5a7', NULL, false, 'u', 'F', 'L', 'u@example.org', false, true, now())`);
      await c.end();
      const dir = tempDir();
      const withPw = fresh.url.replace("postgres@", "postgres:Sup3rS3cret@"); // trust auth ignores it
      const r = cli(["init", "--preset", "django", "--source", withPw, "-o", "c.json", "--json"], dir);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ users: 1, notes: expect.arrayContaining([expect.stringContaining("LEGACY_DB_PASSWORD")]) });
      const text = readFileSync(path.join(dir, "c.json"), "utf8");
      expect(text).not.toContain("Sup3rS3cret");
      expect(JSON.parse(text).source.url).toBe(fresh.url.replace("postgres@", "postgres:${LEGACY_DB_PASSWORD}@"));
      expect(cli(["audit", "-c", "c.json", "--json"], dir).code).toBe(2); // not exported: says which variable
      expect(cli(["audit", "-c", "c.json", "--json"], dir, { LEGACY_DB_PASSWORD: "Sup3rS3cret" }).code).toBe(0);
    } finally {
      await fresh.drop();
    }
  }, 120_000);
});
