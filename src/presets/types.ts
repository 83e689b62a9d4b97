import type { z } from "zod";
import type { FieldMapSchema, MappingSchema, TransformFn } from "../config/schema.js";
import type { PresetSql } from "./sql.js";

/** The SQL engines a preset can read (the source types with tables). */
export type PresetDialect = "sqlite" | "postgres" | "mysql";

/** What `init --source` found in the database: table name → its column names (exact case). */
export interface DbShape {
  dialect: PresetDialect;
  tables: ReadonlyMap<string, ReadonlySet<string>>;
}

/** Something a preset needs and the database lacks, with what to do about it. */
export interface Missing {
  table: string;
  column?: string;
  fix: string;
}

/** A preset's verdict on a database: options it detected, hard problems, and soft notes (written as comments). */
export interface Detection<O> {
  options: Partial<O>;
  missing: Missing[];
  notes: string[];
}

/** Role settings after the config's own `mapping.roles` were merged over the preset's. */
export interface RolesConfig {
  map: Record<string, string>;
  default: string;
}

type FieldMapInput = z.input<typeof FieldMapSchema>;
type MappingInput = z.input<typeof MappingSchema>;

/** The config pieces a preset contributes; explicit config keys override every one of them. */
export interface PresetParts {
  /** How users are read: a table or a query (joins), and the keyset order. */
  source: { table?: string; query?: string; orderBy: string[] };
  /** Organizations read from the same database (Calimatic tenants). */
  orgs?: { table: string; orderBy: string[]; fields: { externalId: string; name: string; slug?: string; domain?: string; type?: string; plan?: string } };
  mapping: Omit<MappingInput, "fields" | "transform"> & { fields: FieldMapInput };
  hashes?: { assume?: string; params?: Record<string, unknown> };
  /** Framework logic the field map cannot express (serialized roles, lockout, logins → identities). */
  transform?: (roles: RolesConfig) => TransformFn;
}

export interface Preset<S extends z.ZodType = z.ZodType> {
  /** Id used in `preset:` and `init --preset`. */
  name: string;
  aliases?: readonly string[];
  title: string;
  /** One line for `init --preset list`. */
  summary: string;
  /** Preset options (`preset: { name, ...options }`), validated before expansion. */
  options: S;
  /** Hash-engine format ids this framework writes (docs, list, init comments). */
  hashFormats: readonly string[];
  /** Source written by `init --preset` without `--source`. */
  placeholderSource: { type: PresetDialect; url?: string; path?: string };
  /** Checks an inspected database; never throws. */
  detect(db: DbShape): Detection<z.infer<S>>;
  expand(options: z.infer<S>, sql: PresetSql): PresetParts;
}

/** Helper so each preset file keeps its option type without casts. */
export function definePreset<S extends z.ZodType>(p: Preset<S>): Preset<S> {
  return p;
}
