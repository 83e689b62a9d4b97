import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config/load.js";

const source = { type: "ldap", url: "ldap://127.0.0.1:389", baseDN: "dc=example,dc=org" };
const base = { target: { type: "file", path: "out.ndjson" } };

describe("ldap config defaults", () => {
  it("no mapping and no orgs: users mapped by the source, orgs read from the directory's groups", () => {
    const c = parseConfig({ ...base, source });
    expect(c.orgs).toMatchObject({ source: { type: "ldap", entries: "groups", baseDN: "dc=example,dc=org" }, fields: { externalId: "cn", name: "cn" } });
  });

  it("an explicit orgs block, groups as roles/metadata, or a hand-written mapping: no orgs are added", () => {
    const orgs = { source: { type: "sqlite", path: "t.db", table: "Tenants" }, fields: { externalId: "Id", name: "Name" } };
    expect(parseConfig({ ...base, source, orgs }).orgs?.source.type).toBe("sqlite");
    expect(parseConfig({ ...base, source: { ...source, groups: { as: "roles", org: "acme" } } }).orgs).toBeUndefined();
    expect(parseConfig({ ...base, source: { ...source, groups: { enabled: false } } }).orgs).toBeUndefined();
    const raw = parseConfig({ ...base, source, mapping: { fields: { externalId: "uid", email: "mail" } } });
    expect(raw.orgs).toBeUndefined();
    expect(raw.source).toMatchObject({ type: "ldap", raw: true });
  });

  it("a group name attribute other than cn is used for both id and name", () => {
    const c = parseConfig({ ...base, source: { ...source, groups: { nameAttribute: "ou" } } });
    expect(c.orgs?.fields).toEqual({ externalId: "ou", name: "ou" });
  });
});
