/** `deno task recommend --user ID`: the production model's top movies for a user, with titles. */
import type { Config } from "../config.ts";
import { openContext } from "../context.ts";
import { getMovies, getUserHistory } from "../data/queries.ts";
import { notFound } from "../errors.ts";
import { loadModel } from "../serving/current_model.ts";
import { intFlag, parseFlags, runCli, UsageError } from "./args.ts";
import { formatMovies } from "./report.ts";

const HELP = `
deno task recommend — top movies from the production model

  --user ID           a stored user: their watch history is the input
  --movies ID,ID,…    or a history given directly (movie ids, oldest first); none = cold start
  --k N               how many movies [10]
  --model VERSION     use this registered version instead of production
  --json              print JSON
`;

async function main(argv: string[], config: Config): Promise<void> {
  const { values, positionals } = parseFlags(argv, {
    user: { type: "string" },
    movies: { type: "string" },
    k: { type: "string" },
    model: { type: "string" },
    json: { type: "boolean" },
  });
  if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  if (values.user !== undefined && values.movies !== undefined) {
    throw new UsageError("give --user or --movies, not both");
  }
  const k = intFlag("k", values.k, 10);
  if (k > 1000) throw new UsageError(`--k must be at most 1000, got ${k}`);
  const version = values.model === undefined ? undefined : intFlag("model", values.model, 1);
  const user = values.user === undefined ? undefined : intFlag("user", values.user, 1, 0);
  let history: number[] = [];
  if (values.movies !== undefined && values.movies.trim() !== "") {
    history = values.movies.split(",").map((s) => Number(s.trim()));
    if (history.some((id) => !Number.isInteger(id))) {
      throw new UsageError(`--movies must be comma-separated movie ids, got "${values.movies}"`);
    }
  }
  const ctx = await openContext(config);
  try {
    if (user !== undefined) {
      history = await getUserHistory(ctx.db, user);
      if (history.length === 0) {
        throw notFound(
          `user ${user} has no stored interactions; pick another --user or pass --movies`,
        );
      }
    }
    const loaded = await loadModel(ctx, { version });
    const recs = loaded.model.recommend(history, k);
    const movies = await getMovies(ctx.db, recs.map((r) => r.movieId));
    if (values.json) {
      const scores = new Map(recs.map((r) => [r.movieId, r.score]));
      console.log(
        JSON.stringify(
          {
            user: user ?? null,
            modelVersion: loaded.version.version,
            items: movies.map((m) => ({ ...m, score: scores.get(m.id) })),
          },
          null,
          2,
        ),
      );
      return;
    }
    const who = user !== undefined
      ? `user ${user} (${history.length} movies watched)`
      : `a history of ${history.length} movies`;
    console.log(`Top ${k} for ${who}, model version ${loaded.version.version}:`);
    console.log(formatMovies(movies));
  } finally {
    await ctx.close();
  }
}

if (import.meta.main) await runCli(HELP, main);
