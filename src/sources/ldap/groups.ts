import type { Client } from "ldapts";
import type { LdapSourceConfig } from "./config.js";
import { pagedSearch } from "./client.js";
import { attr, normalizeDn, text } from "./values.js";

/** Member → names of the groups it is in: by DN (groupOfNames `member`, groupOfUniqueNames `uniqueMember`) and by uid (posixGroup `memberUid`). */
export interface GroupIndex {
  byDn: Map<string, string[]>;
  byUid: Map<string, string[]>;
  groups: number;
}

function add(map: Map<string, string[]>, key: string, group: string): void {
  const list = map.get(key);
  if (!list) map.set(key, [group]);
  else if (!list.includes(group)) list.push(group);
}

/**
 * Reads every group once, before the users. Memory is proportional to memberships (one short
 * string per member value), not to users' entries, which still stream page by page.
 * Nested groups (a group DN as a member) are not expanded.
 */
export async function loadGroups(client: Client, config: LdapSourceConfig, where: string, signal?: AbortSignal): Promise<GroupIndex> {
  const g = config.groups;
  const index: GroupIndex = { byDn: new Map(), byUid: new Map(), groups: 0 };
  const entries = pagedSearch(
    client,
    g.base ?? config.baseDN,
    { scope: "sub", filter: g.filter, attributes: [g.nameAttribute, "member", "uniqueMember", "memberUid"], pageSize: config.pageSize },
    where,
    signal,
  );
  for await (const e of entries) {
    const name = text(attr(e as never, g.nameAttribute)[0]);
    if (!name) continue;
    index.groups++;
    for (const m of [...attr(e as never, "member"), ...attr(e as never, "uniqueMember")]) {
      // uniqueMember may carry an optional `#'0101'B` UID suffix.
      const dn = text(m)?.replace(/#'[01]*'B$/, "");
      if (dn) add(index.byDn, normalizeDn(dn), name);
    }
    for (const m of attr(e as never, "memberUid")) {
      const uid = text(m);
      if (uid) add(index.byUid, uid.toLowerCase(), name);
    }
  }
  return index;
}

export function groupsOf(index: GroupIndex, dn: string, uid: string | undefined): string[] {
  const out = [...(index.byDn.get(normalizeDn(dn)) ?? [])];
  for (const g of uid ? (index.byUid.get(uid.toLowerCase()) ?? []) : []) if (!out.includes(g)) out.push(g);
  return out;
}
