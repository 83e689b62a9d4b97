import { describe, expect, it } from "vitest";
import { hashFormats, identify, packHash, verifyPassword } from "../../src/hashes/index.js";

const KC_SECRET =
  '{"value":"/bVkHA4G/VOskjaCgNYyTz1BhgD+9X8bxCNEPGGpnDCJbWHDXIW0G8IlSBhDdJsXTjrXt/7yQguBwJ3sxSmSKA==","salt":"lZtleWv1DeEcNIr8MTzdeg==","additionalParameters":{}}';

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (e) {
    return (e as { code?: string }).code;
  }
}

describe("hash engine API", () => {
  it("identifies bcrypt with confidence 1", () => {
    expect(identify("$2b$10$VvC10Nhzh8oCRE6A9ywlS.iV7fjqU4LFPnENq2jGdtLyn.SK0Ybju")[0]).toEqual({ format: "bcrypt", confidence: 1 });
    expect(identify("not a hash at all")).toEqual([]);
    expect(identify("")).toEqual([]);
  });

  it("recognises packed envelopes", () => {
    const packed = packHash({ format: "pbkdf2-keycloak-json", value: KC_SECRET, params: { credentialData: "{}" } });
    expect(identify(packed)).toEqual([{ format: "pbkdf2-keycloak-json", confidence: 1 }]);
  });

  it("lists supported formats", () => {
    expect(hashFormats).toContain("bcrypt");
    expect(hashFormats).toContain("pbkdf2-keycloak-json");
  });

  it("unknown format -> HASH_UNSUPPORTED_FORMAT, malformed -> HASH_PARSE_ERROR, no secrets in messages", async () => {
    expect(await codeOf(verifyPassword("pw", { format: "nope", value: "x" }))).toBe("HASH_UNSUPPORTED_FORMAT");
    const secret = "$2b$10$TOOSHORTsecretvalue";
    try {
      await verifyPassword("hunter2", { format: "bcrypt", value: secret });
      expect.unreachable();
    } catch (e) {
      expect((e as { code: string }).code).toBe("HASH_PARSE_ERROR");
      const text = JSON.stringify(e) + String((e as Error).message);
      expect(text).not.toContain("TOOSHORT");
      expect(text).not.toContain("hunter2");
    }
  });

  it("bcrypt cost ceiling", async () => {
    expect(await codeOf(verifyPassword("x", { format: "bcrypt", value: "$2b$31$" + "a".repeat(53) }))).toBe("HASH_PARAMS_TOO_EXPENSIVE");
  });

  it("Keycloak layout (b): single combined JSON column, no params", async () => {
    const combined = JSON.stringify({
      secretData: KC_SECRET,
      credentialData: '{"hashIterations":27500,"algorithm":"pbkdf2-sha256","additionalParameters":{}}',
    });
    expect(identify(combined)[0]).toEqual({ format: "pbkdf2-keycloak-json", confidence: 1 });
    expect(await verifyPassword("test", { format: "pbkdf2-keycloak-json", value: combined })).toBe(true);
    expect(await verifyPassword("test2", { format: "pbkdf2-keycloak-json", value: combined })).toBe(false);
    expect(await verifyPassword("test", { format: "auto", value: combined })).toBe(true);
    // layout (a) without credentialData is a parse error naming the missing param
    expect(await codeOf(verifyPassword("test", { format: "pbkdf2-keycloak-json", value: KC_SECRET }))).toBe("HASH_PARSE_ERROR");
    // packed layout (a)
    const packed = packHash({
      format: "pbkdf2-keycloak-json",
      value: KC_SECRET,
      params: { credentialData: '{"hashIterations":27500,"algorithm":"pbkdf2-sha256"}' },
    });
    expect(await verifyPassword("test", { format: "pbkdf2-keycloak-json", value: packed })).toBe(true);
  });
});
