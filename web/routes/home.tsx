/** Home: pick a user by id or browse as a visitor; the recommendation grid island. */
import { Hono } from "hono";
import type { AppDeps } from "../../src/api/deps.ts";
import { getUserSummary } from "../../src/data/catalog_queries.ts";
import { invalid } from "../../src/errors.ts";
import { ASSET_PREFIX, type AssetManifest } from "../assets.ts";
import { cardMovie } from "../components/movie_card.tsx";
import { Island } from "../island.tsx";
import RecommendationGrid, { type GridProps } from "../islands/RecommendationGrid.tsx";
import { page } from "./page.ts";

/** Cards on the home page. */
export const HOME_K = 10;

/** What the home page shows. */
export interface HomeData {
  grid: GridProps;
  /** Movies the user has, when a user was picked and is known. */
  interactions: number | null;
}

/** Parses `?user=` (absent: a visitor). */
export function parseUser(raw: string | undefined): number | null {
  if (raw === undefined || raw.trim() === "") return null;
  const id = Number(raw);
  if (!Number.isSafeInteger(id) || id <= 0) {
    throw invalid(`user: expected a positive integer id, got ${JSON.stringify(raw)}`);
  }
  return id;
}

/**
 * The loader: the same services as GET /users/{id}/recommendations?explain=true; visitors start
 * from popular movies. Either answer is recorded as an impression, as the API's are. `kernelUrl` is where their browser finds the kernel to rank on its own.
 */
export async function loadHome(
  deps: AppDeps,
  query: { user: number | null; genre: string | null },
  options: { kernelUrl?: string | null } = {},
): Promise<HomeData> {
  const catalog = deps.serving.catalog();
  const genres = Object.keys(catalog.genres()).sort();
  const genre = query.genre && genres.includes(query.genre) ? query.genre : null;
  const o = { k: HOME_K, genre: genre ?? undefined, explain: true };
  let answer;
  let interactions = null;
  if (query.user !== null) {
    answer = await deps.serving.recommendations.forUser(query.user, o);
    interactions = (await getUserSummary(deps.db, query.user, { recent: 0 }))?.interactions ?? null;
  } else {
    // The same list for every visitor, but shown all the same: an impression like the API's answers.
    answer = deps.serving.recommendations.popular(o);
  }
  return {
    grid: {
      userId: query.user,
      k: HOME_K,
      genre,
      genres,
      answer: {
        strategy: answer.strategy,
        modelVersion: answer.modelVersion,
        impressionId: answer.impressionId,
        items: answer.items.map(cardMovie),
      },
      kernelUrl: options.kernelUrl ?? null,
    },
    interactions,
  };
}

/** The page. */
export function HomePage({ data }: { data: HomeData }) {
  const user = data.grid.userId;
  return (
    <>
      <h1>{user === null ? "Movies for a visitor" : `Movies for user ${user}`}</h1>
      <form class="picker" method="get" action="/">
        <label>
          User id{" "}
          <input type="number" name="user" min={1} step={1} required value={user ?? undefined} />
        </label>
        <button type="submit">Show recommendations</button>
        <a href="/">Browse as a visitor</a>
      </form>
      {user !== null && data.interactions !== null
        ? (
          <p class="lead">
            User {user} has {data.interactions.toLocaleString("en-US")} movies in their history.
          </p>
        )
        : null}
      {user === null
        ? (
          <p class="lead">
            As a visitor, what you mark watched stays in this browser. When the browser can run the
            model, your movies are ranked right here and never sent; otherwise they are sent only to
            ask the server for recommendations.
          </p>
        )
        : null}
      <Island name="RecommendationGrid" component={RecommendationGrid} props={data.grid} />
    </>
  );
}

/** GET /. */
export function homeRoutes(deps: AppDeps, manifest: () => AssetManifest) {
  return new Hono().get("/", async (c) => {
    const user = parseUser(c.req.query("user"));
    const kernel = manifest().kernel;
    const data = await loadHome(deps, { user, genre: c.req.query("genre") ?? null }, {
      kernelUrl: kernel ? ASSET_PREFIX + kernel : null,
    });
    const title = user === null ? "Recommendations" : `User ${user}`;
    return page(c, <HomePage data={data} />, { title, section: "home", manifest: manifest() });
  });
}
