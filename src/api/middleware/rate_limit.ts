/** A token bucket per client: the admin routes' limit on requests (and on guesses of the token). */
import type { Context } from "hono";

/** The limiter's verdict on one request. */
export type Verdict = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/** Options of {@link rateLimiter}. */
export interface RateLimitOptions {
  /** Requests per minute per client, also the burst allowed at once. */
  perMinute: number;
  /** The clock buckets refill by (tests pass a fake one). */
  clock: () => Date;
  /** Clients remembered at most; the longest-idle are forgotten first (default 10,000). */
  maxClients?: number;
}

/** Takes one token from a client's bucket. */
export interface RateLimiter {
  take(client: string): Verdict;
}

/**
 * A bucket of `perMinute` tokens per client, refilled continuously at `perMinute` per minute. The
 * map of clients is bounded, so a flood of addresses costs memory only up to `maxClients`.
 */
export function rateLimiter(options: RateLimitOptions): RateLimiter {
  const { perMinute, clock } = options;
  const maxClients = options.maxClients ?? 10_000;
  const perMs = perMinute / 60_000;
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    take(client) {
      const now = clock().getTime();
      const last = buckets.get(client);
      const tokens = last ? Math.min(perMinute, last.tokens + (now - last.at) * perMs) : perMinute;
      buckets.delete(client); // re-inserted below: the map's order is least recently seen first
      if (buckets.size >= maxClients) buckets.delete(buckets.keys().next().value!);
      if (tokens < 1) {
        buckets.set(client, { tokens, at: now });
        return {
          allowed: false,
          retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / perMs / 1000)),
        };
      }
      buckets.set(client, { tokens: tokens - 1, at: now });
      return { allowed: true };
    },
  };
}

/**
 * The client's address as the socket saw it (Deno.serve passes it in `c.env`). Behind a reverse
 * proxy every client shares the proxy's address; X-Forwarded-For is not trusted, since any
 * client can write it.
 */
export function clientAddress(c: Context): string {
  const addr = (c.env as { remoteAddr?: { hostname?: string } } | undefined)?.remoteAddr;
  return addr?.hostname ?? "local";
}
