/**
 * The `recommend` DAG's run parameters: one table (name → type, default, help, task). Adding a
 * parameter is one line here; training flags come from the one hyperparameter table.
 */
import { FAMILIES, SEARCH_DEFAULTS } from "../src/model/mod.ts";
import { type ParamTable, trainingParams } from "../src/pipeline/params.ts";

/** The bundled MovieLens data set. */
export const BUNDLED_MOVIELENS = new URL("../data/ml-latest-small", import.meta.url).pathname;

/** Every parameter of a `recommend` run. */
export const RECOMMEND_PARAMS: ParamTable = {
  source: {
    type: "enum",
    values: ["movielens", "tmdb", "synthetic", "none"],
    default: "movielens",
    help: "where ingest reads: a MovieLens folder, TMDB popular movies, virtual users, or nothing",
    task: "ingest",
  },
  path: {
    type: "string",
    default: BUNDLED_MOVIELENS,
    help: "the MovieLens folder (source movielens)",
    task: "ingest",
  },
  pages: {
    type: "int",
    default: 5,
    min: 1,
    max: 500,
    help: "TMDB pages of 20 popular movies (source tmdb)",
    task: "ingest",
  },
  users: {
    type: "int",
    default: 200,
    min: 0,
    max: 1_000_000,
    help: "virtual users to generate (source tmdb or synthetic)",
    task: "ingest",
  },
  "movies-per-user": {
    type: "int",
    default: 30,
    min: 1,
    max: 10_000,
    help: "movies each virtual user watches",
    task: "ingest",
  },
  "data-seed": {
    type: "int",
    default: 42,
    min: 0,
    max: 2 ** 31 - 1,
    help: "seed of the virtual users",
    task: "ingest",
  },
  families: {
    type: "list",
    values: FAMILIES,
    default: FAMILIES.join(","),
    help: "model families trained as child runs of one parent run; the best on validation " +
      "NDCG@10 is the candidate",
    task: "train",
  },
  search: {
    type: "int",
    default: 0,
    min: 0,
    max: 32,
    help: "opt-in: the MLP family is a search over this many configurations of the " +
      "hyperparameter table, each a child run (0: one MLP with the training parameters)",
    task: "train",
  },
  "search-budget": {
    type: "number",
    default: SEARCH_DEFAULTS.budgetEase,
    min: 0,
    max: 100_000,
    help: "the search's time budget in EASE fits on this data (no new configuration starts once " +
      "it would be exceeded)",
    task: "train",
  },
  ...trainingParams("train"),
  "canary-percent": {
    type: "int",
    default: 0,
    min: 0,
    max: 100,
    help: "above 0: the new version goes to staging, served to this percentage of users (a " +
      "canary judged online), instead of through the offline gate to production",
    task: "promote",
  },
  k: {
    type: "int",
    default: 20,
    min: 1,
    max: 100,
    help: "movies per user in the batch recommendations",
    task: "publish",
  },
};
