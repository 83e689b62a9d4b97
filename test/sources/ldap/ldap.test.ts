/**
 * The LDAP source against a real OpenLDAP slapd (Debian package) started on a loopback port with a
 * throwaway config: paged search under a server size limit, inetOrgPerson defaults, {SCHEME}
 * hashes slapd itself generated and verifies, groups → memberships, disabled entries, errors, and
 * a migration into better-auth where every user with a usable hash signs in with the old password.
 */
import Database from "better-sqlite3";
import { Client, SizeLimitExceededError } from "ldapts";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/load.js";
import { signInDemoAccounts } from "../../../src/demo/sign-in.js";
import { runMigration } from "../../../src/engine/run.js";
import { readMappedUsers, openUserSource } from "../../../src/engine/read.js";
import { AuthmigrateError } from "../../../src/errors.js";
import { verifyPassword } from "../../../src/hashes/index.js";
import { LdapSource, LdapSourceConfigSchema } from "../../../src/sources/ldap/index.js";
import { connectLdap } from "../../../src/sources/ldap/client.js";
import type { SourceRecord } from "../../../src/sources/types.js";
import { tempDir } from "../../helpers.js";
import { buildDirectory, PHOTO, usable, type TestUser } from "./directory.js";
import { READER_DN, READER_PW, ROOT_DN, ROOT_PW, SIZE_LIMIT, startSlapd, SUFFIX, type Slapd } from "./slapd.js";

let slapd: Slapd;
let users: TestUser[];
/** Users the first test signed in to slapd as (their authTimestamp is then set by the server). */
const boundAs = new Set<string>();

beforeAll(async () => {
  const dir = buildDirectory(40);
  users = dir.users;
  slapd = await startSlapd(dir.ldif);
}, 60_000);
afterAll(async () => slapd?.stop());

const config = (over: Record<string, unknown> = {}) =>
  LdapSourceConfigSchema.parse({ type: "ldap", url: slapd.url, bindDN: READER_DN, bindPassword: READER_PW, baseDN: SUFFIX, pageSize: SIZE_LIMIT, disabled: { bases: [`ou=disabled,${SUFFIX}`] }, ...over });

/** The source, with a count of the result pages the server sent. */
function counted(over: Record<string, unknown> = {}) {
  const pages = { n: 0 };
  const source = new LdapSource(config(over), { cwd: "/" }, {
    connect: async (c, cwd) => {
      const client = await connectLdap(c, cwd);
      const orig = client.searchPaginated.bind(client);
      client.searchPaginated = async function* (...args: Parameters<typeof orig>) {
        for await (const page of orig(...args)) {
          pages.n++;
          yield page;
        }
      };
      return client;
    },
  });
  return { source, pages };
}

async function readAll(s: LdapSource): Promise<SourceRecord[]> {
  const out: SourceRecord[] = [];
  for await (const r of s.read()) out.push(r);
  return out;
}

async function error(p: Promise<unknown>): Promise<AuthmigrateError> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(AuthmigrateError);
  return e as AuthmigrateError;
}

describe("test directory", () => {
  it("slapd itself accepts the stored hashes it can verify (they are real)", async () => {
    const slapdSchemes = users.filter((u) => u.password && u.format && !u.format.startsWith("ldap-pbkdf2"));
    expect(slapdSchemes.length).toBeGreaterThan(25);
    for (const u of slapdSchemes) {
      const c = new Client({ url: slapd.url });
      await expect(c.bind(u.dn, u.password!), u.uid).resolves.toBeUndefined();
      boundAs.add(u.uid);
      await c.unbind();
    }
  });

  it("a non-paged search by the reader hits the server's size limit: only paging reads everyone", async () => {
    const c = new Client({ url: slapd.url });
    await c.bind(READER_DN, READER_PW);
    await expect(c.search(SUFFIX, { filter: "(objectClass=inetOrgPerson)" })).rejects.toBeInstanceOf(SizeLimitExceededError);
    await c.unbind();
  });
});

describe("ldap source", () => {
  it("reads every inetOrgPerson page by page as the server sends them", async () => {
    const { source, pages } = counted();
    const recs = await readAll(source);
    expect(recs.map((r) => r.row.uid).sort()).toEqual(users.map((u) => u.uid).sort());
    expect(recs.every((r) => !r.error && r.user)).toBe(true);
    // 40 users in pages of ≤ 10, plus the 3 groups read first
    expect(pages.n).toBeGreaterThanOrEqual(5);
    expect(recs[0]!.location).toMatch(/^ldap uid=user\d\d,ou=(people|disabled),dc=example,dc=org$/);
  });

  it("yields the first user before the next page is requested (one page in memory)", async () => {
    const { source, pages } = counted();
    const it = source.read()[Symbol.asyncIterator]();
    await it.next();
    expect(pages.n).toBe(2); // the groups' single page, then the first page of users
    for (let i = 1; i < SIZE_LIMIT; i++) await it.next();
    expect(pages.n).toBe(2);
    await it.next();
    expect(pages.n).toBe(3);
    await it.return?.(undefined);
    await source.close();
  });

  it("maps inetOrgPerson without any configuration: ids, names (unicode), mails, phones, hashes, status, groups", async () => {
    const { source } = counted();
    const byUid = new Map((await readAll(source)).map((r) => [String(r.row.uid), r]));
    for (const u of users) {
      const r = byUid.get(u.uid)!;
      const user = r.user!;
      expect(user.externalId).toBe(u.uid);
      expect(user.username).toBe(u.uid);
      expect(user.email).toBe(u.email);
      expect(user.profile?.displayName).toBe(u.cn);
      expect(user.status).toBe(u.disabled ? "disabled" : "active");
      expect(user.credential).toMatchObject(u.format ? { kind: "hash", format: u.format } : { kind: "none" });
      expect((user.memberships ?? []).map((m) => m.orgExternalId).sort()).toEqual([...u.groups].sort());
      expect(user.createdAt).toBeInstanceOf(Date);
      // authTimestamp (lastbind overlay): seeded for every 5th user, and set by slapd itself for the
      // users the first test bound as.
      const n = Number(u.uid.slice(4));
      if (boundAs.has(u.uid)) expect(Date.now() - user.lastLoginAt!.getTime()).toBeLessThan(10 * 60_000);
      else expect(user.lastLoginAt).toEqual(n % 5 === 0 ? new Date(`2024-${String((n % 12) + 1).padStart(2, "0")}-15T08:30:00Z`) : undefined);
      if (u.format && u.password) {
        const c = user.credential as { format: string; value: string };
        expect(await verifyPassword(u.password, { format: c.format, value: c.value, params: {} }), u.uid).toBe(true);
      }
    }
    expect(byUid.get("user17")!.user!.profile).toMatchObject({ givenName: "小龙", familyName: "李", displayName: "李小龙" });
    expect(byUid.get("user13")!.user!.extraEmails).toEqual(["user13.alias@example.org"]);
    expect(byUid.get("user04")!.user!.phones).toEqual(["+14155550104"]);
    expect(byUid.get("user12")!.issues?.[0]).toMatchObject({ code: "unknown_hash_format", field: "userPassword" });
    expect(JSON.stringify(byUid.get("user12")!.issues)).not.toContain("plain-text-password");
    // binary attribute: the exact bytes, never decoded as text
    expect(Buffer.isBuffer(byUid.get("user14")!.row.jpegPhoto) && (byUid.get("user14")!.row.jpegPhoto as Buffer).equals(PHOTO)).toBe(true);
  });

  it("groups as roles of one org, or as metadata only", async () => {
    const roles = await readAll(counted({ groups: { as: "roles", org: "example" } }).source);
    const u1 = roles.find((r) => r.row.uid === "user01")!.user!;
    expect(u1.memberships).toEqual([{ orgExternalId: "example", roles: expect.arrayContaining(["engineering", "sales"]) as unknown }]);
    const meta = await readAll(counted({ groups: { as: "metadata" } }).source);
    const m1 = meta.find((r) => r.row.uid === "user31")!.user!;
    expect(m1.memberships).toEqual([]);
    expect(m1.metadata).toMatchObject({ groups: ["ops"], ldapDn: `uid=user31,ou=people,${SUFFIX}` });
  });

  it("disabled by a configurable attribute and value", async () => {
    const recs = await readAll(counted({ disabled: { attribute: "uid", values: ["USER20"] } }).source);
    expect(recs.filter((r) => r.user!.status === "disabled").map((r) => r.row.uid)).toEqual(["user20"]);
  });

  it('entries: "groups" yields group rows for an orgs block', async () => {
    const recs = await readAll(counted({ entries: "groups" }).source);
    expect(recs.map((r) => [r.row.cn, r.row.memberCount]).sort()).toEqual([["engineering", "11"], ["ops", "6"], ["sales", "9"]]);
    expect(recs.every((r) => r.user === undefined && r.row.member === undefined)).toBe(true);
  });

  it("describe() shows server, base, filter and bind DN, never the password", () => {
    const d = counted().source.describe();
    expect(d).toBe(`ldap ldap://127.0.0.1:${slapd.port} users under ${SUFFIX} (objectClass=inetOrgPerson) as ${READER_DN}`);
    expect(d).not.toContain(READER_PW);
  });

  it("errors: wrong password, nothing listening, missing base DN, bad filter", async () => {
    const auth = await error(readAll(counted({ bindPassword: "wrong-pw-123" }).source));
    expect(auth.code).toBe("SOURCE_AUTH_FAILED");
    expect(`${auth.message} ${auth.hint}`).not.toContain("wrong-pw-123");
    const down = await error(readAll(counted({ url: "ldap://127.0.0.1:1" }).source));
    expect(down.code).toBe("SOURCE_UNREACHABLE");
    expect(down.retryable).toBe(true);
    const base = await error(readAll(counted({ baseDN: "ou=nowhere,dc=example,dc=org", groups: { enabled: false } }).source));
    expect(base.code).toBe("SOURCE_NOT_FOUND");
    expect(base.message).toContain("ou=nowhere");
    // A filter typo is caught when the source is built, before any connection.
    expect(() => counted({ filter: "(objectClass=inetOrgPerson" })).toThrow(/filter \(objectClass=inetOrgPerson is not a valid LDAP filter: Unbalanced parens/);
    expect(() => counted({ groups: { filter: "(cn=a" } })).toThrow(expect.objectContaining({ code: "SOURCE_CONFIG_INVALID" }) as Error);
  });
});

describe("ldap → better-auth", () => {
  it("a config with no mapping and no orgs block migrates the directory; every user with a usable hash signs in with the old password", async () => {
    const dir = tempDir("am-ldap-e2e-");
    process.env.AM_TEST_LDAP_PW = READER_PW;
    const source = { type: "ldap", url: slapd.url, bindDN: READER_DN, bindPassword: "${AM_TEST_LDAP_PW}", baseDN: SUFFIX, pageSize: SIZE_LIMIT, disabled: { bases: [`ou=disabled,${SUFFIX}`] } };
    writeFileSync(
      path.join(dir, "authmigrate.config.json"),
      JSON.stringify({
        source, // no mapping, no orgs block: both come from the directory
        target: { type: "better-auth", database: "auth.db", admin: true },
        ledger: { url: "ledger.sqlite" },
        run: { outDir: "out", batchSize: 7 },
      }),
    );
    const { config, cwd } = await loadConfig(undefined, dir);
    expect(JSON.stringify(config.source)).toContain(READER_PW); // interpolated from ${ENV}
    expect(config.orgs).toMatchObject({ source: { type: "ldap", entries: "groups" }, fields: { externalId: "cn", name: "cn" } });

    const report = await runMigration({ config, cwd });
    const withEmail = users.filter((u) => u.email);
    expect(report.counts).toMatchObject({ total: users.length, created: withEmail.length, failed: users.length - withEmail.length });
    expect(report.reasons.no_email).toBe(2);
    expect(report.orgs).toMatchObject({ total: 3, created: 3 });

    const expected = users.filter(usable);
    expect(expected.length).toBeGreaterThanOrEqual(30);
    const results = await signInDemoAccounts(path.join(dir, "auth.db"), expected.map((u) => ({ email: u.email!, password: u.password! })));
    expect(results.filter((r) => !r.ok).map((r) => r.email)).toEqual([]);
    expect(results.every((r) => r.storedHash === "native")).toBe(true); // re-hashed on first sign-in

    // Disabled users were imported banned: the right password does not let them in.
    const disabled = users.filter((u) => u.disabled && u.email && u.password);
    expect(disabled.length).toBe(3);
    const denied = await signInDemoAccounts(path.join(dir, "auth.db"), disabled.map((u) => ({ email: u.email!, password: u.password! })));
    expect(denied.every((r) => !r.ok)).toBe(true);

    const db = new Database(path.join(dir, "auth.db"), { readonly: true });
    const members = db
      .prepare(`SELECT u.email AS email, o.name AS org, m.role AS role FROM member m JOIN user u ON u.id = m.userId JOIN organization o ON o.id = m.organizationId ORDER BY 1, 2`)
      .all() as { email: string; org: string; role: string }[];
    db.close();
    const want = users.filter((u) => u.email).flatMap((u) => u.groups.map((g) => ({ email: u.email!, org: g, role: "member" })));
    expect(members).toEqual(want.sort((a, b) => (a.email + a.org < b.email + b.org ? -1 : 1)));
  }, 120_000);

  it("raw: true hands attribute rows to mapping.fields like any other source", async () => {
    const dir = tempDir("am-ldap-raw-");
    writeFileSync(
      path.join(dir, "authmigrate.config.json"),
      JSON.stringify({
        source: { type: "ldap", url: slapd.url, bindDN: ROOT_DN, bindPassword: ROOT_PW, baseDN: `ou=people,${SUFFIX}`, groups: { enabled: false } },
        mapping: { fields: { externalId: "uid", email: "mail", displayName: "cn" } },
        target: { type: "file", path: "out/users.ndjson" },
      }),
    );
    const { config, cwd } = await loadConfig(undefined, dir);
    const source = await openUserSource(config, cwd);
    const mapped = [];
    for await (const m of readMappedUsers(config, source)) mapped.push(m);
    await source.close();
    expect(mapped).toHaveLength(38); // two users live under ou=disabled
    expect(mapped.find((m) => m.externalId === "user18")!.user!.profile.displayName).toBe("Дмитрий Шостакович");
  });
});
