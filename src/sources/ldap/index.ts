import { FilterParser, type Client } from "ldapts";
import { AuthmigrateError } from "../../errors.js";
import { ProviderSource, type Built } from "../provider/base.js";
import type { SourceRecord } from "../types.js";
import { connectLdap, describeUrl, pagedSearch, type Connect } from "./client.js";
import type { LdapSourceConfig } from "./config.js";
import { loadGroups, groupsOf } from "./groups.js";
import { ldapUser } from "./map.js";
import { firstText, toRow, type LdapRow } from "./values.js";

export { LdapSourceConfigSchema, type LdapSourceConfig } from "./config.js";

/** A filter typo is a config error, reported before connecting (the server would only say "protocol error"). */
function checkFilter(field: string, filter: string): void {
  try {
    FilterParser.parseString(filter);
  } catch (e) {
    throw new AuthmigrateError("SOURCE_CONFIG_INVALID", `LDAP source: ${field} ${filter} is not a valid LDAP filter: ${(e as Error).message.split(". Full string")[0]}`, {
      hint: "filters look like (objectClass=inetOrgPerson) or (&(objectClass=person)(mail=*))",
      meta: { field },
    });
  }
}

/** Attributes that list members; left out of `entries: "groups"` rows (they can be huge), counted instead. */
const MEMBER_ATTRS = ["member", "uniqueMember", "memberUid"];

/**
 * An LDAP directory (OpenLDAP, 389-DS, AD…) read with a paged search: users are yielded as pages
 * arrive (one page in memory), after one pass over the groups for memberships. Each record's `row`
 * is the entry's attributes (`dn`, `uid`, `mail`, …, plus `groups`: the names of its groups) and,
 * unless `raw`, its canonical `user` (map.ts), so an inetOrgPerson directory needs no mapping.
 */
export class LdapSource extends ProviderSource {
  readonly kind = "ldap";
  private readonly clients = new Set<Client>();
  private readonly connect: Connect;

  constructor(
    private readonly config: LdapSourceConfig,
    private readonly opts: { cwd: string },
    deps: { connect?: Connect } = {},
  ) {
    super(config.raw || config.entries === "groups");
    this.connect = deps.connect ?? connectLdap;
    checkFilter("filter", config.filter);
    checkFilter("groups.filter", config.groups.filter);
  }

  describe(): string {
    const base = this.config.entries === "groups" ? (this.config.groups.base ?? this.config.baseDN) : this.config.baseDN;
    const filter = this.config.entries === "groups" ? this.config.groups.filter : this.config.filter;
    return `ldap ${describeUrl(this.config.url)} ${this.config.entries} under ${base} ${filter}${this.config.bindDN ? ` as ${this.config.bindDN}` : " (anonymous)"}`;
  }

  private get where(): string {
    return describeUrl(this.config.url);
  }

  /** Attribute names seen in the first page, plus every mapped attribute (entries only list the attributes they have). */
  override async columns(): Promise<string[]> {
    const names = new Set<string>(["dn"]);
    if (this.config.entries === "users") {
      for (const a of Object.values(this.config.attributes)) names.add(a);
      if (this.config.groups.enabled) names.add("groups");
    }
    let n = 0;
    // Names only: skip the pass over the groups.
    for await (const r of this.rawRecords({}, false)) {
      for (const k of Object.keys(r.row)) names.add(k);
      if (++n >= this.config.pageSize) break;
    }
    return [...names];
  }

  protected async *rawRecords(opts: { signal?: AbortSignal }, withGroups = true): AsyncGenerator<SourceRecord> {
    const client = await this.connect(this.config, this.opts.cwd);
    this.clients.add(client);
    try {
      if (this.config.entries === "groups") yield* this.groupRows(client, opts.signal);
      else yield* this.userRows(client, withGroups, opts.signal);
    } finally {
      this.clients.delete(client);
      await client.unbind().catch(() => {});
    }
  }

  private async *userRows(client: Client, withGroups: boolean, signal?: AbortSignal): AsyncGenerator<SourceRecord> {
    const c = this.config;
    const index = c.groups.enabled && withGroups ? await loadGroups(client, c, this.where, signal) : undefined;
    const entries = pagedSearch(
      client,
      c.baseDN,
      {
        scope: c.scope,
        filter: c.filter,
        // `*` = all user attributes; operational ones (createTimestamp, pwdAccountLockedTime) only when named.
        attributes: ["*", c.attributes.createdAt, c.attributes.lastLoginAt, c.disabled.attribute],
        explicitBufferAttributes: [c.attributes.password, ...c.binaryAttributes],
        pageSize: c.pageSize,
      },
      this.where,
      signal,
    );
    for await (const e of entries) {
      const row: LdapRow = toRow(e);
      if (index) row.groups = groupsOf(index, e.dn, firstText(row, "uid"));
      yield { row, location: `ldap ${e.dn}` };
    }
  }

  private async *groupRows(client: Client, signal?: AbortSignal): AsyncGenerator<SourceRecord> {
    const c = this.config;
    const entries = pagedSearch(client, c.groups.base ?? c.baseDN, { scope: "sub", filter: c.groups.filter, attributes: ["*"], pageSize: c.pageSize }, this.where, signal);
    for await (const e of entries) {
      const row = toRow(e);
      let members = 0;
      for (const k of Object.keys(row)) {
        if (!MEMBER_ATTRS.some((m) => m.toLowerCase() === k.toLowerCase())) continue;
        const v = row[k]!;
        members += Array.isArray(v) ? v.length : 1;
        delete row[k];
      }
      yield { row: { ...row, memberCount: String(members) }, location: `ldap ${e.dn}` };
    }
  }

  protected build(row: Record<string, unknown>): Built {
    const { groups, ...attrs } = row as LdapRow & { groups?: string[] };
    return ldapUser(attrs as LdapRow, Array.isArray(groups) ? (groups as string[]) : [], this.config);
  }

  override async close(): Promise<void> {
    const open = [...this.clients];
    this.clients.clear();
    await Promise.all(open.map((c) => c.unbind().catch(() => {})));
  }
}
