/** Mini-batch types and the copy of a batch into the model's arena (validated, no maths). */
import { invalid } from "../errors.ts";
import type { Mlp } from "./mlp.ts";

/** A dense mini-batch: x is B×input row-major; labels (class ids) are needed for training. */
export interface DenseBatch {
  x: Float32Array;
  labels?: Int32Array;
}

/** A sparse mini-batch in CSR form: row b owns entries offsets[b]..offsets[b+1]-1. */
export interface SparseBatch {
  offsets: Int32Array;
  indices: Int32Array;
  values: Float32Array;
  labels?: Int32Array;
}

/** Either kind of batch. */
export type Batch = DenseBatch | SparseBatch;

/** Sampled softmax for one training forward: the output columns to score. */
export interface CandidateOptions {
  /** Output classes forming this batch's softmax (labels then index into this list). */
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

/** Copies `batch` into `mlp`'s arena; returns its row count and non-zero count (sparse input). */
export function writeBatch(mlp: Mlp, batch: Batch): { rows: number; nnz: number } {
  const c = mlp.config;
  let rows: number;
  let nnz = 0;
  if ("x" in batch) {
    if (c.sparseInput) throw invalid("mlp has a sparse input layer but got a dense batch (x)");
    rows = batch.x.length / c.input;
    if (!Number.isInteger(rows) || rows < 1 || rows > c.batchSize) {
      throw invalid(
        `batch x has ${batch.x.length} values: expected k·${c.input} with 1 ≤ k ≤ ${c.batchSize}`,
      );
    }
    mlp.view("x").set(batch.x);
  } else {
    if (!c.sparseInput) throw invalid("mlp has a dense input layer but got a sparse batch");
    rows = batch.offsets.length - 1;
    nnz = batch.offsets[rows];
    const ok = rows >= 1 && rows <= c.batchSize && nnz <= c.maxNnz &&
      batch.indices.length >= nnz && batch.values.length >= nnz;
    if (!ok) {
      throw invalid(
        `sparse batch has ${rows} rows and ${nnz} entries: expected ≤ ${c.batchSize} rows, ≤ ${c.maxNnz} entries`,
      );
    }
    for (let b = 0; b < rows; b++) {
      if (!(batch.offsets[b] <= batch.offsets[b + 1]) || batch.offsets[0] !== 0) {
        throw invalid(
          `sparse batch offsets must start at 0 and not decrease, got ${batch.offsets[b]} then ${
            batch.offsets[b + 1]
          } at row ${b}`,
        );
      }
    }
    for (let j = 0; j < nnz; j++) {
      const i = batch.indices[j];
      if (!(i >= 0 && i < c.input)) {
        throw invalid(`sparse index ${i} at entry ${j} is outside 0..${c.input - 1}`);
      }
    }
    mlp.kernel.i32(mlp.at("offsets"), rows + 1).set(batch.offsets);
    mlp.kernel.i32(mlp.at("indices"), nnz).set(batch.indices.subarray(0, nnz));
    mlp.kernel.f32(mlp.at("values"), nnz).set(batch.values.subarray(0, nnz));
  }
  if (batch.labels) {
    if (batch.labels.length !== rows) {
      throw invalid(`batch has ${rows} rows but ${batch.labels.length} labels`);
    }
    for (let b = 0; b < rows; b++) {
      if (!(batch.labels[b] >= 0 && batch.labels[b] < c.output)) {
        throw invalid(`label ${batch.labels[b]} of row ${b} is outside 0..${c.output - 1}`);
      }
    }
    mlp.kernel.i32(mlp.at("labels"), rows).set(batch.labels);
  }
  return { rows, nnz };
}
