/**
 * The next-item recommender: an Mlp over history features (src/features/history_features.ts)
 * with a softmax over the item universe. Training, evaluation and serving all go through it.
 */
import { corrupt, invalid, notFound } from "../errors.ts";
import {
  CsrBuilder,
  encodeHistory,
  type FeatureSpec,
  inputWidth,
  maxNonZeros,
  validateFeatureSpec,
} from "../features/history_features.ts";
import { loadCheckpoint, saveCheckpoint } from "./checkpoint.ts";
import { Kernel } from "./kernel.ts";
import { Mlp } from "./mlp.ts";
import type { Scorer } from "./ranking_metrics.ts";

/** Non-zeros an inference arena holds: room for 256 typical histories or one of ~65k movies. */
export const INFER_MAX_NNZ = 1 << 16;

/** What a checkpoint's manifest says about the recommender around the Mlp. */
export interface RecommenderManifest {
  kind: "reelrank-next-item";
  /** Movie ids by dense index (the item universe, ascending). */
  itemIds: number[];
  features: FeatureSpec;
  /** Free-form lineage: run id, snapshot id, params. */
  info?: Record<string, unknown>;
}

/** A movie and its model score (higher ranks first). */
export interface Scored {
  movieId: number;
  score: number;
}

/** One history to rank movies for, with what must not be returned. */
export interface RecommendRequest {
  /** Movie ids, oldest first; ids the model does not know are ignored. */
  history: readonly number[];
  k: number;
  /** Movie ids never to return (the history is always excluded). */
  exclude?: readonly number[];
  /** Allowed movies by dense index (1 = may be returned), e.g. a genre from {@link Recommender.maskOf}. */
  allow?: Uint8Array;
}

/** An Mlp plus the vocabulary and feature spec that give its inputs and outputs a meaning. */
export class Recommender {
  readonly mlp: Mlp;
  readonly itemIds: Int32Array;
  readonly features: FeatureSpec;
  readonly info: Record<string, unknown>;
  #index = new Map<number, number>();
  #owned?: Kernel;

  constructor(mlp: Mlp, manifest: Omit<RecommenderManifest, "kind">) {
    this.mlp = mlp;
    this.itemIds = Int32Array.from(manifest.itemIds);
    this.features = validateFeatureSpec(manifest.features);
    this.info = manifest.info ?? {};
    this.itemIds.forEach((id, i) => this.#index.set(id, i));
    const V = this.itemIds.length;
    if (mlp.config.output !== V || mlp.config.input !== inputWidth(this.features, V)) {
      throw invalid(
        `model sizes (input ${mlp.config.input}, output ${mlp.config.output}) do not match ${V} items × ${this.features.bags.length} bags`,
      );
    }
  }

  /** Number of items the model ranks. */
  get size(): number {
    return this.itemIds.length;
  }

  /** Dense index of a movie id, or -1 when the model does not know the movie. */
  indexOf(movieId: number): number {
    return this.#index.get(movieId) ?? -1;
  }

  /** Encodes histories (dense indices, oldest first) as one sparse batch. */
  encode(histories: readonly ArrayLike<number>[]) {
    const out = new CsrBuilder();
    for (const h of histories) encodeHistory(h, this.features, { V: this.size, out });
    return out.build();
  }

  /** Logits over the universe for any number of histories, row-major into `out`. */
  scoreInto(histories: readonly ArrayLike<number>[], out: Float32Array): void {
    const { batchSize, maxNnz } = this.mlp.config;
    let s = 0;
    while (s < histories.length) {
      // Chunks respect both arena limits: rows and non-zeros.
      let e = s;
      let nnz = 0;
      while (e < histories.length && e - s < batchSize) {
        const n = maxNonZeros(this.features, histories[e].length);
        if (e > s && nnz + n > maxNnz) break;
        nnz += n;
        e++;
      }
      const logits = this.mlp.predict(this.encode(histories.slice(s, e)));
      out.set(logits.subarray(0, (e - s) * this.size), s * this.size);
      s = e;
    }
  }

  /** The evaluation view: scores histories in inference mode. */
  scorer(): Scorer {
    return { score: (histories, out) => this.scoreInto(histories, out) };
  }

  /**
   * Top-`k` movies for a history of movie ids (oldest first), never one already watched. Unknown
   * movies in the history are ignored; an empty history gets the model's cold-start ranking.
   */
  recommend(
    history: readonly number[],
    k: number,
    options: Omit<RecommendRequest, "history" | "k"> = {},
  ): Scored[] {
    return this.recommendMany([{ history, k, ...options }])[0];
  }

  /**
   * Ranks several histories with batched kernel calls (the micro-batcher's entry point). Each
   * answer has at most `k` movies: fewer when exclusions and the `allow` mask leave fewer.
   */
  recommendMany(requests: readonly RecommendRequest[]): Scored[][] {
    const V = this.size;
    const histories = requests.map((r) => {
      if (!Number.isInteger(r.k) || r.k < 1) {
        throw invalid(`k must be a positive integer, got ${r.k}`);
      }
      if (r.allow && r.allow.length !== V) {
        throw invalid(`allow mask has ${r.allow.length} entries, the model ranks ${V} movies`);
      }
      return r.history.map((id) => this.indexOf(id)).filter((i) => i >= 0);
    });
    const logits = new Float32Array(requests.length * V);
    this.scoreInto(histories, logits);
    return requests.map((r, n) => {
      const row = logits.subarray(n * V, (n + 1) * V);
      const exclude = histories[n].slice();
      for (const id of r.exclude ?? []) {
        const i = this.indexOf(id);
        if (i >= 0) exclude.push(i);
      }
      if (r.allow) { for (let i = 0; i < V; i++) if (!r.allow[i]) row[i] = -Infinity; }
      const { ids, scores } = this.mlp.topK(Math.min(r.k, V), { exclude, scores: row });
      const out: Scored[] = [];
      for (let j = 0; j < ids.length; j++) {
        if (scores[j] === -Infinity) break;
        out.push({ movieId: this.itemIds[ids[j]], score: scores[j] });
      }
      return out;
    });
  }

  /**
   * Movies most likely watched next by someone who just watched `movieId` (item-to-item from the
   * model itself). Throws NOT_FOUND when the model does not know the movie.
   */
  similar(
    movieId: number,
    k: number,
    options: Omit<RecommendRequest, "history" | "k"> = {},
  ): Scored[] {
    if (this.indexOf(movieId) < 0) {
      throw notFound(`movie ${movieId} is not in the model's ${this.size}-movie catalogue`);
    }
    return this.recommend([movieId], k, options);
  }

  /** A dense-index mask (1 = allowed) of the given movie ids, for {@link RecommendRequest.allow}. */
  maskOf(movieIds: Iterable<number>): Uint8Array {
    const mask = new Uint8Array(this.size);
    for (const id of movieIds) {
      const i = this.indexOf(id);
      if (i >= 0) mask[i] = 1;
    }
    return mask;
  }

  /** Releases the kernel this recommender owns (one made by {@link Recommender.open}). Idempotent. */
  close(): void {
    this.#owned?.close();
    this.#owned = undefined;
  }

  /** The checkpoint bytes: weights plus the manifest (vocabulary, features, lineage). */
  save(info: Record<string, unknown> = {}): Promise<Uint8Array> {
    const manifest: RecommenderManifest = {
      kind: "reelrank-next-item",
      itemIds: Array.from(this.itemIds),
      features: this.features,
      info: { ...this.info, ...info },
    };
    return saveCheckpoint(this.mlp, manifest as unknown as Record<string, unknown>);
  }

  /** Rebuilds a recommender from checkpoint bytes (sha256 and sizes verified by the checkpoint). */
  static async load(
    kernel: Kernel,
    bytes: Uint8Array,
    options: { batchSize?: number } = {},
  ): Promise<Recommender> {
    const { mlp, metadata } = await loadCheckpoint(kernel, bytes, {
      batchSize: options.batchSize ?? 256,
      maxNnz: INFER_MAX_NNZ,
      maxCandidates: 0,
    });
    const m = metadata as unknown as RecommenderManifest;
    if (m.kind !== "reelrank-next-item" || !Array.isArray(m.itemIds)) {
      throw corrupt(
        `checkpoint is not a reelrank next-item model (manifest kind "${String(m.kind)}")`,
      );
    }
    return new Recommender(mlp, m);
  }

  /**
   * Loads checkpoint bytes into a kernel of its own (memory freed by {@link Recommender.close}):
   * what a server does for every version it serves, so a hot reload never grows a shared arena.
   */
  static async open(
    bytes: Uint8Array,
    options: { threads?: number; batchSize?: number } = {},
  ): Promise<Recommender> {
    const kernel = await Kernel.create({ threads: options.threads ?? 1 });
    try {
      const model = await Recommender.load(kernel, bytes, options);
      model.#owned = kernel;
      return model;
    } catch (err) {
      kernel.close();
      throw err;
    }
  }
}
