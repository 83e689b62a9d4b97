import type { Config } from "../config/schema.js";
import { checkColumns } from "../mapping/check-columns.js";
import { mapOrg, type MappedOrg } from "../mapping/map-org.js";
import { mapUser, type MappedRecord } from "../mapping/map-user.js";
import { createSource } from "../sources/index.js";
import type { Source } from "../sources/types.js";

/** Open the configured user source and check the field map against its columns before reading. */
export async function openUserSource(config: Config, cwd: string): Promise<Source> {
  const source = createSource(config.source, { cwd });
  try {
    const columns = await source.columns();
    // A source that maps users itself has no use for mapping.fields (see config/source-mapping.ts).
    if (!source.mapsUsers) checkColumns(config.mapping.fields, columns, "mapping.fields");
    checkColumns(config.mapping.metadata, columns, "mapping.metadata");
    return source;
  } catch (e) {
    await source.close();
    throw e;
  }
}

/** Stream every legacy user record through the field map. Bad rows come out as records with issues, never thrown. */
export async function* readMappedUsers(config: Config, source: Source, signal?: AbortSignal): AsyncGenerator<MappedRecord> {
  const opts = { mapping: config.mapping, validation: config.validation, hashes: config.hashes };
  for await (const record of source.read(signal ? { signal } : {})) {
    yield await mapUser(record, opts);
  }
}

/** Read and map the configured organizations (empty when the config has no `orgs`). */
export async function readMappedOrgs(config: Config, cwd: string): Promise<MappedOrg[]> {
  if (!config.orgs) return [];
  const source = createSource(config.orgs.source, { cwd });
  const out: MappedOrg[] = [];
  try {
    checkColumns(config.orgs.fields, await source.columns(), "orgs.fields");
    for await (const record of source.read()) out.push(mapOrg(record, config.orgs.fields));
  } finally {
    await source.close();
  }
  return out;
}
