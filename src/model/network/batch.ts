/** Mini-batch types and the copy of a batch into a network's arena (validated, no maths). */
import { internal } from "../../errors.ts";
import type { Arena } from "./arena.ts";

/** A dense mini-batch: x is B×width row-major; labels (class ids) are needed for training. */
export interface DenseBatch {
  x: Float32Array;
  labels?: Int32Array;
}

/**
 * A batch of histories as bags in CSR form: `bags` consecutive rows per history (row r owns
 * entries offsets[r]..offsets[r+1]−1: item indices and their weights in that bag).
 */
export interface BagBatch {
  offsets: Int32Array;
  indices: Int32Array;
  values: Float32Array;
  labels?: Int32Array;
}

/** Either kind of batch. */
export type Batch = DenseBatch | BagBatch;

/** Sampled softmax for one training forward: the output classes to score. */
export interface CandidateOptions {
  /** Output classes forming this batch's softmax, distinct (labels index into this list). */
  candidates: Int32Array;
  /** Added to each candidate's logit (e.g. −log q for logQ correction). */
  correction?: Float32Array;
  /**
   * Entries `row · C + column` left out of their row's softmax (e.g. movies the user already
   * watched, which can never be the next one): their probability and gradient become 0.
   */
  mask?: Int32Array;
}

/** Forward mode: batch statistics + dropout ("train") or running statistics ("infer"). */
export type Mode = "train" | "infer";

/** Copies `batch` into the arena; returns its row (history) count and bag-entry count. */
export function writeBatch(a: Arena, batch: Batch): { rows: number; nnz: number } {
  const c = a.config;
  let rows: number;
  let nnz = 0;
  if ("x" in batch) {
    if (c.input.kind !== "dense") throw internal("network takes bags but got a dense batch (x)");
    rows = batch.x.length / c.input.width;
    if (!Number.isInteger(rows) || rows < 1 || rows > c.batchSize) {
      throw internal(
        `batch x has ${batch.x.length} values: expected k·${c.input.width} with 1 ≤ k ≤ ${c.batchSize}`,
      );
    }
    a.f32("x", batch.x.length).set(batch.x);
  } else {
    if (c.input.kind !== "bags") throw internal("network takes dense input but got bags");
    const bags = c.input.bags;
    const csrRows = batch.offsets.length - 1;
    rows = csrRows / bags;
    nnz = batch.offsets[csrRows];
    const ok = Number.isInteger(rows) && rows >= 1 && rows <= c.batchSize && nnz <= c.maxNnz &&
      batch.indices.length >= nnz && batch.values.length >= nnz;
    if (!ok) {
      throw internal(
        `bag batch has ${csrRows} rows and ${nnz} entries: expected k·${bags} rows (k ≤ ${c.batchSize}) and ≤ ${c.maxNnz} entries`,
      );
    }
    if (batch.offsets[0] !== 0) {
      throw internal(`bag batch offsets must start at 0, got ${batch.offsets[0]}`);
    }
    for (let r = 0; r < csrRows; r++) {
      if (!(batch.offsets[r] <= batch.offsets[r + 1])) {
        throw internal(
          `bag batch offsets must not decrease, got ${batch.offsets[r]} then ${
            batch.offsets[r + 1]
          } at row ${r}`,
        );
      }
    }
    for (let j = 0; j < nnz; j++) {
      const i = batch.indices[j];
      if (!(i >= 0 && i < c.output)) {
        throw internal(`bag item ${i} at entry ${j} is outside 0..${c.output - 1}`);
      }
    }
    a.i32("offsets", csrRows + 1).set(batch.offsets);
    a.i32("indices", nnz).set(batch.indices.subarray(0, nnz));
    a.f32("values", nnz).set(batch.values.subarray(0, nnz));
  }
  if (batch.labels) {
    if (batch.labels.length !== rows) {
      throw internal(`batch has ${rows} rows but ${batch.labels.length} labels`);
    }
    for (let b = 0; b < rows; b++) {
      if (!(batch.labels[b] >= 0 && batch.labels[b] < c.output)) {
        throw internal(`label ${batch.labels[b]} of row ${b} is outside 0..${c.output - 1}`);
      }
    }
    a.i32("labels", rows).set(batch.labels);
  }
  a.current.rows = rows;
  a.current.nnz = nnz;
  return { rows, nnz };
}
