/**
 * Automatic model selection (issue 15): every requested family trains as a child of one parent run
 * (MLflow's nested runs); the best on validation NDCG@10 is registered as the candidate and goes
 * through the promotion gate like any version. Optionally the MLP family is a budgeted
 * hyperparameter search, one child run per configuration. The pipeline's train task calls
 * {@link trainFamilies} with its `families` DAG parameter.
 */
import type { Context } from "../../context.ts";
import { loadAllMovies } from "../../data/catalog_queries.ts";
import { invalid, isPermanent, ReelrankError } from "../../errors.ts";
import type { Split } from "../../features/split.ts";
import { getLogger } from "../../log.ts";
import { MODEL_NAME, type PromotionDecision } from "../../registry/store.ts";
import { type ActiveRun, withRun } from "../../tracking/run.ts";
import { FAMILIES, type Family } from "../model.ts";
import { loadSplit } from "../training/run.ts";
import { trainEase } from "./ease.ts";
import { type FamilyOptions, type FamilyOutcome, trainFamilyInRun } from "./family_run.ts";
import { runSearch, type SearchSummary, skipSearch } from "./search.ts";

export type { SearchSummary };

const log = getLogger("model/families");

/** Where the best child's checkpoint is logged (the path a training run's checkpoint has). */
export const CHECKPOINT_FILE = "model/model.rrck";

/** The experiment family comparisons are tracked in (the one training runs use). */
export const FAMILIES_EXPERIMENT = "reelrank-train";

/** The MLP search's defaults: configurations tried, budget in EASE fits. */
export const SEARCH_DEFAULTS = { configs: 4, budgetEase: 40, seed: 1 };

/** Options of {@link trainFamilies}. */
export interface TrainFamiliesOptions extends FamilyOptions {
  /** Families to train (default all three); order does not matter. */
  families?: readonly string[];
  /**
   * Opt-in: the MLP family is a search over up to `configs` configurations of the hyperparameter
   * table, stopped before the time spent would exceed `budgetEase` × one EASE fit on this data.
   */
  search?: { configs?: number; budgetEase?: number; seed?: number };
  snapshotId?: string;
  codeVersion?: string;
  /** The split to train on (the pipeline's features); default: the stored interactions, split. */
  split?: Split;
  /** The parent run's id (a pipeline's idempotency key) and tags; default a random id. */
  runId?: string;
  tags?: Record<string, string>;
  /**
   * Register the best and apply the gate (default true); false leaves both to the caller (the
   * pipeline's register and promote tasks), which get the best child's run and checkpoint.
   */
  register?: boolean;
  /** Called after each child run (progress output). */
  onChild?: (child: ChildSummary) => void;
  exitOnSignal?: boolean;
}

/** One child run as the result reports it. */
export interface ChildSummary {
  family: Family;
  runId: string;
  status: "trained" | "skipped" | "failed";
  reason?: string;
  valNdcg10?: number;
  testNdcg10?: number;
  trainSeconds?: number;
  /** The child run's final metrics (accuracy, beyond-accuracy, tie-aware, timings). */
  metrics?: Record<string, number>;
}

/** What a family comparison produced. */
export interface TrainFamiliesResult {
  /** The parent run. */
  runId: string;
  best: ChildSummary;
  children: ChildSummary[];
  /** The best model's checkpoint, an artifact of the best child run (`best.runId`). */
  checkpoint: { key: string; sha256: string; size: number };
  version?: number;
  decision?: PromotionDecision;
  /** Seconds of one EASE fit in the kernel (the search budget's unit), when measured. */
  easeFitSeconds?: number;
  /** The MLP search, when asked for: its budget, what ran, and why it stopped early (if it did). */
  search?: SearchSummary;
  users: number;
  items: number;
}

/** Checks family names: known, at least one, no repeats. */
export function parseFamilies(names: readonly string[]): Family[] {
  const out: Family[] = [];
  for (const raw of names) {
    const f = raw.trim().toLowerCase();
    if (!(FAMILIES as readonly string[]).includes(f)) {
      throw invalid(`unknown family "${raw}", expected some of ${FAMILIES.join(", ")}`);
    }
    if (!out.includes(f as Family)) out.push(f as Family);
  }
  if (out.length === 0) throw invalid(`families must name at least one of ${FAMILIES.join(", ")}`);
  // EASE first: its fit time is the search budget's unit; the MLP last.
  return TRAIN_ORDER.filter((f) => out.includes(f));
}

const TRAIN_ORDER: readonly Family[] = ["ease", "itemknn", "mlp"];

/** Trains the families as child runs of one parent run, registers the best and gates it. */
export async function trainFamilies(
  ctx: Context,
  options: TrainFamiliesOptions = {},
): Promise<TrainFamiliesResult> {
  const families = parseFamilies(options.families ?? FAMILIES);
  const split = options.split ?? await loadSplit(ctx);
  const genres = options.genres ??
    new Map((await loadAllMovies(ctx.db)).map((m) => [m.id, m.genres]));
  const runOpts = { snapshotId: options.snapshotId, codeVersion: options.codeVersion };
  return await withRun(ctx.tracking, async (parent) => {
    await parent.logParams({
      families: families.join(","),
      users: split.users.length,
      items: split.universe.size,
      ...(options.search
        ? { search_configs: options.search.configs ?? SEARCH_DEFAULTS.configs }
        : {}),
    });
    await parent.setTags({ ...options.tags, kind: "family-comparison" });
    const children: ChildSummary[] = [];
    let best: FamilyOutcome | undefined;
    let easeFitSeconds: number | undefined;
    let search: SearchSummary | undefined;
    const child = async (
      family: Family,
      extra: { params?: FamilyOptions["params"]; name?: string } = {},
    ) => {
      let outcome: FamilyOutcome | undefined;
      let runId = "";
      try {
        outcome = await withRun(ctx.tracking, (run: ActiveRun) => {
          runId = run.id;
          return trainFamilyInRun(ctx, split, { ...options, ...extra, genres, family, run });
        }, {
          ...runOpts,
          experiment: FAMILIES_EXPERIMENT,
          name: extra.name ?? family,
          parentRunId: parent.id,
        });
      } catch (err) {
        if (options.signal?.aborted) throw err;
        log.warn("a family failed; the others go on", { family, run_id: runId, error: err });
        const summary: ChildSummary = {
          family,
          runId,
          status: "failed",
          reason: (err as Error).message,
        };
        children.push(summary);
        options.onChild?.(summary);
        return undefined;
      }
      const summary = summarise(outcome);
      children.push(summary);
      options.onChild?.(summary);
      if (outcome.fitSeconds !== undefined) easeFitSeconds = outcome.fitSeconds;
      if (outcome.model && (!best || outcome.metrics.val_ndcg10 > best.metrics.val_ndcg10)) {
        best?.model?.close();
        best = outcome;
      } else {
        outcome.model?.close();
      }
      return outcome;
    };
    try {
      for (const family of families) {
        if (family !== "mlp" || !options.search) {
          await child(family);
          continue;
        }
        const spec = { ...SEARCH_DEFAULTS, ...options.search };
        if (easeFitSeconds === undefined) {
          const unit = await easeYardstick(ctx, split);
          if ("unavailable" in unit) {
            search = await skipSearch(spec, { parent, why: unit.unavailable });
            await child("mlp");
            continue;
          }
          easeFitSeconds = unit.seconds;
        }
        search = await runSearch(spec, {
          parent,
          easeFitSeconds,
          params: options.params,
          train: (params, name) => child("mlp", { params, name }),
        });
      }
      if (!best) {
        throw new ReelrankError(
          "UNAVAILABLE",
          `no family produced a model: ${
            children.map((c) => `${c.family} ${c.status} (${c.reason})`).join("; ")
          }`,
          { permanent: true },
        );
      }
      const b = summarise(best);
      await parent.logMetrics({
        best_val_ndcg10: best.metrics.val_ndcg10,
        ...bestPerFamily(children),
        ...(easeFitSeconds !== undefined ? { ease_fit_seconds: easeFitSeconds } : {}),
      });
      await parent.setTags({ best_family: best.family, best_run: best.runId });
      const bytes = await best.save({ runId: best.runId, snapshotId: options.snapshotId ?? null });
      const artifact = await ctx.tracking.logArtifact(best.runId, CHECKPOINT_FILE, bytes);
      await ctx.tracking.logMetrics(best.runId, [{ key: "checkpoint_bytes", value: bytes.length }]);
      const result: TrainFamiliesResult = {
        runId: parent.id,
        best: b,
        children,
        checkpoint: { key: artifact.key, sha256: artifact.sha256, size: artifact.size },
        easeFitSeconds,
        search,
        users: split.users.length,
        items: split.universe.size,
      };
      if (options.register === false) return result;
      const version = await ctx.registry.registerVersion(MODEL_NAME, {
        artifact: { key: artifact.key, sha256: artifact.sha256, size: artifact.size },
        runId: best.runId,
        snapshotId: options.snapshotId,
        metrics: { ...best.metrics, checkpoint_bytes: bytes.length },
        family: best.family,
      });
      const decision = await ctx.registry.promoteIfBetter(MODEL_NAME, version.version);
      const tags = { model_version: String(version.version), promoted: String(decision.promoted) };
      await parent.setTags(tags);
      await ctx.tracking.setTags(best.runId, tags);
      return { ...result, version: version.version, decision };
    } finally {
      (best as FamilyOutcome | undefined)?.model?.close();
    }
  }, {
    ...runOpts,
    id: options.runId,
    experiment: FAMILIES_EXPERIMENT,
    name: "family comparison",
    exitOnSignal: options.exitOnSignal,
  });
}

// `<family>_val_ndcg10`: each trained family's best child (several under an MLP search).
function bestPerFamily(children: ChildSummary[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of children) {
    if (c.valNdcg10 === undefined) continue;
    const key = `${c.family}_val_ndcg10`;
    out[key] = Math.max(out[key] ?? -Infinity, c.valNdcg10);
  }
  return out;
}

function summarise(o: FamilyOutcome): ChildSummary {
  if (!o.model) return { family: o.family, runId: o.runId, status: "skipped", reason: o.skipped };
  return {
    family: o.family,
    runId: o.runId,
    status: "trained",
    valNdcg10: o.metrics.val_ndcg10,
    testNdcg10: o.metrics.test_ndcg10,
    trainSeconds: o.trainSeconds,
    metrics: o.metrics,
  };
}

/**
 * Seconds of one EASE fit (λ = 50) in the kernel on this data, when EASE itself was not trained;
 * or why none can run (the items × items matrix over REELRANK_FAMILY_MEMORY_MIB).
 */
async function easeYardstick(
  ctx: Pick<Context, "config">,
  split: Split,
): Promise<{ seconds: number } | { unavailable: string }> {
  try {
    const fit = await trainEase(split, {
      threads: ctx.config.threads,
      memoryBytes: ctx.config.familyMemoryMiB * 1048576,
      lambdas: [50],
    });
    fit.model.close();
    return { seconds: fit.fitSeconds! };
  } catch (err) {
    // trainEase refuses a matrix over the limit with a permanent UNAVAILABLE, before any fit.
    if (err instanceof ReelrankError && err.code === "UNAVAILABLE" && isPermanent(err)) {
      return { unavailable: err.message };
    }
    throw err;
  }
}
