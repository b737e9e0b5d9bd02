/** The results the `recommend` tasks hand downstream: ids, object keys and a few numbers. */
import type { Json } from "../../src/pipeline/dag.ts";
import { internal } from "../../src/errors.ts";
import type { ObjectRef } from "../../src/storage/verified.ts";

/** ingest: the recorded ingest run (null when `source` is none). */
export interface IngestResult {
  ingestRunId: number | null;
  source: string;
  interactions: number;
}

/** snapshot: the snapshot of the raw tables. */
export interface SnapshotResult {
  snapshotId: string;
  manifestKey: string;
}

/** features: the frozen interactions the split is computed from, and its statistics. */
export interface FeaturesResult {
  features: ObjectRef;
  snapshotId: string;
  interactions: number;
  users: number;
  droppedUsers: number;
  items: number;
}

/** train: one child run of the family comparison. */
export interface TrainChild {
  family: string;
  runId: string;
  status: "trained" | "skipped" | "failed";
  valNdcg10?: number;
  reason?: string;
}

/** train: the best child run (the candidate) and its checkpoint, and the comparison it won. */
export interface TrainResult {
  /** The best child run: evaluate logs to it, register links the version to it. */
  runId: string;
  checkpoint: ObjectRef;
  /** True when an earlier attempt or run with the same key had already trained it. */
  reused: boolean;
  trainSeconds: number;
  /** The parent run whose children are the families (the runs page compares them). */
  comparisonRunId: string;
  family: string;
  children: TrainChild[];
  /**
   * The MLP search, when the run asked for one (`stopped` says why it ended early, `skipped` why it
   * did not run: no EASE fit, its budget's unit, fits the memory limit).
   */
  search?: {
    budgetSeconds?: number;
    configs: number;
    ran: number;
    stopped?: string;
    skipped?: string;
  };
}

/** evaluate: the headline numbers (all of them are logged to the run). */
export interface EvaluateResult {
  runId: string;
  valNdcg10: number;
  testNdcg10: number;
  popularityTestNdcg10: number;
}

/** register: the model version. */
export interface RegisterResult {
  version: number;
  sha256: string;
}

/** promote: the gate's decision. */
export interface PromoteResult {
  version: number;
  promoted: boolean;
  reason: string;
}

/** publish: the batch written. */
export interface PublishResult {
  version: number;
  users: number;
  rows: number;
}

/** The result of upstream task `id`, which the DAG guarantees is there. */
export function resultOf<T>(upstream: Readonly<Record<string, Json>>, id: string): T {
  const r = upstream[id];
  if (r === undefined || r === null || typeof r !== "object") {
    throw internal(`the result of upstream task "${id}" is missing`);
  }
  return r as unknown as T;
}
