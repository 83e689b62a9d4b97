import { AuthmigrateError } from "../errors.js";
import type { TransformFn } from "../config/schema.js";
import { presetSql } from "./sql.js";
import type { PresetDialect, RolesConfig } from "./types.js";
import { getPreset } from "./registry.js";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** `preset: "django"` or `preset: { name: "wordpress", tablePrefix: "wp7_" }` → name + options. */
export function presetRef(ref: unknown): { name: string; options: Obj } {
  if (typeof ref === "string") return { name: ref, options: {} };
  if (isObj(ref) && typeof ref.name === "string") {
    const { name, ...options } = ref;
    return { name, options };
  }
  throw new AuthmigrateError("CONFIG_INVALID", "preset: expected a preset name or { name, ...options }", {
    hint: 'e.g. preset: "django" or preset: { name: "wordpress", tablePrefix: "wp_" }',
  });
}

/**
 * Fills a raw (unvalidated) config from its `preset:`: the user query (joins), orgs, field map,
 * roles, hash settings and the framework transform. Keys the config sets itself win: fields,
 * metadata, role-map entries and tenants are merged key by key; a config transform runs after
 * the preset's. Configs without `preset:` are returned as they are.
 */
export function expandPreset(raw: unknown): unknown {
  if (!isObj(raw) || raw.preset === undefined) return raw;
  const { name, options } = presetRef(raw.preset);
  const preset = getPreset(name);
  const parsed = preset.options.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const at = issue.path.length ? `preset.${issue.path.join(".")}` : "preset";
    throw new AuthmigrateError("CONFIG_INVALID", `${at}: ${issue.message}`, {
      hint: `options of the ${preset.name} preset are described in docs/presets.md`,
      meta: { preset: preset.name },
    });
  }
  const source = isObj(raw.source) ? raw.source : undefined;
  const type = source?.type;
  if (type !== "sqlite" && type !== "postgres" && type !== "mysql") {
    throw new AuthmigrateError("CONFIG_INVALID", `source.type: the ${preset.name} preset reads a database; set it to sqlite, postgres or mysql`, {
      hint: `e.g. source: { type: "${preset.placeholderSource.type}", ${preset.placeholderSource.url ? `url: "${preset.placeholderSource.url}"` : `path: "${preset.placeholderSource.path}"`} }`,
    });
  }
  const parts = preset.expand(parsed.data, presetSql(type as PresetDialect));

  // Source: the preset's table/query unless the config chose its own relation.
  const ownsRelation = source!.table !== undefined || source!.query !== undefined;
  const { table: _t, query: _q, orderBy: _o, pageSize: _p, ...connection } = source!;
  const outSource: Obj = ownsRelation
    ? { ...source }
    : { ...source, ...(parts.source.table !== undefined ? { table: parts.source.table } : { query: parts.source.query }), orderBy: source!.orderBy ?? parts.source.orderBy };

  const out: Obj = { ...raw, source: outSource };
  if (parts.orgs && raw.orgs === undefined) {
    const { table, orderBy, fields } = parts.orgs;
    out.orgs = { source: { ...connection, table, orderBy }, fields };
  }

  const own = isObj(raw.mapping) ? raw.mapping : {};
  const ownRoles = isObj(own.roles) ? own.roles : {};
  const roles: RolesConfig = {
    map: { ...(parts.mapping.roles?.map ?? {}), ...(isObj(ownRoles.map) ? (ownRoles.map as Record<string, string>) : {}) },
    default: typeof ownRoles.default === "string" ? ownRoles.default : (parts.mapping.roles?.default ?? "member"),
  };
  const presetTransform = parts.transform?.(roles);
  const ownTransform = typeof own.transform === "function" ? (own.transform as TransformFn) : undefined;
  out.mapping = {
    ...parts.mapping,
    ...own,
    fields: { ...parts.mapping.fields, ...(isObj(own.fields) ? own.fields : {}) },
    metadata: { ...(parts.mapping.metadata ?? {}), ...(isObj(own.metadata) ? own.metadata : {}) },
    tenants: { ...(parts.mapping.tenants ?? {}), ...(isObj(own.tenants) ? own.tenants : {}) },
    roles,
    ...(presetTransform || ownTransform ? { transform: compose(presetTransform, ownTransform) } : {}),
  };

  if (parts.hashes) {
    const ownHashes = isObj(raw.hashes) ? raw.hashes : {};
    out.hashes = {
      ...ownHashes,
      ...(ownHashes.assume === undefined && parts.hashes.assume ? { assume: parts.hashes.assume } : {}),
      params: { ...(parts.hashes.params ?? {}), ...(isObj(ownHashes.params) ? ownHashes.params : {}) },
    };
  }
  return out;
}

/** The preset's transform, then the config's on its result; a skip from either wins. */
function compose(first: TransformFn | undefined, second: TransformFn | undefined): TransformFn {
  if (!first) return second!;
  if (!second) return first;
  return async (row, user) => {
    const mid = await first(row, user);
    if (typeof mid === "object" && mid !== null && (mid as { skip?: unknown }).skip === true) return mid;
    return second(row, mid as Parameters<TransformFn>[1]);
  };
}
