/** TMDB v3 client for /genre/movie/list and /movie/popular: rate limited, timed out, retried, key-safe. */
import { invalid, ReelrankError } from "../errors.ts";
import { getLogger } from "../log.ts";
import { tmdbGenreList, type TmdbPage, tmdbPage } from "./contract.ts";
import { RateLimiter, realSleep, type Sleep } from "./rate_limiter.ts";

const log = getLogger("data/tmdb");

/** How to reach TMDB and how patiently. */
export interface TmdbClientOptions {
  /** e.g. `https://api.themoviedb.org/3` (no trailing slash). */
  baseUrl: string;
  /** v3 key, sent as the `api_key` query parameter. */
  apiKey?: string;
  /** v4 read token, sent as `Authorization: Bearer`. Used when both are set. */
  readToken?: string;
  /** Requests per second. */
  rateLimit: number;
  /** Per-request timeout (default 10 s). */
  timeoutMs?: number;
  /** Retries after the first attempt for 429, 5xx, network errors and unreadable bodies (default 5). */
  maxRetries?: number;
  /** First backoff delay, doubled per retry (default 500 ms), capped by `maxBackoffMs` (default 30 s). */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Injectable for tests. */
  fetch?: typeof fetch;
  sleep?: Sleep;
  now?: () => number;
  /** Jitter source in [0, 1) (default Math.random). */
  random?: () => number;
  /** Cancels everything in flight. */
  signal?: AbortSignal;
}

/** Options common to TMDB list endpoints. */
export interface TmdbListOptions {
  /** e.g. "en-US". */
  language?: string;
  /** ISO 3166-1 country code, e.g. "US". */
  region?: string;
}

/** Parses a Retry-After header (seconds or an HTTP date) into milliseconds. */
export function parseRetryAfter(value: string | null, nowMs = Date.now()): number | undefined {
  if (!value) return undefined;
  const s = value.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s) * 1000;
  const at = Date.parse(s);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** A TMDB v3 client. Credentials never appear in its errors or logs. */
export class TmdbClient {
  readonly #o:
    & Required<Omit<TmdbClientOptions, "apiKey" | "readToken" | "signal">>
    & TmdbClientOptions;
  readonly #limiter: RateLimiter;

  constructor(opts: TmdbClientOptions) {
    if (!opts.apiKey && !opts.readToken) {
      throw invalid(
        "TMDB needs credentials: set TMDB_API_KEY (v3 key) or TMDB_READ_TOKEN (v4 token), or use --source movielens",
      );
    }
    this.#o = {
      timeoutMs: 10_000,
      maxRetries: 5,
      backoffMs: 500,
      maxBackoffMs: 30_000,
      fetch: globalThis.fetch.bind(globalThis),
      sleep: realSleep,
      now: () => performance.now(),
      random: Math.random,
      ...opts,
      baseUrl: opts.baseUrl.replace(/\/+$/, ""),
    };
    this.#limiter = new RateLimiter({
      perSecond: opts.rateLimit,
      now: this.#o.now,
      sleep: this.#o.sleep,
    });
  }

  /** The movie genres, id → name. */
  async genres(opts: TmdbListOptions = {}): Promise<Map<number, string>> {
    const body = await this.#get("/genre/movie/list", { language: opts.language });
    const parsed = tmdbGenreList.safeParse(body);
    if (!parsed.success) throw this.#shape("/genre/movie/list", "a genres array of { id, name }");
    return new Map(parsed.data.genres.map((g) => [g.id, g.name]));
  }

  /** One page (1-based) of popular movies; `results` are raw and validated by the caller. */
  async popular(page: number, opts: TmdbListOptions = {}): Promise<TmdbPage> {
    if (!Number.isInteger(page) || page < 1 || page > 500) {
      throw invalid(`TMDB page must be an integer from 1 to 500, got ${page}`);
    }
    const body = await this.#get("/movie/popular", {
      page: String(page),
      language: opts.language,
      region: opts.region,
    });
    const parsed = tmdbPage.safeParse(body);
    if (!parsed.success) {
      throw this.#shape(
        `/movie/popular?page=${page}`,
        "{ page, results[], total_pages, total_results }",
      );
    }
    return parsed.data;
  }

  /** Pages 1..`pages` of popular movies, stopping early at the last page TMDB has. */
  async *popularPages(pages: number, opts: TmdbListOptions = {}): AsyncGenerator<TmdbPage> {
    for (let p = 1; p <= pages; p++) {
      const page = await this.popular(p, opts);
      yield page;
      if (p >= page.total_pages) return;
    }
  }

  #shape(what: string, expected: string): ReelrankError {
    return new ReelrankError(
      "UNAVAILABLE",
      `TMDB answered GET ${what} with JSON of an unexpected shape; expected ${expected}`,
      {
        permanent: true,
      },
    );
  }

  #scrub(text: string): string {
    let out = text;
    for (const s of [this.#o.apiKey, this.#o.readToken]) if (s) out = out.split(s).join("***");
    return out.replace(/api_key=[^&\s)]*/g, "api_key=***");
  }

  async #get(path: string, params: Record<string, string | undefined>): Promise<unknown> {
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== "") query.set(k, v);
    const shown = `${path}${query.size ? `?${query}` : ""}`;
    const headers: Record<string, string> = { accept: "application/json" };
    if (this.#o.readToken) headers.authorization = `Bearer ${this.#o.readToken}`;
    else query.set("api_key", this.#o.apiKey!);
    const url = `${this.#o.baseUrl}${path}?${query}`;
    let failure = "";
    for (let attempt = 0;; attempt++) {
      await this.#limiter.acquire(this.#o.signal);
      let retryAfter: number | undefined;
      const signals = [
        AbortSignal.timeout(this.#o.timeoutMs),
        ...(this.#o.signal ? [this.#o.signal] : []),
      ];
      try {
        const res = await this.#o.fetch(url, { headers, signal: AbortSignal.any(signals) });
        const text = await res.text();
        if (res.ok) {
          try {
            return JSON.parse(text);
          } catch {
            failure =
              `TMDB answered GET ${shown} with malformed JSON (${text.length} bytes starting "${
                this.#scrub(text.slice(0, 40))
              }")`;
          }
        } else if (res.status === 401) {
          throw new ReelrankError(
            "UNAUTHORIZED",
            `TMDB rejected the credentials for GET ${shown} (401: ${
              this.#statusMessage(text)
            }); check TMDB_API_KEY or TMDB_READ_TOKEN`,
            { permanent: true },
          );
        } else if (res.status === 404) {
          throw new ReelrankError(
            "NOT_FOUND",
            `TMDB has no resource at GET ${shown} (404); check TMDB_BASE_URL, got "${this.#o.baseUrl}"`,
          );
        } else if (res.status === 429 || res.status >= 500) {
          failure = `TMDB answered GET ${shown} with HTTP ${res.status}`;
          if (res.status === 429) retryAfter = parseRetryAfter(res.headers.get("retry-after"));
        } else {
          throw new ReelrankError(
            "PERMANENT",
            `TMDB refused GET ${shown} (HTTP ${res.status}: ${this.#statusMessage(text)})`,
          );
        }
      } catch (err) {
        if (err instanceof ReelrankError) throw err;
        if (this.#o.signal?.aborted) {
          throw new ReelrankError("UNAVAILABLE", `TMDB request GET ${shown} was cancelled`, {
            permanent: true,
          });
        }
        const e = err as Error;
        failure = e.name === "TimeoutError"
          ? `TMDB did not answer GET ${shown} within ${this.#o.timeoutMs} ms`
          : `TMDB request GET ${shown} failed: ${this.#scrub(e.message ?? String(e))}`;
      }
      if (attempt >= this.#o.maxRetries) {
        throw new ReelrankError("UNAVAILABLE", `${failure}; gave up after ${attempt + 1} attempts`);
      }
      const backoff = Math.min(this.#o.maxBackoffMs, this.#o.backoffMs * 2 ** attempt);
      const delay = retryAfter ?? backoff / 2 + (backoff / 2) * this.#o.random();
      log.warn("tmdb request failed, retrying", {
        failure,
        attempt: attempt + 1,
        delay_ms: Math.round(delay),
      });
      await this.#o.sleep(delay, this.#o.signal);
    }
  }

  #statusMessage(text: string): string {
    try {
      const msg = (JSON.parse(text) as { status_message?: unknown }).status_message;
      if (typeof msg === "string") return this.#scrub(msg);
    } catch { /* not JSON: fall through */ }
    return "no status message";
  }
}
