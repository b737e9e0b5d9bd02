/** What the serving benchmark sends: wrk Lua scripts and visitor histories cut from stored users. */
import { Prng } from "../random.ts";

/** Windows of 5–50 consecutive movies from stored users' histories (seeded: runs send the same). */
export function visitorHistories(users: readonly (readonly number[])[], n: number): number[][] {
  const rand = new Prng(42);
  const long = users.filter((h) => h.length >= 5);
  return Array.from({ length: n }, () => {
    const h = long[rand.int(long.length)];
    const len = Math.min(h.length, 5 + rand.int(46));
    const start = rand.int(h.length - len + 1);
    return h.slice(start, start + len);
  });
}

// Every run goes through a Lua request() so wrk's own cost per request is the same in all three.
/** wrk scripts: the ceiling, users' recommendations over `ids`, visitor POSTs of `bodies`. */
export const LUA = {
  ceiling: () => `request = function()\n  return wrk.format("GET", "/health")\nend\n`,
  users: (ids: number[]) =>
    `local ids = {${ids.join(",")}}\nrequest = function()\n  return wrk.format("GET", ` +
    `"/api/v1/users/" .. ids[math.random(#ids)] .. "/recommendations?k=10")\nend\n`,
  visitors: (bodies: string[]) =>
    `wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n` +
    `local bodies = {${bodies.map((b) => `'${b}'`).join(",\n")}}\n` +
    `request = function()\n  return wrk.format(nil, nil, nil, bodies[math.random(#bodies)])\nend\n`,
};
