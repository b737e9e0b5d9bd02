/** Shared by the security tests: the operations of /openapi.json, with their paths filled in. */
import type { Hono } from "hono";

/** One operation of the OpenAPI document. */
export interface Operation {
  method: string;
  /** The OpenAPI path, e.g. `/api/v1/models/{version}/promote`. */
  path: string;
  /** Whether the document says the operation needs the admin token. */
  admin: boolean;
  parameters: { name: string; in: string; required?: boolean; schema?: Record<string, unknown> }[];
  body?: Record<string, unknown>;
}

/** Every operation /openapi.json describes (the routes a client can call). */
export async function operations(app: Pick<Hono, "request">): Promise<Operation[]> {
  const doc = await (await app.request("/openapi.json")).json();
  const out: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, unknown>>)) {
    for (const [method, raw] of Object.entries(item)) {
      const op = raw as {
        security?: Record<string, unknown>[];
        parameters?: Operation["parameters"];
        requestBody?: { content?: Record<string, { schema?: Record<string, unknown> }> };
      };
      out.push({
        method: method.toUpperCase(),
        path,
        admin: (op.security ?? []).some((s) => "adminToken" in s),
        parameters: op.parameters ?? [],
        body: op.requestBody?.content?.["application/json"]?.schema,
      });
    }
  }
  return out;
}

/** Percent-encodes `s`; a lone surrogate (not encodable) becomes the bytes of one: invalid UTF-8. */
function encode(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return s.split("").map((ch) => {
      try {
        return encodeURIComponent(ch);
      } catch {
        return "%ED%A0%80";
      }
    }).join("");
  }
}

/** The path with every `{param}` replaced (default: 1). */
export function fill(path: string, values: Record<string, string> = {}): string {
  return path.replace(/\{(\w+)\}/g, (_, name: string) => encode(values[name] ?? "1"));
}

/** Methods that change nothing (RFC 9110's safe methods). */
export const SAFE = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * State-changing operations open to anyone, each with the reason; every other one must need the
 * admin token. A new route is admin unless it is added here on purpose.
 */
export const PUBLIC_WRITES: Record<string, string> = {
  "POST /api/v1/recommendations":
    "scores a visitor's history for the site; appends only the answer's impression",
  "POST /api/v1/events":
    "a user's watch or rating, sent by the site's Watched button; validated, stored once per eventId",
  "POST /api/v1/impressions":
    "what a visitor's browser showed (movie ids and model version, validated), for online metrics",
};
