import { defineFormat } from "../format.js";
import { DIGEST_LEN, type DigestName, b64decode, ctEqual, digest, parseError } from "../util.js";

export interface LdapParsed {
  alg: DigestName;
  digest: Buffer;
  salt: Buffer;
}

function ldapFormat(id: string, scheme: string, alg: DigestName, salted: boolean) {
  const prefix = `{${scheme}}`;
  const len = DIGEST_LEN[alg];
  const parse = (v: string): LdapParsed => {
    if (v.slice(0, prefix.length).toUpperCase() !== prefix) throw parseError(id, `missing ${prefix} prefix`);
    const raw = b64decode(v.slice(prefix.length));
    if (!raw) throw parseError(id, "payload is not valid base64");
    if (salted ? raw.length <= len : raw.length !== len) throw parseError(id, `payload must be ${salted ? `more than ${len}` : len} bytes`);
    return { alg, digest: raw.subarray(0, len), salt: raw.subarray(len) };
  };
  return defineFormat<LdapParsed>({
    id,
    family: "ldap",
    title: `LDAP ${prefix} (${salted ? `base64(${alg}(password || salt) || salt)` : `base64(${alg}(password))`})`,
    identify: (v) => {
      if (v.slice(0, prefix.length).toUpperCase() !== prefix) return 0;
      try {
        parse(v);
        return 1;
      } catch {
        return 0.6; // right scheme, damaged payload
      }
    },
    parse,
    verify: async (pw, p) => ctEqual(digest(p.alg, pw, p.salt), p.digest),
  });
}

export const ldapSha = ldapFormat("ldap-sha", "SHA", "sha1", false);
export const ldapSha256 = ldapFormat("ldap-sha256", "SHA256", "sha256", false);
export const ldapSha384 = ldapFormat("ldap-sha384", "SHA384", "sha384", false);
export const ldapSha512 = ldapFormat("ldap-sha512", "SHA512", "sha512", false);
export const ldapMd5 = ldapFormat("ldap-md5", "MD5", "md5", false);
export const ldapSsha = ldapFormat("ldap-ssha", "SSHA", "sha1", true);
export const ldapSsha256 = ldapFormat("ldap-ssha256", "SSHA256", "sha256", true);
export const ldapSsha384 = ldapFormat("ldap-ssha384", "SSHA384", "sha384", true);
export const ldapSsha512 = ldapFormat("ldap-ssha512", "SSHA512", "sha512", true);
export const ldapSmd5 = ldapFormat("ldap-smd5", "SMD5", "md5", true);

export function encodeLdap(scheme: string, p: LdapParsed): string {
  return `{${scheme}}${Buffer.concat([p.digest, p.salt]).toString("base64")}`;
}
