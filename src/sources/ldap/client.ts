import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { Client, InvalidCredentialsError, InvalidDNSyntaxError, NoSuchObjectError, SizeLimitExceededError, type Entry, type SearchOptions } from "ldapts";
import { AuthmigrateError } from "../../errors.js";
import { causeReason } from "../db-url.js";
import type { LdapSourceConfig } from "./config.js";

/** `ldap://host:389` — what messages show (the bind password is never part of anything printed). */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.hostname}${u.port ? `:${u.port}` : ""}`;
  } catch {
    return "(invalid url)";
  }
}

export type Connect = (config: LdapSourceConfig, cwd: string) => Promise<Client>;

/** Opens and binds one client. Anonymous when no bind DN is configured. */
export const connectLdap: Connect = async (config, cwd) => {
  let url: URL;
  try {
    url = new URL(config.url);
  } catch {
    throw new AuthmigrateError("SOURCE_CONFIG_INVALID", "LDAP source: url is not a valid URL", { hint: "use ldap://host:389 or ldaps://host:636" });
  }
  if (url.protocol !== "ldap:" && url.protocol !== "ldaps:") {
    throw new AuthmigrateError("SOURCE_CONFIG_INVALID", `LDAP source: url scheme "${url.protocol}" is not ldap: or ldaps:`, { hint: "use ldap://host:389 or ldaps://host:636" });
  }
  const tlsOptions = {
    rejectUnauthorized: config.tlsRejectUnauthorized,
    ...(config.caFile ? { ca: readFileSync(resolve(cwd, config.caFile)) } : {}),
  };
  // ldapts opens a TLS socket whenever tlsOptions are given, so only ldaps:// gets them here (startTLS passes its own).
  const client = new Client({
    url: config.url,
    timeout: config.timeoutMs,
    connectTimeout: Math.min(config.timeoutMs, 10_000),
    ...(url.protocol === "ldaps:" ? { tlsOptions } : {}),
  });
  const where = describeUrl(config.url);
  try {
    if (config.startTLS) await client.startTLS(tlsOptions);
    if (config.bindDN !== undefined) await client.bind(config.bindDN, config.bindPassword ?? "");
    else await client.bind("", "");
  } catch (e) {
    await client.unbind().catch(() => {});
    if (e instanceof InvalidCredentialsError) {
      throw new AuthmigrateError("SOURCE_AUTH_FAILED", `LDAP server ${where} rejected the bind as "${config.bindDN ?? "(anonymous)"}"`, {
        hint: "check bindDN and bindPassword (use ${LDAP_BIND_PASSWORD} in the config, not the password itself)",
        meta: { url: where },
      });
    }
    if (e instanceof InvalidDNSyntaxError) {
      throw new AuthmigrateError("SOURCE_CONFIG_INVALID", `LDAP source: bindDN "${config.bindDN}" is not a valid DN`, { hint: "e.g. cn=admin,dc=example,dc=org" });
    }
    throw new AuthmigrateError("SOURCE_UNREACHABLE", `cannot connect to LDAP server ${where}: ${causeReason(e)}`, {
      hint: "check that the server is running and the url's host, port and scheme (ldap:// vs ldaps://) are right",
      meta: { url: where },
      retryable: true,
      cause: e,
    });
  }
  return client;
};

/**
 * Paged search (RFC 2696 control) yielding entries page by page as the server sends them: only
 * one page is held in memory; the next page is requested when the consumer wants it.
 */
export async function* pagedSearch(
  client: Client,
  base: string,
  opts: SearchOptions & { pageSize: number },
  where: string,
  signal?: AbortSignal,
): AsyncGenerator<Entry> {
  const { pageSize, ...rest } = opts;
  try {
    for await (const page of client.searchPaginated(base, { ...rest, paged: { pageSize } })) {
      for (const e of page.searchEntries) {
        signal?.throwIfAborted();
        yield e;
      }
    }
  } catch (e) {
    throw searchError(e, base, opts.filter, where);
  }
}

function searchError(e: unknown, base: string, filter: unknown, where: string): unknown {
  if (e instanceof AuthmigrateError || (e as Error)?.name === "AbortError") return e;
  if (e instanceof NoSuchObjectError) {
    return new AuthmigrateError("SOURCE_NOT_FOUND", `LDAP base DN "${base}" does not exist on ${where}`, {
      hint: "check baseDN (and groups.base); `ldapsearch -x -s base -b '' namingContexts` lists the server's suffixes",
      meta: { base },
    });
  }
  if (e instanceof SizeLimitExceededError) {
    return new AuthmigrateError("SOURCE_QUERY_FAILED", `LDAP server ${where} stopped the search of "${base}" at its size limit`, {
      hint: "lower pageSize below the server's size limit (OpenLDAP: olcSizeLimit, AD: MaxPageSize), or raise the limit for the bind DN",
    });
  }
  const msg = e instanceof Error ? e.message : String(e);
  if (/filter/i.test(msg)) {
    return new AuthmigrateError("SOURCE_CONFIG_INVALID", `LDAP filter ${String(filter)} is invalid: ${msg}`, { hint: "filters look like (objectClass=inetOrgPerson) or (&(objectClass=person)(mail=*))" });
  }
  return new AuthmigrateError("SOURCE_QUERY_FAILED", `LDAP search of "${base}" on ${where} failed: ${causeReason(e)}`, { retryable: true, cause: e });
}
