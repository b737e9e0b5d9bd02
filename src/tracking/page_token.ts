/** Opaque keyset page tokens: base64 JSON of the last row's sort key, bound to the query that made it. */
import { invalid } from "../errors.ts";

/** The position after which the next page starts. `value` is the sort value as text (null sorts last). */
export interface Cursor {
  value: string | null;
  id: string;
}

interface TokenBody extends Cursor {
  /** Fingerprint of the filter and order, so a token cannot be replayed against another query. */
  q: string;
}

/** FNV-1a over the query's JSON: enough to catch a token reused with a different query. */
export function queryFingerprint(query: unknown): string {
  let h = 0x811c9dc5;
  for (const ch of JSON.stringify(query ?? null)) {
    h ^= ch.codePointAt(0)!;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(36);
}

/** Encodes a cursor for `query` as an opaque URL-safe string. */
export function encodePageToken(cursor: Cursor, query: unknown): string {
  const body: TokenBody = { ...cursor, q: queryFingerprint(query) };
  const bytes = new TextEncoder().encode(JSON.stringify(body));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(
    /=+$/,
    "",
  );
}

/** Decodes a token made by `encodePageToken` for the same `query`; anything else is INVALID_PARAMETER. */
export function decodePageToken(token: string, query: unknown): Cursor {
  let body: TokenBody;
  try {
    const b64 = token.replace(/-/g, "+").replace(/_/g, "/");
    const bin = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
    body = JSON.parse(new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0))));
  } catch (cause) {
    throw invalid(
      `pageToken "${token.slice(0, 40)}" is not a token returned by a previous search`,
      { cause },
    );
  }
  if (
    typeof body !== "object" || body === null || typeof body.id !== "string" ||
    !(typeof body.value === "string" || body.value === null)
  ) {
    throw invalid(`pageToken "${token.slice(0, 40)}" is not a token returned by a previous search`);
  }
  if (body.q !== queryFingerprint(query)) {
    throw invalid(
      "pageToken belongs to a search with another filter or order; start again without it",
    );
  }
  return { value: body.value, id: body.id };
}
