/**
 * What the item-to-item families share: a history's score for movie j is the sum of its movies'
 * weights toward j (score[j] = Σ_{h in history} W[h][j], a history being a set), so ranking is one
 * kernel pass plus the batched top-k, and a history movie's contribution to a score is exactly its
 * weight. EASE keeps W dense, ItemKNN sparse; each subclass scores rows with its own kernel op.
 */
import { invalid } from "../../errors.ts";
import type { Scorer } from "../evaluation/ranking_metrics.ts";
import type { Kernel } from "../kernel/kernel.ts";
import type { RecommenderModel } from "../model.ts";
import type { Because, RecommendRequest, Scored } from "../types.ts";
import { maskOf, requireKnown, strongestReasons } from "../vocabulary.ts";
import { type ItemManifest, type ItemTensor, saveItemCheckpoint } from "./checkpoint.ts";

/** Histories scored per kernel pass. */
export const ITEM_BATCH = 64;
/** History entries one pass holds (a longer single history is refused). */
export const ITEM_MAX_NNZ = 1 << 16;
/** Largest k of one ranking request. */
export const ITEM_K_MAX = 1024;

/** Kernel bytes of the scoring buffers of a model over `n` items. */
export function scoringBytes(n: number): number {
  const k = Math.min(n, ITEM_K_MAX);
  return ITEM_BATCH * (4 * n + n + 8 * k + 8) + 8 * ITEM_MAX_NNZ + 64 * 6;
}

// Byte offsets of the scoring buffers in the model's kernel.
interface Buffers {
  scores: number;
  offsets: number;
  indices: number;
  exOffsets: number;
  exclude: number;
  allow: number;
  outIdx: number;
  outScore: number;
  counts: number;
}

/** An item-to-item model on a kernel; subclasses provide the weights and their scoring op. */
export abstract class ItemItemModel implements RecommenderModel {
  abstract readonly family: "ease" | "itemknn";
  readonly itemIds: Int32Array;
  readonly params: Record<string, number>;
  readonly info: Record<string, unknown>;
  protected readonly kernel: Kernel;
  readonly #index = new Map<number, number>();
  #buffers?: Buffers;
  #owned?: Kernel;

  constructor(
    kernel: Kernel,
    manifest: {
      itemIds: ArrayLike<number>;
      params: Record<string, number>;
      info?: Record<string, unknown>;
    },
  ) {
    this.kernel = kernel;
    this.itemIds = Int32Array.from(manifest.itemIds);
    this.params = { ...manifest.params };
    this.info = manifest.info ?? {};
    this.itemIds.forEach((id, i) => this.#index.set(id, i));
  }

  /** Adds the weight rows of rows [0, B) of a CSR batch (dense indices) into `out` (B × size). */
  protected abstract scoreRows(offsets: number, indices: number, B: number, out: number): void;
  /** What history movie `h` adds to movie `t`'s score (dense indices). */
  abstract weight(h: number, t: number): number;
  /** The tensors a checkpoint stores. */
  protected abstract tensors(): ItemTensor[];
  abstract flopPerHistory(length?: number): number;

  /** Hands the kernel's lifetime to this model: {@link close} frees it. */
  own(kernel: Kernel): this {
    this.#owned = kernel;
    return this;
  }

  get size(): number {
    return this.itemIds.length;
  }

  indexOf(movieId: number): number {
    return this.#index.get(movieId) ?? -1;
  }

  #buf(): Buffers {
    if (this.#buffers) return this.#buffers;
    const k = this.kernel, n = this.size, K = Math.min(n, ITEM_K_MAX), B = ITEM_BATCH;
    return this.#buffers = {
      scores: k.alloc(4 * B * n),
      offsets: k.alloc(4 * (B + 1)),
      indices: k.alloc(4 * ITEM_MAX_NNZ),
      exOffsets: k.alloc(4 * (B + 1)),
      exclude: k.alloc(4 * ITEM_MAX_NNZ),
      allow: k.alloc(B * n),
      outIdx: k.alloc(4 * B * K),
      outScore: k.alloc(4 * B * K),
      counts: k.alloc(4 * B),
    };
  }

  // Rows of histories (dense indices) as a set each, scored into the scores buffer.
  #score(histories: readonly ArrayLike<number>[]): number {
    const b = this.#buf();
    const offsets = this.kernel.i32(b.offsets, histories.length + 1);
    const sets = histories.map((h) =>
      [...new Set(Array.from(h))].filter((i) => i >= 0 && i < this.size)
    );
    const nnz = sets.reduce((n, s) => n + s.length, 0);
    if (nnz > ITEM_MAX_NNZ) {
      throw invalid(`histories hold ${nnz} movies at once, at most ${ITEM_MAX_NNZ}`);
    }
    const indices = this.kernel.i32(b.indices, nnz);
    offsets[0] = 0;
    sets.forEach((s, r) => {
      indices.set(s, offsets[r]);
      offsets[r + 1] = offsets[r] + s.length;
    });
    this.scoreRows(b.offsets, b.indices, histories.length, b.scores);
    return b.scores;
  }

  // [start, end) ranges of at most ITEM_BATCH histories whose entries fit one pass.
  *#chunks(histories: readonly ArrayLike<number>[]): Generator<[number, number]> {
    let s = 0;
    while (s < histories.length) {
      let e = s, nnz = 0;
      while (e < histories.length && e - s < ITEM_BATCH) {
        if (e > s && nnz + histories[e].length > ITEM_MAX_NNZ) break;
        nnz += histories[e++].length;
      }
      yield [s, e];
      s = e;
    }
  }

  scoreInto(histories: readonly ArrayLike<number>[], out: Float32Array): void {
    const n = this.size;
    for (const [s, e] of this.#chunks(histories)) {
      const at = this.#score(histories.slice(s, e));
      out.set(this.kernel.f32(at, (e - s) * n), s * n);
    }
  }

  scorer(): Scorer {
    return { score: (histories, out) => this.scoreInto(histories, out) };
  }

  recommend(
    history: readonly number[],
    k: number,
    options: Omit<RecommendRequest, "history" | "k"> = {},
  ): Scored[] {
    return this.recommendMany([{ history, k, ...options }])[0];
  }

  recommendMany(requests: readonly RecommendRequest[]): Scored[][] {
    const n = this.size;
    const histories: number[][] = [];
    const excludes: number[][] = [];
    for (const r of requests) {
      if (!Number.isInteger(r.k) || r.k < 1 || r.k > ITEM_K_MAX) {
        throw invalid(`k must be an integer in 1..${ITEM_K_MAX}, got ${r.k}`);
      }
      if (r.allow && r.allow.length !== n) {
        throw invalid(`allow mask has ${r.allow.length} entries, the model ranks ${n} movies`);
      }
      const h = r.history.map((id) => this.indexOf(id)).filter((i) => i >= 0);
      histories.push(h);
      excludes.push([
        ...h,
        ...(r.exclude ?? []).map((id) => this.indexOf(id)).filter((i) => i >= 0),
      ]);
    }
    const out: Scored[][] = new Array(requests.length);
    for (const [s, e] of this.#chunks(histories)) {
      const b = this.#buf();
      const scores = this.#score(histories.slice(s, e));
      const k = Math.min(n, Math.max(...requests.slice(s, e).map((r) => r.k)));
      const exOffsets = this.kernel.i32(b.exOffsets, e - s + 1);
      exOffsets[0] = 0;
      for (let r = s; r < e; r++) exOffsets[r - s + 1] = exOffsets[r - s] + excludes[r].length;
      if (exOffsets[e - s] > ITEM_MAX_NNZ) {
        throw invalid(
          `requests exclude ${exOffsets[e - s]} movies at once, at most ${ITEM_MAX_NNZ}`,
        );
      }
      const exclude = this.kernel.i32(b.exclude, exOffsets[e - s]);
      for (let r = s; r < e; r++) exclude.set(excludes[r], exOffsets[r - s]);
      const masked = requests.slice(s, e).some((r) => r.allow);
      if (masked) {
        const allow = this.kernel.u8(b.allow, (e - s) * n);
        for (let r = s; r < e; r++) {
          const m = requests[r].allow;
          if (m) allow.set(m, (r - s) * n);
          else allow.fill(1, (r - s) * n, (r - s + 1) * n);
        }
      }
      this.kernel.split("topKRows", {
        outIdx: b.outIdx,
        outScore: b.outScore,
        counts: b.counts,
        scores,
        exclude: b.exclude,
        exOffsets: b.exOffsets,
        allow: masked ? b.allow : 0,
        N: n,
        k,
        B: e - s,
      }, { chunk: 8 });
      const ids = this.kernel.i32(b.outIdx, (e - s) * k);
      const top = this.kernel.f32(b.outScore, (e - s) * k);
      const counts = this.kernel.i32(b.counts, e - s);
      for (let r = s; r < e; r++) {
        const m = Math.min(counts[r - s], requests[r].k);
        out[r] = Array.from({ length: m }, (_, j) => ({
          movieId: this.itemIds[ids[(r - s) * k + j]],
          score: top[(r - s) * k + j],
        }));
      }
    }
    return out;
  }

  similar(
    movieId: number,
    k: number,
    options: Omit<RecommendRequest, "history" | "k"> = {},
  ): Scored[] {
    requireKnown(this, movieId);
    return this.recommend([movieId], k, options);
  }

  /**
   * Exact: a score is the sum of the history movies' weights toward the target, so each distinct
   * history movie contributes its weight W[h][target]. Per target, up to `max` (default 3) movies
   * with a positive weight, largest first; a target never explains itself.
   */
  explain(
    history: readonly number[],
    targets: readonly number[],
    options: { max?: number } = {},
  ): Because[][] {
    const max = options.max ?? 3;
    const seen = [...new Set(history.map((id) => this.indexOf(id)).filter((i) => i >= 0))];
    return targets.map((target) => {
      const t = this.indexOf(target);
      if (t < 0) return [];
      const weights = seen.map((h) => ({
        movieId: this.itemIds[h],
        contribution: this.weight(h, t),
      }));
      return strongestReasons(weights, target, max);
    });
  }

  explainMany(
    requests: readonly { history: readonly number[]; targets: readonly number[] }[],
    options: { max?: number } = {},
  ): Because[][][] {
    return requests.map((r) => this.explain(r.history, r.targets, options));
  }

  maskOf(movieIds: Iterable<number>): Uint8Array {
    return maskOf(this, movieIds);
  }

  save(info: Record<string, unknown> = {}): Promise<Uint8Array> {
    const manifest: ItemManifest = {
      format: "reelrank-item-item",
      family: this.family,
      itemIds: Array.from(this.itemIds),
      params: this.params,
      info: { ...this.info, ...info },
    };
    return saveItemCheckpoint(manifest, this.tensors());
  }

  close(): void {
    this.#owned?.close();
    this.#owned = undefined;
  }
}
