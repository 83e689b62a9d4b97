import { createInterface } from "node:readline";
import { SourceFile, stripBom } from "../file.js";

/** One record of Auth0's password-hash / MFA-secret export (export-formats.md §1.2), reduced to what we keep. */
export interface Auth0HashRecord {
  passwordHash?: string;
  email?: string;
  connection?: string;
  passwordSetDate?: string;
  /** TOTP secrets when the export carries MFA factors (`mfa_factors: [{totp: {secret}}]`, Auth0's import shape). */
  totpSecrets?: string[];
}

export interface Auth0Hashes {
  byId: Map<string, Auth0HashRecord>;
  byEmail: Map<string, Auth0HashRecord[]>;
}

/** `{"$oid": "…"}` / `{"$date": "…"}` (MongoDB extended JSON) or a plain string. */
function extended(v: unknown, key: "$oid" | "$date"): string | undefined {
  if (typeof v === "string") return v;
  if (v && typeof v === "object" && typeof (v as Record<string, unknown>)[key] === "string") return (v as Record<string, string>)[key];
  return undefined;
}

function totpSecrets(v: unknown): string[] {
  if (!Array.isArray(v)) return [];
  return v.flatMap((f) => {
    const secret = (f as { totp?: { secret?: unknown } } | null)?.totp?.secret;
    return typeof secret === "string" && secret ? [secret] : [];
  });
}

/**
 * Reads the password-hash file into two maps (user id and email → record), roughly 200–300 bytes
 * per database user (≈ 250 MB for a million users); the profile export itself streams.
 * A malformed line is a SOURCE_PARSE_ERROR: a silently skipped line would cost a user their password.
 */
export async function loadAuth0Hashes(file: SourceFile): Promise<Auth0Hashes> {
  const byId = new Map<string, Auth0HashRecord>();
  const byEmail = new Map<string, Auth0HashRecord[]>();
  const input = await file.open();
  const lines = createInterface({ input, crlfDelay: Infinity });
  let n = 0;
  try {
    for await (const raw of lines) {
      n++;
      const text = n === 1 ? stripBom(raw) : raw;
      if (!text.trim()) continue;
      let v: Record<string, unknown>;
      try {
        v = JSON.parse(text) as Record<string, unknown>;
      } catch (e) {
        throw file.parseError(n, `invalid JSON: ${(e as Error).message}`);
      }
      if (!v || typeof v !== "object" || Array.isArray(v)) throw file.parseError(n, "expected an object");
      const hash = typeof v.passwordHash === "string" && v.passwordHash ? v.passwordHash : undefined;
      const totp = totpSecrets(v.mfa_factors);
      if (!hash && totp.length === 0) continue; // users without a password (e.g. never set one)
      const rec: Auth0HashRecord = {};
      if (hash) rec.passwordHash = hash;
      if (totp.length) rec.totpSecrets = totp;
      if (typeof v.email === "string") rec.email = v.email.toLowerCase();
      if (typeof v.connection === "string") rec.connection = v.connection;
      const set = extended(v.password_set_date, "$date");
      if (set) rec.passwordSetDate = set;
      const oid = extended(v._id, "$oid") ?? (typeof v.user_id === "string" ? v.user_id : undefined);
      if (oid) byId.set(oid.startsWith("auth0|") ? oid : `auth0|${oid}`, rec);
      if (rec.email) byEmail.set(rec.email, [...(byEmail.get(rec.email) ?? []), rec]);
    }
  } finally {
    lines.close();
    input.destroy();
  }
  return { byId, byEmail };
}

/**
 * The hash record for one exported user: by `user_id` = `auth0|<_id.$oid>`, else — for a database
 * user (an `auth0` identity) imported earlier with its own id — by lower-cased email within the
 * same connection (what the WorkOS migration tool does), only when that match is unambiguous.
 */
export function matchAuth0Hash(row: Record<string, unknown>, h: Auth0Hashes): Auth0HashRecord | undefined {
  const id = typeof row.user_id === "string" ? row.user_id : undefined;
  const byId = id ? h.byId.get(id) : undefined;
  if (byId) return byId;
  const identities = Array.isArray(row.identities) ? (row.identities as Record<string, unknown>[]) : [];
  const db = identities.find((i) => i && i.provider === "auth0");
  if (!db || typeof row.email !== "string") return undefined;
  const candidates = h.byEmail.get(row.email.toLowerCase()) ?? [];
  const conn = typeof db.connection === "string" ? db.connection : undefined;
  const same = candidates.filter((c) => !c.connection || !conn || c.connection === conn);
  return same.length === 1 ? same[0] : undefined;
}
