type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * With groups mapped to organizations (the default) and no `orgs` block, the organizations are
 * read from the same directory's groups (`entries: "groups"`, id and name = the group's name
 * attribute), so a plain inetOrgPerson directory needs neither a mapping nor an orgs block. An
 * explicit `orgs` block always wins. Applied to the raw config, before validation.
 */
export function withLdapOrgs(raw: Obj): Obj {
  const src = raw.source;
  if (!isObj(src) || src.type !== "ldap" || raw.orgs !== undefined) return raw;
  if (src.entries === "groups" || src.raw === true) return raw;
  const groups = isObj(src.groups) ? src.groups : {};
  if (groups.enabled === false || (groups.as !== undefined && groups.as !== "orgs")) return raw;
  const name = typeof groups.nameAttribute === "string" ? groups.nameAttribute : "cn";
  return { ...raw, orgs: { source: { ...src, entries: "groups" }, fields: { externalId: name, name } } };
}
