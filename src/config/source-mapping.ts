import { BUILT_IN_MAPPING_SOURCES } from "../sources/types.js";
import { withLdapOrgs } from "../sources/ldap/defaults.js";

/** What `mapping.fields` holds when a source maps users itself; never read for such sources. */
const SOURCE_FIELDS = { externalId: "externalId", email: "email" } as const;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Sources that know their export format (Firebase, Keycloak, …) build users themselves, so their
 * config needs no `mapping` at all. Writing `mapping.fields` anyway switches the source to raw
 * rows (`source.raw: true`) and the fields apply as for any other source: an explicit mapping is
 * never silently ignored. `mapping.metadata` / `mapping.transform` work in both modes.
 */
export function withSourceMapping(raw: unknown): unknown {
  if (!isObj(raw) || !isObj(raw.source) || typeof raw.source.type !== "string") return raw;
  if (!BUILT_IN_MAPPING_SOURCES.has(raw.source.type)) return raw;
  const mapping = isObj(raw.mapping) ? raw.mapping : raw.mapping === undefined ? {} : undefined;
  if (!mapping) return raw; // not an object: let the schema report it
  if (mapping.fields !== undefined) {
    return raw.source.raw === undefined ? { ...raw, source: { ...raw.source, raw: true } } : raw;
  }
  if (raw.source.raw === true) return raw; // raw rows without fields: the schema reports mapping.fields as required
  return withLdapOrgs({ ...raw, mapping: { ...mapping, fields: SOURCE_FIELDS } });
}
