import type { TargetUserRecord } from "../targets/types.js";
import type { DriftKind, FieldDiff } from "./types.js";

export type Comparable = Omit<TargetUserRecord, "targetId">;

const sameList = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);
const sorted = (a: readonly string[] | undefined): string[] => [...(a ?? [])].sort();

/**
 * Field-by-field comparison of what the legacy user should look like in the target and what the
 * target holds. A field the target does not store (undefined on either side) is not compared;
 * an absent profile value equals "".
 */
export function compareRecords(legacy: Comparable, target: Comparable): Partial<Record<DriftKind, FieldDiff[]>> {
  const out: Partial<Record<DriftKind, FieldDiff[]>> = {};
  const add = (kind: DriftKind, d: FieldDiff): void => void (out[kind] ??= []).push(d);

  for (const field of new Set([...Object.keys(legacy.profile), ...Object.keys(target.profile)])) {
    const l = legacy.profile[field] ?? "";
    const t = target.profile[field] ?? "";
    if (l !== t) add("profile", { field, legacy: l, target: t });
  }
  if (legacy.disabled !== undefined && target.disabled !== undefined && legacy.disabled !== target.disabled) {
    add("profile", { field: "disabled", legacy: legacy.disabled, target: target.disabled });
  }

  const ids: [string, string[] | undefined, string[] | undefined][] = [
    ["emails", legacy.emails, target.emails],
    ["phones", legacy.phones, target.phones],
    ["identities", legacy.identities, target.identities],
  ];
  for (const [field, l, t] of ids) {
    if (l === undefined || t === undefined) continue;
    if (!sameList(sorted(l), sorted(t))) add("identifiers", { field, legacy: sorted(l), target: sorted(t) });
  }

  if (legacy.memberships && target.memberships) {
    for (const org of new Set([...Object.keys(legacy.memberships), ...Object.keys(target.memberships)])) {
      const l = legacy.memberships[org];
      const t = target.memberships[org];
      if (!l || !t || !sameList(sorted(l), sorted(t))) add("org_role", { field: `org:${org}`, legacy: l ?? null, target: t ?? null });
    }
  }
  return out;
}
