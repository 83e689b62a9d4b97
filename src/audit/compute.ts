import { getFormat } from "../hashes/index.js";
import type { IssueCode } from "../mapping/issues.js";
import type { MappedRecord } from "../mapping/map-user.js";
import { normalizeEmail } from "../mapping/normalize.js";
import type { MigrationUser } from "../model/user.js";

/**
 * The pre-migration audit (seed 000, "Audit Existing Users"), computed from the mapped record
 * stream of any source. Memory grows with the number of distinct emails only: records are
 * counted and dropped, never kept.
 */

export const ACTIVITY_BUCKETS = ["active_30d", "active_90d", "inactive_1y", "dormant"] as const;
export type ActivityBucket = (typeof ACTIVITY_BUCKETS)[number];

/** Label shown for a missing role / org / raw value. */
export const NONE = "(none)";

const DAY_MS = 86_400_000;
/** Upper edge (days ago, exclusive) of each bucket, as in the seed's `LastLoginDate > DATEADD(day, -N, GETDATE())`. */
export const BUCKET_DAYS: Readonly<Record<Exclude<ActivityBucket, "dormant">, number>> = {
  active_30d: 30,
  active_90d: 90,
  inactive_1y: 365,
};

export interface CountWithSamples {
  count: number;
  /** Up to `sampleSize` externalIds (or locations when there is no id), in source order. */
  samples: string[];
}

export interface RoleCount {
  /** Target role name after mapping.roles (`org_owner`), or `(none)`. */
  role: string;
  /** The legacy value (`1`), or `(none)`. */
  raw: string;
  users: number;
  active: number;
}

export interface OrgCount {
  /** Organization externalId after mapping.tenants, or `(none)` for users without a membership. */
  org: string;
  users: number;
  active: number;
}

export interface PasswordFormatCount {
  /** Hash format id (`bcrypt`, `pbkdf2-keycloak-json`…), `none` (no password) or `unrecognised`. */
  format: string;
  /** Format family (`bcrypt`, `pbkdf2`…) when the format is known to the hash engine. */
  family?: string;
  users: number;
}

export interface DuplicateGroup {
  /** Normalized (trimmed, lower-cased) email shared by the records. */
  email: string;
  /** externalIds in source order; the first is the one `validation.duplicates.keep: first` migrates. */
  externalIds: string[];
}

export interface FailedSample {
  location: string;
  code: string;
  message: string;
}

/** JSON-serializable: dates are ISO strings, maps are arrays or plain objects. */
export interface AuditReport {
  version: 1;
  /** Human description of the source (never contains a password). */
  source: string;
  /** Activity buckets are relative to this instant (ISO). */
  asOf: string;
  generatedAt: string;
  totals: {
    /** Every record the source produced, including those that failed to map. */
    records: number;
    /** Records that became a user. */
    users: number;
    /** Users with status `active`. */
    active: number;
    /** Users with status `disabled` (legacy inactive flag). */
    inactive: number;
    /** Records that produced no user (see `failed`). */
    failed: number;
  };
  /** By (mapped role, raw role), all users, with how many of them are active. Sorted by users desc. */
  roles: RoleCount[];
  duplicates: {
    /** Emails shared by more than one user. */
    groups: number;
    /** Users beyond the first in each group (what would be skipped or merged). */
    extraRecords: number;
    /** Every group, largest first. */
    list: DuplicateGroup[];
  };
  emails: {
    /** Users without an email (`no_email`): they cannot be migrated. */
    missing: CountWithSamples;
    /** Users whose email is not a valid address (`invalid_email`). */
    invalid: CountWithSamples;
  };
  /** Users with a name longer than validation.names.maxLength (`name_too_long`). */
  namesTooLong: CountWithSamples & { byField: Record<string, number> };
  /** Active users only, by last login relative to `asOf` (never logged in = dormant). */
  activity: Record<ActivityBucket, number> & { neverLoggedIn: number };
  /** Every user, by credential. Sorted by users desc. */
  passwords: PasswordFormatCount[];
  /** Every user, by organization membership (a user in two orgs counts in both). Sorted by users desc. */
  orgs: OrgCount[];
  /** Records that produced no user, by issue code (error-severity codes of those records). */
  failed: {
    records: number;
    byCode: Record<string, number>;
    samples: FailedSample[];
  };
  /** Every issue on every record, by code (warnings included). */
  issues: Record<string, number>;
}

export interface AuditOptions {
  /** "Now" for the activity buckets. */
  asOf: Date;
  /** Source description to put in the report. */
  source?: string;
  /** How many sample ids to keep per category (default 20). */
  sampleSize?: number;
  /** Called after each record with the running count (for progress output). Keep it cheap. */
  onRecord?: (count: number) => void;
  /** Clock for `generatedAt` (tests). */
  now?: () => Date;
}

class Counter<K> {
  readonly map = new Map<K, number>();
  add(key: K, by = 1): void {
    this.map.set(key, (this.map.get(key) ?? 0) + by);
  }
}

function pushSample(s: CountWithSamples, id: string, max: number): void {
  s.count++;
  if (s.samples.length < max) s.samples.push(id);
}

/** The target role a mapped user ended up with (membership roles, else metadata.role as the mapper stores it). */
export function mappedRole(user: MigrationUser): string | undefined {
  for (const m of user.memberships) if (m.roles[0]) return m.roles[0];
  const r = user.metadata.role;
  return typeof r === "string" && r !== "" ? r : undefined;
}

/** Which activity bucket an active user falls in; strict `>` edges like the seed's SQL. */
export function activityBucket(lastLoginAt: Date | undefined, asOf: Date): ActivityBucket {
  if (!lastLoginAt) return "dormant";
  const t = lastLoginAt.getTime();
  const now = asOf.getTime();
  if (t > now - BUCKET_DAYS.active_30d * DAY_MS) return "active_30d";
  if (t > now - BUCKET_DAYS.active_90d * DAY_MS) return "active_90d";
  if (t > now - BUCKET_DAYS.inactive_1y * DAY_MS) return "inactive_1y";
  return "dormant";
}

const sortByUsers = <T extends { users: number }>(key: (t: T) => string) => (a: T, b: T) =>
  b.users - a.users || (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);

export async function auditUsers(records: AsyncIterable<MappedRecord> | Iterable<MappedRecord>, opts: AuditOptions): Promise<AuditReport> {
  if (!(opts.asOf instanceof Date) || Number.isNaN(opts.asOf.getTime())) throw new TypeError("auditUsers: asOf must be a valid Date");
  const sampleSize = opts.sampleSize ?? 20;
  const totals = { records: 0, users: 0, active: 0, inactive: 0, failed: 0 };
  const roles = new Map<string, RoleCount>();
  const orgs = new Map<string, OrgCount>();
  const passwords = new Counter<string>();
  const issues = new Counter<string>();
  const failedByCode = new Counter<string>();
  const failedSamples: FailedSample[] = [];
  const activity = { active_30d: 0, active_90d: 0, inactive_1y: 0, dormant: 0, neverLoggedIn: 0 };
  const missing: CountWithSamples = { count: 0, samples: [] };
  const invalid: CountWithSamples = { count: 0, samples: [] };
  const namesTooLong: CountWithSamples & { byField: Record<string, number> } = { count: 0, samples: [], byField: {} };
  // normalized email -> first externalId, or every externalId once a second one shows up.
  const emails = new Map<string, string | string[]>();

  for await (const rec of records) {
    totals.records++;
    const id = rec.externalId ?? rec.user?.externalId ?? rec.location;
    const codes = new Set<IssueCode>();
    for (const issue of rec.issues) {
      issues.add(issue.code);
      codes.add(issue.code);
      if (issue.code === "name_too_long") {
        const f = issue.field ?? "name";
        namesTooLong.byField[f] = (namesTooLong.byField[f] ?? 0) + 1;
      }
    }
    if (codes.has("no_email")) pushSample(missing, id, sampleSize);
    if (codes.has("invalid_email")) pushSample(invalid, id, sampleSize);
    if (codes.has("name_too_long")) pushSample(namesTooLong, id, sampleSize);

    const user = rec.skipped === undefined ? rec.user : undefined;
    if (!user) {
      totals.failed++;
      const errors = rec.issues.filter((i) => i.severity === "error");
      const failCodes = errors.length > 0 ? [...new Set(errors.map((i) => i.code))] : ["unmapped"];
      for (const c of failCodes) failedByCode.add(c);
      if (failedSamples.length < sampleSize) {
        const first = errors[0];
        failedSamples.push({ location: rec.location, code: first?.code ?? "unmapped", message: first?.message ?? "record produced no user" });
      }
      opts.onRecord?.(totals.records);
      continue;
    }

    totals.users++;
    const active = user.status === "active";
    if (active) totals.active++;
    else totals.inactive++;

    const role = mappedRole(user) ?? NONE;
    const rawRole = rec.raw.role ?? NONE;
    const roleKey = `${role}\u0000${rawRole}`;
    const rc = roles.get(roleKey) ?? { role, raw: rawRole, users: 0, active: 0 };
    rc.users++;
    if (active) rc.active++;
    roles.set(roleKey, rc);

    const orgIds = user.memberships.length > 0 ? [...new Set(user.memberships.map((m) => m.orgExternalId))] : [NONE];
    for (const org of orgIds) {
      const oc = orgs.get(org) ?? { org, users: 0, active: 0 };
      oc.users++;
      if (active) oc.active++;
      orgs.set(org, oc);
    }

    if (user.credential.kind === "hash") passwords.add(user.credential.format);
    else passwords.add(codes.has("unknown_hash_format") ? "unrecognised" : "none");

    if (active) {
      if (!user.lastLoginAt) activity.neverLoggedIn++;
      activity[activityBucket(user.lastLoginAt, opts.asOf)]++;
    }

    const email = normalizeEmail(user.email);
    if (email !== undefined) {
      const seen = emails.get(email);
      if (seen === undefined) emails.set(email, user.externalId);
      else if (typeof seen === "string") emails.set(email, [seen, user.externalId]);
      else seen.push(user.externalId);
    }
    opts.onRecord?.(totals.records);
  }

  const groups: DuplicateGroup[] = [];
  for (const [email, ids] of emails) if (Array.isArray(ids)) groups.push({ email, externalIds: ids });
  groups.sort((a, b) => b.externalIds.length - a.externalIds.length || (a.email < b.email ? -1 : a.email > b.email ? 1 : 0));

  return {
    version: 1,
    source: opts.source ?? "(records)",
    asOf: opts.asOf.toISOString(),
    generatedAt: (opts.now?.() ?? new Date()).toISOString(),
    totals,
    roles: [...roles.values()].sort(sortByUsers((r) => `${r.role}\u0000${r.raw}`)),
    duplicates: {
      groups: groups.length,
      extraRecords: groups.reduce((n, g) => n + g.externalIds.length - 1, 0),
      list: groups,
    },
    emails: { missing, invalid },
    namesTooLong,
    activity,
    passwords: [...passwords.map]
      .map(([format, users]): PasswordFormatCount => {
        const family = format === "none" || format === "unrecognised" ? undefined : getFormat(format)?.family;
        return { format, ...(family !== undefined ? { family } : {}), users };
      })
      .sort(sortByUsers((p) => p.format)),
    orgs: [...orgs.values()].sort(sortByUsers((o) => o.org)),
    failed: { records: totals.failed, byCode: Object.fromEntries(failedByCode.map), samples: failedSamples },
    issues: Object.fromEntries(issues.map),
  };
}
