/** The model-registry interface: registered models, numbered versions, aliases with history, promotion decisions. */
import type { Sql } from "../db/types.ts";

/** The registered model name reelrank trains and serves. */
export const MODEL_NAME = "reelrank";

/**
 * The NOTIFY channel an alias move announces itself on (payload: the model name), delivered when
 * the moving transaction commits: servers re-read the alias and load the new version.
 */
export const ALIAS_CHANNEL = "reelrank_aliases";

/** The alias serving reads; the promotion gate and rollback move it. */
export const PRODUCTION = "production";
/** The metric the gate compares unless told otherwise: validation NDCG@10 (shared/EVALUATION.md). */
export const DEFAULT_GATE_METRIC = "val_ndcg10";

/** One immutable version of a model: its artifact and its lineage. */
export interface ModelVersion {
  model: string;
  /** 1, 2, 3… per model, allocated without gaps under concurrent registration. */
  version: number;
  /** Object-store key of the artifact (a checkpoint). */
  artifactKey: string;
  /** Hex sha256 of the artifact, verified on every load. */
  sha256: string;
  size: number;
  /** The tracking run that produced it. */
  runId: string | null;
  /** The data snapshot it was trained on. */
  snapshotId: string | null;
  /** Evaluation results, e.g. `{ val_ndcg10: 0.071, test_ndcg10: 0.072 }`. */
  metrics: Record<string, number>;
  /** The model family (`mlp`, `ease`, `itemknn`); null for versions registered before families. */
  family: string | null;
  description: string;
  createdAt: Date;
  /** Aliases currently pointing at this version, e.g. `["production"]`. */
  aliases: string[];
}

/** A model name with its latest version number and current aliases. */
export interface RegisteredModel {
  name: string;
  createdAt: Date;
  /** 0 when no version exists yet. */
  latestVersion: number;
  /** alias → version. */
  aliases: Record<string, number>;
}

/** How an alias came to move. */
export type AliasChangeKind = "set" | "promote" | "gate" | "rollback";

/** One recorded alias move; `toVersion` is null when the alias was removed. */
export interface AliasChange {
  id: number;
  model: string;
  alias: string;
  fromVersion: number | null;
  toVersion: number | null;
  kind: AliasChangeKind;
  reason: string;
  changedAt: Date;
}

/** The gate's optional coverage guard: catalogue coverage may drop by at most `tolerance`. */
export interface CoverageGuardOptions {
  /** Absolute drop allowed, e.g. 0.02 = two percentage points of the catalogue. */
  tolerance: number;
  /** The coverage metric compared (default `val_coverage10`: validation lists, never test). */
  metric?: string;
}

/** The coverage guard's check as recorded with a decision. */
export interface CoverageGuard {
  metric: string;
  tolerance: number;
  candidateValue: number | null;
  productionValue: number | null;
  passed: boolean;
}

/** What the promotion gate decided, with both numbers and why. */
export interface PromotionDecision {
  id: number;
  model: string;
  version: number;
  metric: string;
  /** The candidate's metric value, null when it has none (never promoted then). */
  candidateValue: number | null;
  /** The production version at decision time, null when there was none. */
  productionVersion: number | null;
  productionValue: number | null;
  promoted: boolean;
  reason: string;
  /** The coverage guard's check; null when no guard is configured or the metric already lost. */
  guard: CoverageGuard | null;
  decidedAt: Date;
}

/** The artifact of a new version: bytes to store, or an object already stored (e.g. a run artifact). */
export type ArtifactSource = Uint8Array | { key: string; sha256: string; size: number };

/** What `registerVersion` records besides the artifact. */
export interface RegisterVersionOptions {
  artifact: ArtifactSource;
  runId?: string;
  snapshotId?: string;
  metrics?: Record<string, number>;
  /** The model family the artifact holds (its checkpoint's manifest names it too). */
  family?: string;
  description?: string;
}

/**
 * Stores model versions and moves aliases. Methods throw a `ReelrankError`: NOT_FOUND for an
 * unknown model or version, INVALID_PARAMETER for a bad argument, CONFLICT for a move that
 * cannot be made (e.g. nothing to roll back to), CORRUPT for an artifact whose bytes changed.
 */
export interface ModelRegistry {
  /**
   * Registers the next version of `model` (creating the model on first use). Bytes are written
   * to the object store first, keyed by their sha256. Registering the same artifact from the same
   * run again returns the existing version, so a retried pipeline task never adds a duplicate.
   */
  registerVersion(model: string, opts: RegisterVersionOptions): Promise<ModelVersion>;
  /** A registered model. Throws NOT_FOUND. */
  getModel(model: string): Promise<RegisteredModel>;
  /** Every registered model, by name. */
  listModels(): Promise<RegisteredModel[]>;
  /** One version. Throws NOT_FOUND naming the versions that exist. */
  getVersion(model: string, version: number): Promise<ModelVersion>;
  /** Every version of a model, newest first. */
  listVersions(model: string): Promise<ModelVersion[]>;
  /** The version an alias points at, or null when the alias is not set. */
  getAlias(model: string, alias: string): Promise<ModelVersion | null>;

  /**
   * Moves several aliases in ONE transaction (`null` removes one), recording each move in the
   * alias history; readers see all moves or none. Returns the recorded changes.
   */
  setAliases(
    model: string,
    moves: Record<string, number | null>,
    opts?: { reason?: string; kind?: AliasChangeKind },
  ): Promise<AliasChange[]>;
  /** Makes `version` production by hand, whatever its metrics. */
  promote(model: string, version: number, opts?: { reason?: string }): Promise<AliasChange>;
  /**
   * The promotion gate: `version` becomes production only if its `metric` (default val_ndcg10)
   * strictly beats the current production version's, or no production version exists. The
   * decision, both values and the reason are recorded and returned; deciding and moving happen
   * under one lock, so two concurrent gates cannot both win on stale numbers. With a coverage
   * guard (here, or the store's configured default) a winner must also keep catalogue coverage
   * within the tolerance of production's; the guard's check is recorded with the decision.
   */
  promoteIfBetter(
    model: string,
    version: number,
    opts?: { metric?: string; coverage?: CoverageGuardOptions | null },
  ): Promise<PromotionDecision>;
  /**
   * Moves production back: to `version` when given, else to the production version before the
   * current one (replaying the alias history, so repeated rollbacks keep going back).
   * Throws CONFLICT when there is nothing earlier.
   */
  rollback(model: string, opts?: { version?: number; reason?: string }): Promise<AliasChange>;
  /** Alias moves of a model, oldest first; `alias` narrows to one alias. */
  aliasHistory(model: string, opts?: { alias?: string }): Promise<AliasChange[]>;
  /** Gate decisions of a model (of one version when `version` is given), newest first (default limit 100). */
  listDecisions(
    model: string,
    opts?: { limit?: number; version?: number },
  ): Promise<PromotionDecision[]>;

  /**
   * Reads a version's artifact and verifies its size and sha256. On mismatch throws CORRUPT with
   * the expected and actual digests; callers keep the model they already serve.
   */
  loadArtifact(
    model: string,
    version: number,
  ): Promise<{ version: ModelVersion; bytes: Uint8Array }>;

  /**
   * Runs `fn` in ONE database transaction: `registry` does its work in it, and `tx` runs the
   * caller's own statements in it (e.g. the canary's settings), so alias moves and those writes
   * commit together or not at all. Artifacts are not written through it (they live outside the
   * database).
   */
  transaction<T>(fn: (registry: ModelRegistry, tx: Sql) => Promise<T>): Promise<T>;
}
