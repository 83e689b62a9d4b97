import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  TARGET_IDS,
  capability,
  capabilityMatrix,
  chooseStrategy,
  convert,
  hashFormats,
  verifyPassword,
  type ConvertedPassword,
  type StoredHash,
} from "../../src/hashes/index.js";

interface Vector {
  format: string;
  hash: string;
  params: Record<string, unknown>;
  password: string;
  valid: boolean;
}
const vectors = (JSON.parse(readFileSync(new URL("../../../shared/vectors/password-hashes.json", import.meta.url), "utf8")) as { vectors: Vector[] }).vectors;

type F = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * Reads a target payload back the way the target verifies it, as a StoredHash of the engine
 * (whose verifiers are checked against the shared vectors).
 */
function targetView(target: string, out: ConvertedPassword): StoredHash {
  const f = out.fields as F;
  const auto = (value: string): StoredHash => ({ format: "auto", value });
  switch (target) {
    case "calimatic":
      return f.passwordHash.startsWith("{") ? { format: "pbkdf2-keycloak-json", value: f.passwordHash } : { format: "bcrypt", value: f.passwordHash };
    case "authgear":
      expect(f.password.type).toBe("bcrypt");
      return { format: "bcrypt", value: f.password.password_hash };
    case "workos": {
      const t = f.password_hash_type as string;
      if (t === "firebase-scrypt") {
        const kv = Object.fromEntries((f.password_hash as string).split("$").slice(2).map((s) => [s.slice(0, s.indexOf("=")), s.slice(s.indexOf("=") + 1)]));
        return { format: "firebase-scrypt", value: kv.hash!, params: { salt: kv.salt, signer_key: kv.sk, salt_separator: kv.ss, rounds: Number(kv.r), mem_cost: Number(kv.m) } };
      }
      const fmt = { bcrypt: "bcrypt", scrypt: "scrypt-phc", ssha: "ldap-ssha", pbkdf2: "pbkdf2-phc", argon2: "auto" }[t];
      expect(fmt).toBeDefined();
      return { format: fmt!, value: f.password_hash };
    }
    case "auth0": {
      if (f.password_hash) return { format: "bcrypt", value: f.password_hash };
      const c = f.custom_password_hash as F;
      switch (c.algorithm) {
        case "argon2":
        case "pbkdf2":
        case "ldap":
          return auto(c.hash.value);
        case "md4":
          expect(c.password.encoding).toBe("utf16le");
          return { format: "nthash", value: c.hash.value };
        case "hmac":
          return { format: `hmac-${c.hash.digest}`, value: c.hash.value, params: { key: c.hash.key.value, key_encoding: c.hash.key.encoding } };
        case "scrypt":
          return {
            format: "scrypt-phc",
            value: `$scrypt$ln=${Math.log2(c.cost)},r=${c.blockSize},p=${c.parallelization}$${Buffer.from(c.salt.value, "base64").toString("base64").replace(/=+$/, "")}$${Buffer.from(c.hash.value, "hex").toString("base64").replace(/=+$/, "")}`,
          };
        default:
          if (!c.salt) return { format: `${c.algorithm}-raw`, value: c.hash.value };
          return {
            format: `${c.algorithm}-salted-${c.salt.position === "prefix" ? "salt-password" : "password-salt"}`,
            value: c.hash.value,
            params: { salt: c.salt.value, salt_encoding: c.salt.encoding },
          };
      }
    }
    case "clerk": {
      const h = f.password_hasher as string;
      const d = f.password_digest as string;
      if (h === "scrypt_firebase") {
        const [hash, salt, sk, ss, r, m] = d.split("$");
        return { format: "firebase-scrypt", value: hash!, params: { salt, signer_key: sk, salt_separator: ss, rounds: Number(r), mem_cost: Number(m) } };
      }
      if (h === "pbkdf2_sha1") {
        const [, iter, salt, hex] = d.split("$");
        return { format: "werkzeug-pbkdf2", value: `pbkdf2:sha1:${iter}$${salt}$${hex}` };
      }
      const fmt: Record<string, string> = {
        bcrypt: "bcrypt",
        argon2i: "argon2i",
        argon2id: "argon2id",
        bcrypt_sha256_django: "bcrypt-sha256-django",
        md5: "md5-raw",
        sha256: "sha256-raw",
        phpass: "phpass-wordpress",
        ldap_ssha: "ldap-ssha",
        pbkdf2_sha256_django: "pbkdf2-sha256-django",
        scrypt_werkzeug: "werkzeug-scrypt",
      };
      expect(fmt[h]).toBeDefined();
      return { format: fmt[h]!, value: d };
    }
    case "firebase": {
      const cfg = out.importConfig as F;
      const hash = Buffer.from(f.passwordHash, "base64");
      switch (cfg.algorithm) {
        case "BCRYPT":
          return { format: "bcrypt", value: hash.toString("utf8") };
        case "SCRYPT":
          return { format: "firebase-scrypt", value: f.passwordHash, params: { salt: f.salt, signer_key: cfg.key, salt_separator: cfg.saltSeparator, rounds: cfg.rounds, mem_cost: cfg.memoryCost } };
        case "STANDARD_SCRYPT":
          return { format: "scrypt-phc", value: `$scrypt$ln=${Math.log2(cfg.memoryCost)},r=${cfg.blockSize},p=${cfg.parallelization}$${f.salt.replace(/=+$/, "")}$${f.passwordHash.replace(/=+$/, "")}` };
        default:
          if (String(cfg.algorithm).startsWith("HMAC_")) return { format: `hmac-${String(cfg.algorithm).slice(5).toLowerCase()}`, value: hash.toString("hex"), params: { key: cfg.key, key_encoding: "base64" } };
          return { format: `${String(cfg.algorithm).toLowerCase()}-raw`, value: hash.toString("hex") };
      }
    }
    case "kratos": {
      const h = f.credentials.password.config.hashed_password as string;
      // Kratos reads $scrypt$ln= as the literal N.
      return h.startsWith("$scrypt$") ? { format: "scrypt-kratos", value: h } : auto(h);
    }
    case "keycloak": {
      const c = f.credentials[0] as F;
      const cd = JSON.parse(c.credentialData) as F;
      if (cd.algorithm === "argon2") {
        const sd = JSON.parse(c.secretData) as F;
        const ap = cd.additionalParameters as Record<string, string[]>;
        const v = ap.version![0] === "1.3" ? 19 : 16;
        const strip = (s: string) => s.replace(/=+$/, "");
        return { format: `argon2${ap.type![0]}`, value: `$argon2${ap.type![0]}$v=${v}$m=${ap.memory![0]},t=${cd.hashIterations},p=${ap.parallelism![0]}$${strip(sd.salt)}$${strip(sd.value)}` };
      }
      return { format: "pbkdf2-keycloak-json", value: JSON.stringify({ secretData: c.secretData, credentialData: c.credentialData }) };
    }
    case "supabase":
      return auto(f.password_hash);
    case "supertokens": {
      if (f.hashingAlgorithm === "firebase_scrypt") {
        const [, , hash, salt, m, r, s] = (f.passwordHash as string).split("$");
        return {
          format: "firebase-scrypt",
          value: hash!,
          params: { salt, signer_key: (out.importConfig as F).firebase_password_hashing_signer_key, salt_separator: s!.slice(2), rounds: Number(r!.slice(2)), mem_cost: Number(m!.slice(2)) },
        };
      }
      return auto(f.passwordHash);
    }
    case "better-auth":
      return auto(f.password);
    case "file":
      return { format: f.format, value: f.value, params: f.params };
  }
  throw new Error(`no view for ${target}`);
}

describe("capability matrix", () => {
  it("covers every format × target with a strategy and a reason", () => {
    const m = capabilityMatrix();
    expect(m.map((r) => r.format)).toEqual([...hashFormats]);
    for (const r of m) for (const t of TARGET_IDS) {
      expect(["native", "re-encode", "lazy", "reset"]).toContain(r.targets[t]!.strategy);
      expect(r.targets[t]!.reason.length).toBeGreaterThan(5);
    }
  });

  it("has the documented anchors", () => {
    expect(capability("bcrypt", "calimatic").strategy).toBe("native");
    expect(capability("pbkdf2-keycloak-json", "calimatic").strategy).toBe("native");
    expect(capability("pbkdf2-sha256-django", "calimatic").strategy).toBe("re-encode");
    expect(capability("aspnet-identity-v3", "kratos").strategy).toBe("re-encode");
    expect(capability("firebase-scrypt", "supabase").strategy).toBe("re-encode");
    expect(capability("firebase-scrypt", "firebase").strategy).toBe("native");
    expect(capability("md5-raw", "authgear").strategy).toBe("lazy");
    expect(capability("md5-raw", "firebase").strategy).toBe("re-encode");
    expect(capability("mysql41", "clerk").strategy).toBe("reset");
    expect(capability("bcrypt", "cognito").strategy).toBe("lazy");
    expect(capability("yescrypt", "better-auth").strategy).toBe("reset");
    for (const f of hashFormats) if (f !== "yescrypt") expect(capability(f, "better-auth").strategy).toBe("native");
  });

  it("convert names the strategy that applies instead", () => {
    try {
      convert({ format: "md5-raw", value: "5f4dcc3b5aa765d61d8327deb882cf99" }, "authgear");
      expect.unreachable();
    } catch (e) {
      expect((e as { code: string }).code).toBe("HASH_NOT_CONVERTIBLE");
      expect((e as { meta: { strategy: string } }).meta.strategy).toBe("lazy");
      expect((e as Error).message).not.toContain("5f4dcc3b");
    }
  });

  it("$2y$ is rewritten to $2b$ for targets that list only $2a$/$2b$", () => {
    const out = convert({ format: "bcrypt", value: "$2y$10$acP1AZs.YWSL623jzZ34JeSP2EWu279XoQ6/sBvaH2ZlZdoMl0fDK" }, "calimatic");
    expect(out.strategy).toBe("re-encode");
    expect((out.fields as F).passwordHash.startsWith("$2b$10$")).toBe(true);
  });

  it("chooseStrategy for the planner", () => {
    expect(chooseStrategy({ kind: "none" }, "auth0").strategy).toBe("none");
    expect(chooseStrategy({ kind: "hash", format: "bcrypt", value: "$2b$04$LPy8o7Ply1nWjadB3Uoc8OTGJvo799i2fuAtv7svqFGv5gTzwJPH." }, "auth0").strategy).toBe("native");
    expect(chooseStrategy({ kind: "hash", format: "bcrypt", value: "x" }, "auth0", "reset").strategy).toBe("reset");
    expect(chooseStrategy({ kind: "hash", format: "bcrypt", value: "x" }, "auth0", "temporary").strategy).toBe("temporary");
    expect(chooseStrategy({ kind: "hash", format: "bcrypt", value: "x" }, "auth0", "sso").strategy).toBe("sso");
    expect(chooseStrategy({ kind: "hash", format: "mysql41", value: "*2C905879F74F28F8570989947D06A8429FB943E6" }, "clerk").strategy).toBe("reset");
    expect(chooseStrategy({ kind: "hash", format: "mysql41", value: "*2C905879F74F28F8570989947D06A8429FB943E6" }, "kratos").strategy).toBe("lazy");
    // argon2 v=16 cannot go to Supabase even though argon2i can
    expect(chooseStrategy({ kind: "hash", format: "argon2i", value: "$argon2i$v=16$m=1024,t=2,p=1$YKP7nRGrvroHOdRwajxAZA$wwafP3owGrqs3EVIPVll/j9gQJimS01qYIPfl6/fVPI" }, "supabase").strategy).toBe("lazy");
  });
});

const negativeOnce = new Set<string>();
describe.concurrent("every re-encoding verifies with the target format's verifier", () => {
  const cases: { v: Vector; target: string }[] = [];
  for (const v of vectors) if (v.valid && v.format !== "yescrypt") for (const target of TARGET_IDS) cases.push({ v, target });
  it.each(cases.map((c) => [`${c.v.format} → ${c.target}`, c] as const))("%s", async (_n, { v, target }) => {
    let out: ConvertedPassword;
    try {
      out = convert({ format: v.format, value: v.hash, params: v.params }, target);
    } catch (e) {
      expect((e as { code: string }).code).toBe("HASH_NOT_CONVERTIBLE");
      expect(["lazy", "reset"]).toContain((e as { meta: { strategy: string } }).meta.strategy);
      return;
    }
    const view = targetView(target, out);
    // Native pass-through is covered by the vectors test; re-encodings are proven here.
    if (out.strategy === "native" && target !== "better-auth") return;
    expect(await verifyPassword(v.password, view)).toBe(true);
    if (negativeOnce.has(`${v.format}>${target}`)) return;
    negativeOnce.add(`${v.format}>${target}`);
    expect(await verifyPassword("x" + v.password, view)).toBe(false);
  });
});
