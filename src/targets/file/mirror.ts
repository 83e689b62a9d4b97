import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { AuthmigrateError } from "../../errors.js";
import { MigrationUserSchema, type HashCredential, type MigrationUser } from "../../model/user.js";
import { normalizeProvider } from "../prelude/map.js";
import type { IdentifierOpResult, MirrorIdentifier, MirrorProfilePatch } from "../types.js";

/**
 * Mirror support of the NDJSON file target: the file keeps one line per user (what verify,
 * reconcile and re-runs read), so a mirrored change rewrites it — to a temp file renamed over the
 * original, so a crash leaves the old or the new file, never half of one. The file target is for
 * rehearsals: O(file) per change is fine there. Do not mirror into a file a run is appending to.
 */

const ID_SEP = ":";

export class FileMirror {
  private index: Map<string, MigrationUser> | undefined;

  constructor(private readonly file: string) {}

  /** Last version of every live user (built on first use: mirror calls only). */
  private users(): Map<string, MigrationUser> {
    if (this.index) return this.index;
    const map = new Map<string, MigrationUser>();
    if (existsSync(this.file)) {
      for (const line of readFileSync(this.file, "utf8").split("\n")) {
        if (!line.trim()) continue;
        try {
          const raw = JSON.parse(line) as { externalId: string };
          map.set(raw.externalId, MigrationUserSchema.parse(raw));
        } catch {
          // a torn last line (kill -9): ignored, as the target's other readers do
        }
      }
    }
    this.index = map;
    return map;
  }

  /** Forget the index (the engine appended users behind our back). */
  invalidate(): void {
    this.index = undefined;
  }

  private get(targetId: string): MigrationUser {
    const u = this.users().get(targetId);
    if (!u) throw new AuthmigrateError("TARGET_USER_NOT_FOUND", `file target: no user ${targetId} in ${this.file}`, { hint: "the user was never written (or was deleted)" });
    return u;
  }

  private write(user: MigrationUser): void {
    this.users().set(user.externalId, user);
    this.flush();
  }

  private flush(): void {
    const tmp = `${this.file}.mirror-${process.pid}.tmp`;
    writeFileSync(tmp, [...this.users().values()].map((u) => JSON.stringify(u) + "\n").join(""), { mode: 0o600 });
    renameSync(tmp, this.file);
  }

  has(targetId: string): boolean {
    return this.users().has(targetId);
  }

  lookup(externalIds: string[]): string[] {
    return externalIds.filter((id) => this.users().has(id));
  }

  identifiers(targetId: string): MirrorIdentifier[] | undefined {
    const u = this.users().get(targetId);
    if (!u) return undefined;
    return [
      ...[u.email, ...u.extraEmails].filter((e): e is string => !!e).map((value) => ({ kind: "email" as const, value })),
      ...u.phones.map((value) => ({ kind: "phone" as const, value })),
      // Provider spellings folded the way the mirror folds them (`google-oauth2` → `google`).
      ...u.identities.map((i) => ({ kind: "oauth" as const, value: `${normalizeProvider(i.provider)}${ID_SEP}${i.providerUserId}` })),
    ];
  }

  updateProfile(targetId: string, patch: MirrorProfilePatch): void {
    const u = structuredClone(this.get(targetId));
    const profile: Record<string, unknown> = { ...u.profile };
    for (const k of ["givenName", "familyName", "displayName", "picture", "locale"] as const) {
      if (patch[k] === null) delete profile[k];
      else if (patch[k] !== undefined) profile[k] = patch[k];
    }
    u.profile = profile;
    if (patch.emailVerified !== undefined) u.emailVerified = patch.emailVerified;
    this.write(u);
  }

  addIdentifier(targetId: string, i: MirrorIdentifier): IdentifierOpResult {
    const u = structuredClone(this.get(targetId));
    if (this.identifiers(targetId)!.some((x) => same(x, i))) return "already_exists";
    if (i.kind === "email") {
      if (u.email) u.extraEmails.push(i.value.toLowerCase());
      else u.email = i.value.toLowerCase();
    } else if (i.kind === "phone") {
      u.phones.push(i.value);
    } else {
      const at = i.value.indexOf(ID_SEP);
      u.identities.push({ provider: i.value.slice(0, at), providerUserId: i.value.slice(at + 1) });
    }
    this.write(u);
    return "done";
  }

  removeIdentifier(targetId: string, i: MirrorIdentifier): IdentifierOpResult {
    const u = structuredClone(this.get(targetId));
    if (!this.identifiers(targetId)!.some((x) => same(x, i))) return "not_found";
    if (i.kind === "email") {
      const v = i.value.toLowerCase();
      const rest = [u.email, ...u.extraEmails].filter((e): e is string => !!e && e.toLowerCase() !== v);
      // The next address becomes the primary one.
      u.email = rest[0];
      u.extraEmails = rest.slice(1);
      if (u.email === undefined) delete u.email;
    } else if (i.kind === "phone") {
      u.phones = u.phones.filter((p) => p !== i.value);
    } else {
      u.identities = u.identities.filter((x) => !same({ kind: "oauth", value: `${normalizeProvider(x.provider)}${ID_SEP}${x.providerUserId}` }, i));
    }
    this.write(u);
    return "done";
  }

  setPassword(targetId: string, credential: HashCredential): void {
    const u = structuredClone(this.get(targetId));
    u.credential = credential;
    this.write(u);
  }

  /** Removes the user's line; false when there was no such user. */
  delete(targetId: string): boolean {
    if (!this.users().delete(targetId)) return false;
    this.flush();
    return true;
  }
}

function same(a: MirrorIdentifier, b: MirrorIdentifier): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === "email") return a.value.toLowerCase() === b.value.toLowerCase();
  if (a.kind === "oauth") {
    const [pa, ...ra] = a.value.split(ID_SEP);
    const [pb, ...rb] = b.value.split(ID_SEP);
    return normalizeProvider(pa!) === normalizeProvider(pb!) && ra.join(ID_SEP) === rb.join(ID_SEP);
  }
  return a.value === b.value;
}
