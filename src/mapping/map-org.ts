import type { z } from "zod";
import type { OrgsSchema } from "../config/schema.js";
import type { MigrationOrg } from "../model/user.js";
import type { SourceRecord } from "../sources/types.js";
import { readField } from "./map-user.js";
import { slugify, toStr } from "./normalize.js";

export type OrgMapping = z.infer<typeof OrgsSchema>["fields"];

export type MappedOrg = { location: string; org: MigrationOrg } | { location: string; error: string };

export function mapOrg(record: SourceRecord & { error?: string }, fields: OrgMapping): MappedOrg {
  const { row, location } = record;
  if (record.error) return { location, error: record.error };
  const externalId = toStr(readField(row, fields.externalId));
  if (!externalId) return { location, error: `${fields.externalId} is empty; every organization needs a legacy id` };
  const name = toStr(readField(row, fields.name)) ?? externalId;
  const slug = slugify(toStr(readField(row, fields.slug)) ?? name);
  const domain = toStr(readField(row, fields.domain));
  const type = toStr(readField(row, fields.type));
  const plan = toStr(readField(row, fields.plan));
  return {
    location,
    org: {
      externalId,
      name,
      slug,
      ...(domain ? { domain } : {}),
      ...(type ? { type } : {}),
      ...(plan ? { plan } : {}),
      metadata: { legacyId: externalId },
    },
  };
}
