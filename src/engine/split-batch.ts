import type { UserWrite } from "../targets/types.js";

/**
 * Split a batch so each part stays under the target's body limit. The size of a user's JSON is
 * a good proxy for what the target's payload costs; `headroom` leaves room for the envelope and
 * the target's own field names. A single user larger than the limit goes alone (the target then
 * reports it, rather than the engine dropping it).
 */
export function splitByBytes<T extends { w: UserWrite }>(items: T[], maxBytes: number | undefined, headroom = 0.8): T[][] {
  if (!maxBytes || items.length <= 1) return [items];
  const budget = maxBytes * headroom;
  const parts: T[][] = [];
  let current: T[] = [];
  let size = 0;
  for (const item of items) {
    const bytes = Buffer.byteLength(JSON.stringify(item.w.user));
    if (current.length && size + bytes > budget) {
      parts.push(current);
      current = [];
      size = 0;
    }
    current.push(item);
    size += bytes;
  }
  if (current.length) parts.push(current);
  return parts;
}
