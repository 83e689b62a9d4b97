import { AuthmigrateError } from "../errors.js";
import { unpackHash } from "./envelope.js";
import type { AnyHashFormat } from "./format.js";
import { FORMATS, getFormat } from "./registry.js";
import type { HashCandidate, StoredHash } from "./types.js";
import { LIMITS } from "./util.js";

/** All candidates for a stored string, best first; [] when nothing matches. Never throws. */
export function identify(value: string): HashCandidate[] {
  if (typeof value !== "string" || value.length === 0) return [];
  const packed = unpackHash(value);
  if (packed) return getFormat(packed.format) ? [{ format: getFormat(packed.format)!.id, confidence: 1 }] : [];
  const out: HashCandidate[] = [];
  for (const f of FORMATS) {
    let c = 0;
    try {
      c = f.identify(value);
    } catch {
      c = 0;
    }
    if (c > 0) out.push({ format: f.id, confidence: Math.min(1, c) });
  }
  // Stable sort keeps registry order for ties.
  return out.sort((a, b) => b.confidence - a.confidence);
}

export function unsupported(format: string): AuthmigrateError {
  return new AuthmigrateError("HASH_UNSUPPORTED_FORMAT", `Unknown password hash format "${format}"`, {
    hint: "Run `authmigrate hash identify` on a sample value, or see docs/password-formats.md for supported ids.",
    meta: { format },
  });
}

/**
 * Normalises what callers hand us: envelopes are unpacked, `format: "auto"` (or empty) is
 * resolved by identify() when exactly one candidate is certain.
 */
export function resolveStored(stored: StoredHash): { format: AnyHashFormat; value: string; params: Record<string, unknown> } {
  let { format: id, value } = stored;
  let params: Record<string, unknown> = { ...(stored.params ?? {}) };
  if (typeof value !== "string") throw new AuthmigrateError("HASH_PARSE_ERROR", "Stored hash value must be a string", { meta: { format: id } });
  const packed = unpackHash(value);
  if (packed) {
    if (id && id !== "auto" && getFormat(id)?.id !== getFormat(packed.format)?.id && id !== packed.format) {
      throw new AuthmigrateError("HASH_PARSE_ERROR", `Packed hash holds format "${packed.format}", not "${id}"`, {
        meta: { format: id, packedFormat: packed.format },
      });
    }
    id = packed.format;
    value = packed.value;
    params = { ...(packed.params ?? {}), ...params };
  }
  if (!id || id === "auto") {
    const cands = identify(value);
    const top = cands[0];
    if (!top || top.confidence < 1 || (cands[1] && cands[1].confidence >= 1)) {
      throw new AuthmigrateError("HASH_AMBIGUOUS_FORMAT", "Cannot tell the hash format from the value alone", {
        hint: "Set hashes.assume (or --format) to one of the candidates.",
        meta: { candidates: cands.map((c) => c.format) },
      });
    }
    id = top.format;
  }
  const format = getFormat(id);
  if (!format) throw unsupported(id);
  return { format, value, params };
}

export interface VerifyOptions {
  /** Run CPU-heavy formats in the worker pool (default true). */
  pool?: boolean;
}

/** Runs parse + verify in this thread. Used by the worker and by `pool: false`. */
export async function verifyInline(password: string, formatId: string, value: string, params: Record<string, unknown>): Promise<boolean> {
  const format = getFormat(formatId);
  if (!format) throw unsupported(formatId);
  return verifyWith(format, password, value, params);
}

export async function verifyWith(format: AnyHashFormat, password: string, value: string, params: Record<string, unknown>): Promise<boolean> {
  if (typeof password !== "string") throw new AuthmigrateError("HASH_BAD_INPUT", "Password must be a string");
  if (Buffer.byteLength(password, "utf8") > LIMITS.passwordBytes) return false;
  const parsed: unknown = format.parse(value, params);
  if (format.verifiable === false) {
    throw new AuthmigrateError("HASH_UNVERIFIABLE", `Format ${format.id} is recognised but cannot be verified by authmigrate`, {
      hint: "Use lazy migration through the legacy system, or a password reset.",
      meta: { format: format.id },
    });
  }
  return (await format.verify(password, parsed)) === true;
}

export function isHeavy(format: AnyHashFormat, value: string, params: Record<string, unknown>): boolean {
  if (typeof format.heavy === "function") {
    try {
      return format.heavy(format.parse(value, params));
    } catch {
      return false;
    }
  }
  return format.heavy === true;
}
