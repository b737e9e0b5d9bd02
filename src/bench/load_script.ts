/** The load benchmark's wrk script: a weighted mix of four kinds of requests, each tagged so its answers are counted by kind. */

/** The kinds of traffic, with their share of requests (percent). */
export const MIX = { users: 50, visitors: 20, movies: 20, events: 10 } as const;
export type Kind = keyof typeof MIX;

/** What the mix draws from: stored users, catalogue movies, visitor bodies (JSON). */
export interface MixData {
  users: number[];
  movies: number[];
  visitorBodies: string[];
}

const lua = (s: string) => `'${s.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;

/**
 * The Lua script. Every request carries `X-Request-Id: <kind>-<n>`, which the server echoes, so
 * `response()` knows the kind of each answer whatever connection it came on; `done()` prints one
 * line per kind: `kind <name> <2xx answers> <other answers>`. Event ids start with the nonce given
 * as the script's argument, so two runs never send the same id with another payload.
 */
export function mixScript(data: MixData): string {
  const [u, v, m] = [MIX.users, MIX.users + MIX.visitors, MIX.users + MIX.visitors + MIX.movies];
  return `
local users = {${data.users.join(",")}}
local movies = {${data.movies.join(",")}}
local bodies = {${data.visitorBodies.map(lua).join(",\n")}}
local threads = {}
local json = {["Content-Type"] = "application/json"}

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function init(args)
  nonce = args[1] or "run"
  n = 0
  for _, k in ipairs({"users", "visitors", "movies", "events"}) do
    _G["ok_" .. k] = 0
    _G["bad_" .. k] = 0
  end
end

local function tagged(kind, method, path, headers, body)
  n = n + 1
  local h = headers or {}
  h["X-Request-Id"] = kind .. "-" .. n
  return wrk.format(method, path, h, body)
end

function request()
  local r = math.random(100)
  if r <= ${u} then
    return tagged("users", "GET", "/api/v1/users/" .. users[math.random(#users)] .. "/recommendations?k=10")
  elseif r <= ${v} then
    return tagged("visitors", "POST", "/api/v1/recommendations", {["Content-Type"] = "application/json"}, bodies[math.random(#bodies)])
  elseif r <= ${m} then
    return tagged("movies", "GET", "/movies/" .. movies[math.random(#movies)])
  end
  local body = string.format('{"eventId":"load-%s-%d-%d","userId":%d,"movieId":%d,"type":"watch"}',
    nonce, tid, n + 1, users[math.random(#users)], movies[math.random(#movies)])
  return tagged("events", "POST", "/api/v1/events", {["Content-Type"] = "application/json"}, body)
end

function response(status, headers, body)
  local id = headers["X-Request-Id"] or headers["x-request-id"] or "unknown-0"
  local kind = string.match(id, "^(%a+)-") or "unknown"
  local key = (status >= 200 and status < 300) and "ok_" or "bad_"
  _G[key .. kind] = (_G[key .. kind] or 0) + 1
end

function done(summary, latency, requests)
  for _, k in ipairs({"users", "visitors", "movies", "events", "unknown"}) do
    local ok, bad = 0, 0
    for _, t in ipairs(threads) do
      ok = ok + (t:get("ok_" .. k) or 0)
      bad = bad + (t:get("bad_" .. k) or 0)
    end
    io.write(string.format("kind %s %d %d\\n", k, ok, bad))
  end
end
`;
}

/** Answers by kind, read from the `kind <name> <ok> <bad>` lines of `done()`. */
export function parseKinds(text: string): Record<string, { ok: number; bad: number }> {
  const out: Record<string, { ok: number; bad: number }> = {};
  for (const m of text.matchAll(/^kind (\w+) (\d+) (\d+)$/gm)) {
    out[m[1]] = { ok: Number(m[2]), bad: Number(m[3]) };
  }
  return out;
}
