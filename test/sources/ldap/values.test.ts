import { describe, expect, it } from "vitest";
import type { Issue } from "../../../src/mapping/issues.js";
import { ldapCredential, isDisabled } from "../../../src/sources/ldap/map.js";
import { LdapSourceConfigSchema } from "../../../src/sources/ldap/config.js";
import { binaryId, generalizedTime, isUnder, normalizeDn, text } from "../../../src/sources/ldap/values.js";

describe("ldap value helpers", () => {
  it("GeneralizedTime with and without fractions and offsets", () => {
    expect(generalizedTime("20240131235959Z")).toEqual(new Date("2024-01-31T23:59:59Z"));
    expect(generalizedTime("20240131235959.5Z")).toEqual(new Date("2024-01-31T23:59:59.500Z"));
    expect(generalizedTime("202401312359+0130")).toEqual(new Date("2024-01-31T22:29:00Z"));
    expect(generalizedTime("yesterday")).toBeUndefined();
    // AD FILETIME (lastLogonTimestamp): 100 ns ticks since 1601-01-01
    expect(generalizedTime("132223104000000000")).toEqual(new Date("2020-01-01T00:00:00Z"));
    expect(generalizedTime("000000000000000000")).toBeUndefined();
    expect(generalizedTime("0")).toBeUndefined();
    expect(generalizedTime("9223372036854775807")).toBeUndefined();
  });

  it("objectGUID bytes → the GUID string AD shows; other binary ids → hex", () => {
    const guid = Buffer.from("e5ec1bc4f81bd64c8f83a6b0a3b2c1d0", "hex");
    expect(binaryId(guid)).toBe("c41bece5-1bf8-4cd6-8f83-a6b0a3b2c1d0");
    expect(binaryId(Buffer.from([1, 2, 255]))).toBe("0102ff");
  });

  it("DNs compare case- and space-insensitively", () => {
    expect(normalizeDn("UID=Alice, OU=People ,dc=Example")).toBe("uid=alice,ou=people,dc=example");
    expect(isUnder("uid=a,ou=Disabled,dc=x", "ou=disabled, dc=x")).toBe(true);
    expect(isUnder("uid=a,ou=notdisabled,dc=x", "ou=disabled,dc=x")).toBe(false);
  });

  it("bytes become text only when they are clean UTF-8", () => {
    expect(text(Buffer.from("{SSHA}abc", "utf8"))).toBe("{SSHA}abc");
    expect(text(Buffer.from([0x7b, 0xff, 0xfe]))).toBeUndefined();
    expect(text(Buffer.from([0x61, 0x00, 0x62]))).toBeUndefined();
  });
});

describe("userPassword → credential", () => {
  const SSHA = "{SSHA}IK6yOI+dREjS0KG9YztVVhKLYv2smwXy";
  it("first recognised {SCHEME} wins; binary values are decoded; unknown schemes warn without the value", () => {
    const issues: Issue[] = [];
    expect(ldapCredential([Buffer.from("{NOPE}zzz"), Buffer.from(SSHA)], "userPassword", issues)).toEqual({ kind: "hash", format: "ldap-ssha", value: SSHA, params: {} });
    expect(issues).toEqual([]);
    expect(ldapCredential([Buffer.from("{NOPE}zzz")], "userPassword", issues)).toEqual({ kind: "none" });
    expect(issues[0]).toMatchObject({ code: "unknown_hash_format", severity: "warning" });
    expect(JSON.stringify(issues)).not.toContain("zzz");
  });

  it("{ARGON2} (OpenLDAP's argon2 module) is its PHC string", () => {
    const phc = "$argon2i$v=19$m=4096,t=3,p=1$65vjsZB84bBFSnMahHXFrw$SDXMb9aAARTR6UZINrI/M64LrLuVblRSE7b/OT0g4xA";
    expect(ldapCredential([`{ARGON2}${phc}`], "userPassword", [])).toEqual({ kind: "hash", format: "argon2i", value: phc, params: {} });
  });

  it("a cleartext value is not treated as a hash", () => {
    const issues: Issue[] = [];
    expect(ldapCredential(["hunter2"], "userPassword", issues)).toEqual({ kind: "none" });
    expect(issues[0]!.message).toContain("cleartext");
    expect(issues[0]!.message).not.toContain("hunter2");
  });
});

describe("disabled entries", () => {
  const d = (o: object) => LdapSourceConfigSchema.parse({ type: "ldap", url: "ldap://x", baseDN: "dc=x", disabled: o }).disabled;
  it("attribute present, attribute with listed values, or under a disabled base", () => {
    expect(isDisabled({ dn: "uid=a,dc=x", pwdAccountLockedTime: "000001010000Z" }, "uid=a,dc=x", d({}))).toBe(true);
    expect(isDisabled({ dn: "uid=a,dc=x" }, "uid=a,dc=x", d({}))).toBe(false);
    expect(isDisabled({ dn: "uid=a,dc=x", nsAccountLock: "TRUE" }, "uid=a,dc=x", d({ attribute: "nsaccountlock", values: ["true"] }))).toBe(true);
    expect(isDisabled({ dn: "uid=a,dc=x", nsAccountLock: "false" }, "uid=a,dc=x", d({ attribute: "nsAccountLock", values: ["true"] }))).toBe(false);
    expect(isDisabled({ dn: "uid=a,ou=gone,dc=x" }, "uid=a,ou=gone,dc=x", d({ bases: ["ou=Gone,dc=x"] }))).toBe(true);
  });
});
