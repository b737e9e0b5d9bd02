/** Canary assignment: a stable hash of the user or visitor id puts each one in the same arm every time. */

/** FNV-1a (32-bit) of `text`'s UTF-8 bytes, mapped to [0, 1). */
export function unitHash(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    h ^= byte;
    h = Math.imul(h, 0x01000193);
  }
  // FNV's low bits mix poorly for short keys that differ in their last byte: a final avalanche
  // (murmur3's fmix32) spreads them before the value is read as a fraction.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

/** The key a subject is hashed under: users and visitors never share one. */
export function subjectKey(
  who: { userId?: number | null; visitorId?: string | null },
): string | null {
  if (who.userId !== undefined && who.userId !== null) return `u:${who.userId}`;
  if (who.visitorId) return `v:${who.visitorId}`;
  return null;
}

/**
 * True when the subject falls in the canary (`share` of subjects, 0..1). The model name salts the
 * hash so the shadow sample (salted differently) is independent of the canary split.
 */
export function inShare(key: string | null, share: number, salt = "canary"): boolean {
  if (key === null || share <= 0) return false;
  return unitHash(`${salt}|${key}`) < share;
}
