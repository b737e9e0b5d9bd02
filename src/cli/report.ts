/** Terminal renderings shared by train, evaluate and start: metric tables, epoch lines, movie lists. */
import type { EpochLog, Evaluation, FullEvaluation } from "../model/mod.ts";
import type { MovieDisplay } from "../data/queries.ts";
import { formatTable } from "./table.ts";

const f4 = (x: number) => x.toFixed(4);
const pm = (x: number, se: number) => `${f4(x)} ± ${f4(se)}`;

/** One row per scorer: validation NDCG@10, and the test metrics with standard errors. */
export function formatEvaluation(rows: { name: string; evaluation: Evaluation }[]): string {
  return formatTable(
    [
      "model",
      "val NDCG@10",
      "test HR@10",
      "test NDCG@10",
      "test HR@20",
      "test NDCG@20",
      "test MRR",
      "users",
    ],
    rows.map(({ name, evaluation: { validation: v, test: t } }) => [
      name,
      pm(v.ndcg10, v.se.ndcg10),
      pm(t.hr10, t.se.hr10),
      pm(t.ndcg10, t.se.ndcg10),
      pm(t.hr20, t.se.hr20),
      f4(t.ndcg20),
      f4(t.mrr),
      t.users,
    ]),
  );
}

/**
 * Beyond accuracy, one row per scorer and phase: the figures of the top-10 lists, then the
 * tie-aware test line (users whose test movie is strictly later than their validation movie).
 */
export function formatBeyond(rows: { name: string; evaluation: FullEvaluation }[]): string {
  const f1 = (x: number) => x.toFixed(1);
  const table = formatTable(
    ["model", "lists", "coverage@10", "Gini@10", "pop. pct", "novelty", "diversity@10"],
    rows.flatMap(({ name, evaluation: e }) =>
      ([["val", e.validation.beyond], ["test", e.test.beyond], [
        "test, strictly later",
        e.strict.beyond,
      ]] as const)
        .map(([phase, b]) => [
          `${name} (${phase})`,
          b.lists,
          f4(b.coverage),
          f4(b.gini),
          f1(b.popularityPercentile),
          f1(b.novelty),
          b.diversity === null ? null : f4(b.diversity),
        ])
    ),
  );
  const strict = formatTable(
    ["tie-aware test (strictly later)", "users", "HR@10", "NDCG@10", "HR@20", "MRR"],
    rows.map(({ name, evaluation: { strict: s } }) => [
      name,
      s.users,
      pm(s.hr10, s.se.hr10),
      pm(s.ndcg10, s.se.ndcg10),
      f4(s.hr20),
      f4(s.mrr),
    ]),
  );
  return `${table}\n\n${strict}`;
}

/** A progress line for one epoch. */
export function formatEpoch(e: EpochLog): string {
  return `member ${e.member} epoch ${String(e.epoch).padStart(2)}  loss ${
    e.loss.toFixed(4)
  }  val NDCG@10 ${f4(e.valNdcg10)}  ` +
    `val HR@10 ${f4(e.valHr10)}  ${e.seconds.toFixed(1)} s${e.best ? "  *best" : ""}`;
}

/** A numbered list of recommended movies with year and genres. */
export function formatMovies(movies: MovieDisplay[]): string {
  return movies.map((m, i) =>
    `${String(i + 1).padStart(3)}. ${m.title}${m.year ? ` (${m.year})` : ""}` +
    (m.genres.length ? `  — ${m.genres.slice(0, 3).join(", ")}` : "")
  ).join("\n");
}
