/**
 * The online simulation: virtual users browse the API in-process for a bounded number of
 * sessions — ask for recommendations, click what matches their tastes (more likely near the top),
 * watch some of what they clicked — while a canary splits them between production and staging;
 * then the online metrics and the promotion rule are read back through the API.
 */
import { Prng } from "../random.ts";
import type { ArmMetrics } from "./online_metrics.ts";
import type { CanaryVerdict } from "./canary_rule.ts";
import type { SimUser, SimWorld } from "./sim_world.ts";

/** What the simulation needs of the app: Hono's `request`. */
export interface SimApp {
  request(path: string, init?: RequestInit): Response | Promise<Response>;
}

/** Options of one scenario. */
export interface ScenarioOptions {
  /** Sessions per user. */
  sessions: number;
  k: number;
  seed: number;
  share: number;
  shadowShare: number;
  minImpressions: number;
  alpha: number;
  adminToken: string;
  /** Moves the fake clock on (a session takes a minute). */
  advance: (ms: number) => void;
  /** Writes what the server holds in memory (impressions, shadow lists). */
  flush: () => Promise<void>;
}

/** What one scenario showed. */
export interface ScenarioReport {
  production: ArmMetrics | null;
  staging: ArmMetrics | null;
  shadow: { overlap10: number | null; inStagingList: number | null; lists: number } | null;
  verdict: CanaryVerdict & { promoted: boolean };
  requests: number;
}

const json = (body: unknown, token?: string): RequestInit => ({
  method: "POST",
  headers: {
    "content-type": "application/json",
    ...(token ? { authorization: `Bearer ${token}` } : {}),
  },
  body: JSON.stringify(body),
});

async function call<T>(app: SimApp, path: string, init?: RequestInit): Promise<T> {
  const res = await app.request(path, init);
  const text = await res.text();
  if (!res.ok) {
    throw new Error(`${init?.method ?? "GET"} ${path} → ${res.status}: ${text.slice(0, 200)}`);
  }
  return JSON.parse(text) as T;
}

/** How much a movie suits `user`: their genre weights (top genres), or 1 for a movie they would watch anyway. */
export function appeal(user: SimUser, genres: readonly string[], movieId: number): number {
  if (user.future.has(movieId)) return 1;
  let fit = 0;
  for (const g of genres) fit += user.taste.get(g) ?? 0;
  const top = Math.max(...user.taste.values(), 1e-9);
  return Math.min(1, fit / top / Math.sqrt(Math.max(1, genres.length))) * 0.6;
}

/** One session: a list, then clicks and watches top-down with a position bias. Returns requests made. */
async function session(
  app: SimApp,
  world: SimWorld,
  o: { user: SimUser; k: number; rng: Prng; events: { n: number } },
): Promise<number> {
  const { user, rng } = o;
  const answer = await call<{ impressionId: string; items: { id: number }[] }>(
    app,
    "/api/v1/recommendations",
    json({ history: user.history, k: o.k, visitorId: user.visitorId }),
  );
  let requests = 1;
  for (const [i, item] of answer.items.entries()) {
    const examined = rng.next() < Math.pow(0.85, i);
    if (!examined) continue;
    const a = appeal(user, world.genresOf.get(item.id) ?? [], item.id);
    if (rng.next() >= 0.05 + 0.55 * a) continue;
    const base = { visitorId: user.visitorId, movieId: item.id, impressionId: answer.impressionId };
    await call(
      app,
      "/api/v1/events",
      json({ ...base, eventId: `sim-${++o.events.n}`, type: "click" }),
    );
    requests++;
    if (rng.next() < 0.2 + 0.7 * a) {
      await call(
        app,
        "/api/v1/events",
        json({ ...base, eventId: `sim-${++o.events.n}`, type: "watch" }),
      );
      requests++;
      user.history.push(item.id);
    }
  }
  return requests;
}

/** Runs one scenario on the app (staging already set): the canary, the sessions, the read-back. */
export async function runScenario(
  app: SimApp,
  world: SimWorld,
  o: ScenarioOptions,
): Promise<ScenarioReport> {
  const token = o.adminToken;
  await call(app, "/api/v1/online/canary", {
    ...json({
      share: o.share,
      shadowShare: o.shadowShare,
      minImpressions: o.minImpressions,
      alpha: o.alpha,
      autoPromote: false,
      restart: true,
    }, token),
    method: "PUT",
  });
  const rng = new Prng(o.seed);
  const events = { n: o.seed * 1_000_000 };
  // Users keep their own histories per scenario: each starts from what they brought.
  const users = world.users.map((u) => ({ ...u, history: [...u.history] }));
  let requests = 0;
  for (let s = 0; s < o.sessions; s++) {
    o.advance(60_000);
    for (const user of users) requests += await session(app, world, { user, k: o.k, rng, events });
  }
  await o.flush();
  const report = await call<{
    versions: ArmMetrics[];
    shadow: { overlap10: number | null; inStagingList: { value: number | null }; lists: number }[];
  }>(app, `/api/v1/online/metrics?window=1d&k=${o.k}`);
  const verdict = await call<CanaryVerdict & { promoted: boolean }>(
    app,
    "/api/v1/online/canary/evaluate",
    json({}, token),
  );
  const arm = (name: string, version: number | null) =>
    report.versions.find((r) =>
      r.arm === name && r.version === version && r.strategy === "model"
    ) ??
      null;
  const shadow = report.shadow.find((s) => s.lists > 0) ?? null;
  return {
    production: arm("production", verdict.production.version),
    staging: arm("staging", verdict.staging.version),
    shadow: shadow
      ? {
        overlap10: shadow.overlap10,
        inStagingList: shadow.inStagingList.value,
        lists: shadow.lists,
      }
      : null,
    verdict,
    requests: requests + 3,
  };
}
