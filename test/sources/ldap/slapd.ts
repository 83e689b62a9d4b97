/**
 * A throwaway OpenLDAP server for tests: Debian's slapd with a slapd.conf in a temp dir, an mdb
 * database loaded offline with slapadd, listening on a free loopback port. Starts in well under a
 * second; `stop()` kills it and removes the directory.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { rmSync, writeFileSync, mkdirSync } from "node:fs";
import { createServer, connect } from "node:net";
import path from "node:path";
import { tempDir } from "../../helpers.js";

export const SUFFIX = "dc=example,dc=org";
export const ROOT_DN = `cn=admin,${SUFFIX}`;
export const ROOT_PW = "root-secret";
/** A non-root reader: size limits apply to it (rootdn is exempt), so paging really happens. */
export const READER_DN = `cn=reader,${SUFFIX}`;
export const READER_PW = "reader-secret";
/** Non-paged searches stop after this many entries; a paged search may have pages up to this size. */
export const SIZE_LIMIT = 10;

export interface Slapd {
  url: string;
  port: number;
  dir: string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host: "127.0.0.1", port }, () => {
      sock.destroy();
      resolve(true);
    });
    sock.once("error", () => resolve(false));
  });
}

/** `slappasswd` for a real {SCHEME} hash, exactly as an admin would produce one. */
export function slappasswd(scheme: string, password: string, cryptFormat?: string): string {
  const args = ["-o", `module-load=/usr/lib/ldap/${scheme === "{ARGON2}" ? "argon2" : "pw-sha2"}.so`, "-h", scheme, "-s", password];
  if (cryptFormat) args.push("-c", cryptFormat);
  return execFileSync("/usr/sbin/slappasswd", args, { encoding: "utf8" }).trim();
}

function conf(dir: string): string {
  return `include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload pw-sha2
moduleload argon2
moduleload ppolicy
moduleload lastbind
pidfile ${dir}/slapd.pid
database mdb
suffix "${SUFFIX}"
rootdn "${ROOT_DN}"
rootpw ${ROOT_PW}
directory ${dir}/data
maxsize 104857600
overlay ppolicy
overlay lastbind
limits dn.exact="${READER_DN}" size.soft=${SIZE_LIMIT} size.hard=${SIZE_LIMIT} size.pr=${SIZE_LIMIT} size.prtotal=unlimited
access to attrs=userPassword by dn.exact="${READER_DN}" read by anonymous auth by self read by * none
access to * by * read
`;
}

/** Starts slapd with `ldif` loaded (entries below ${SUFFIX}; the suffix and the reader are added here). */
export async function startSlapd(ldif: string): Promise<Slapd> {
  const dir = tempDir("am-slapd-");
  mkdirSync(path.join(dir, "data"));
  const confFile = path.join(dir, "slapd.conf");
  writeFileSync(confFile, conf(dir));
  const base = `dn: ${SUFFIX}
objectClass: dcObject
objectClass: organization
dc: example
o: Example

dn: ${READER_DN}
objectClass: organizationalRole
objectClass: simpleSecurityObject
cn: reader
userPassword: ${READER_PW}

`;
  writeFileSync(path.join(dir, "data.ldif"), base + ldif);
  execFileSync("/usr/sbin/slapadd", ["-q", "-f", confFile, "-l", path.join(dir, "data.ldif")], { stdio: ["ignore", "ignore", "pipe"] });
  const port = await freePort();
  const url = `ldap://127.0.0.1:${port}`;
  // -d 0: stay in the foreground (no fork), so the child is the server and killing it stops it.
  const child: ChildProcess = spawn("/usr/sbin/slapd", ["-f", confFile, "-h", `${url}/`, "-d", "0"], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  const deadline = Date.now() + 10_000;
  while (!(await accepts(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`slapd did not start: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    url,
    port,
    dir,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
        if (child.exitCode === null) child.kill("SIGKILL");
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
