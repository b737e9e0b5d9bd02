/** Content negotiation for downloads: whether a client takes gzip, whether its cached copy is current. */

/** True when `header` (an Accept-Encoding value) accepts gzip: named, or else `*`, with q > 0. */
export function acceptsGzip(header: string | undefined): boolean {
  const q = new Map<string, number>();
  for (const part of (header ?? "").split(",")) {
    const [name, ...params] = part.trim().toLowerCase().split(";").map((x) => x.trim());
    const weight = params.find((p) => p.startsWith("q="));
    q.set(name, weight === undefined ? 1 : Number(weight.slice(2)));
  }
  return (q.get("gzip") ?? q.get("*") ?? 0) > 0;
}

/** If-None-Match with weak comparison (RFC 9110 §13.1.2): any listed tag with this opaque value. */
export function matches(header: string | undefined, sha: string): boolean {
  if (!header) return false;
  return header.split(",").some((t) => {
    const tag = t.trim().replace(/^W\//, "");
    return tag === "*" || tag === `"${sha}"`;
  });
}
