/**
 * The next-item recommender: a network over history bags (src/features/history_features.ts) with
 * a softmax over the item universe, plus an optional item-to-item transition term added to its
 * logits (./transitions.ts). Training, evaluation, serving and the browser all go through it.
 */
import { corrupt, invalid } from "../errors.ts";
import {
  CsrBuilder,
  encodeHistory,
  type FeatureSpec,
  historyWindow,
  maxNonZeros,
  validateFeatureSpec,
} from "../features/history_features.ts";
import type { Scorer } from "./evaluation/ranking_metrics.ts";
import { Kernel } from "./kernel/kernel.ts";
import type { RecommenderModel } from "./model.ts";
import type { Because, RecommendRequest, Scored } from "./types.ts";
import { maskOf, requireKnown, strongestReasons } from "./vocabulary.ts";
import { loadCheckpoint, saveCheckpoint, type TableDtype } from "./network/checkpoint.ts";
import { inferenceMacs, outputWidth } from "./network/config.ts";
import { Net } from "./network/net.ts";
import { ROWS_K_MAX } from "./network/plan.ts";
import {
  checkTransitionTable,
  Transitions,
  type TransitionSpec,
  type TransitionTable,
  validateTransitionSpec,
} from "./transitions.ts";

/** Bag entries an inference arena holds: room for 256 typical histories or one of ~16k movies. */
export const INFER_MAX_NNZ = 1 << 16;

/** What a checkpoint's manifest says about the recommender around the network. */
export interface RecommenderManifest {
  kind: "reelrank-next-item";
  /** The model family (checkpoints written before families existed have none: they are "mlp"). */
  family?: "mlp";
  /** Movie ids by dense index (the item universe, ascending). */
  itemIds: number[];
  features: FeatureSpec;
  /** Free-form lineage: run id, snapshot id, params. */
  info?: Record<string, unknown>;
  /** The transition term's spec and weight (its table is in the checkpoint's tensors). */
  transitions?: { spec: TransitionSpec; weight: number };
}

// Checkpoint tensors of the transition table (format version 3).
const TRANSITION_TENSORS = ["x:trans.offsets", "x:trans.cols", "x:trans.vals"] as const;

/** A network plus the vocabulary and feature spec that give its inputs and outputs a meaning. */
export class Recommender implements RecommenderModel {
  readonly family = "mlp" as const;
  readonly net: Net;
  readonly itemIds: Int32Array;
  readonly features: FeatureSpec;
  readonly info: Record<string, unknown>;
  /** The transition term added to the network's logits, when the model has one. */
  readonly transitions?: Transitions;
  #index = new Map<number, number>();
  #owned?: Kernel;

  /** `table` is required when the manifest names transitions (and then checked against V). */
  constructor(
    net: Net,
    manifest: Omit<RecommenderManifest, "kind">,
    table?: TransitionTable,
  ) {
    this.net = net;
    this.itemIds = Int32Array.from(manifest.itemIds);
    this.features = validateFeatureSpec(manifest.features);
    this.info = manifest.info ?? {};
    this.itemIds.forEach((id, i) => this.#index.set(id, i));
    const V = this.itemIds.length;
    const c = net.config;
    const bags = c.input.kind === "bags" ? c.input.bags : 0;
    if (c.output !== V || bags !== this.features.bags.length) {
      throw corrupt(
        `network sizes (${bags} bags, ${c.output} outputs) do not match ${V} items × ${this.features.bags.length} bags`,
      );
    }
    const t = manifest.transitions;
    if (t) {
      if (!table) throw corrupt("the manifest names a transition term but there is no table");
      checkTransitionTable(table, V);
      if (!(typeof t.weight === "number" && Number.isFinite(t.weight) && t.weight >= 0)) {
        throw corrupt(`transition weight must be a number ≥ 0, got ${t.weight}`);
      }
      this.transitions = new Transitions(table, validateTransitionSpec(t.spec), t.weight);
    }
  }

  /** The same network and vocabulary with another transition term (none when omitted). */
  withTransitions(
    t?: { table: TransitionTable; spec: TransitionSpec; weight: number },
  ): Recommender {
    return new Recommender(this.net, {
      itemIds: Array.from(this.itemIds),
      features: this.features,
      info: this.info,
      transitions: t && { spec: t.spec, weight: t.weight },
    }, t?.table);
  }

  // Whether scores get a transition term (a model with one, at a weight above 0).
  #hasTerm(): boolean {
    return (this.transitions?.weight ?? 0) > 0;
  }

  // Adds the transition term to rows [0, histories.length) of `logits`.
  #addTransitions(histories: readonly ArrayLike<number>[], logits: Float32Array): void {
    const t = this.transitions;
    if (!t || t.weight === 0) return;
    const V = this.size;
    histories.forEach((h, b) => t.addTo(h, logits.subarray(b * V, (b + 1) * V)));
  }

  /**
   * FLOP of scoring one history of `length` movies against the whole catalogue (the transition
   * term counted as a multiply-add per successor it can touch).
   */
  flopPerHistory(length = 50): number {
    const t = this.transitions && this.transitions.weight > 0 ? this.transitions.maxTouched : 0;
    return 2 * (inferenceMacs(this.net.config, maxNonZeros(this.features, length)) + t);
  }

  /** Number of items the model ranks. */
  get size(): number {
    return this.itemIds.length;
  }

  /** Dense index of a movie id, or -1 when the model does not know the movie. */
  indexOf(movieId: number): number {
    return this.#index.get(movieId) ?? -1;
  }

  /** Encodes histories (dense indices, oldest first) as one batch of bags. */
  encode(histories: readonly ArrayLike<number>[]) {
    const out = new CsrBuilder();
    for (const h of histories) encodeHistory(h, this.features, { out });
    return out.build();
  }

  /** Logits over the universe for any number of histories, row-major into `out`. */
  scoreInto(histories: readonly ArrayLike<number>[], out: Float32Array): void {
    for (const [s, e] of this.#chunks(histories)) {
      const logits = this.net.predict(this.encode(histories.slice(s, e)));
      this.#addTransitions(histories.slice(s, e), logits);
      out.set(logits.subarray(0, (e - s) * this.size), s * this.size);
    }
  }

  // [start, end) ranges of histories that fit the arena together: its rows, its bag entries and
  // (when `exclusions` are counted) its exclusion buffer.
  *#chunks(
    histories: readonly ArrayLike<number>[],
    exclusions?: readonly number[],
  ): Generator<[number, number]> {
    const { batchSize, maxNnz } = this.net.config;
    let s = 0;
    while (s < histories.length) {
      let e = s;
      let nnz = 0;
      let ex = 0;
      while (e < histories.length && e - s < batchSize) {
        const n = maxNonZeros(this.features, histories[e].length);
        const x = exclusions?.[e] ?? 0;
        if (e > s && (nnz + n > maxNnz || ex + x > maxNnz)) break;
        nnz += n;
        ex += x;
        e++;
      }
      yield [s, e];
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
    const histories: number[][] = [];
    const excludes: number[][] = [];
    for (const r of requests) {
      if (!Number.isInteger(r.k) || r.k < 1) {
        throw invalid(`k must be a positive integer, got ${r.k}`);
      }
      if (r.allow && r.allow.length !== V) {
        throw invalid(`allow mask has ${r.allow.length} entries, the model ranks ${V} movies`);
      }
      const h = r.history.map((id) => this.indexOf(id)).filter((i) => i >= 0);
      const ex = h.slice();
      for (const id of r.exclude ?? []) {
        const i = this.indexOf(id);
        if (i >= 0) ex.push(i);
      }
      histories.push(h);
      excludes.push(ex);
    }
    const out: Scored[][] = new Array(requests.length);
    const lengths = excludes.map((e) => e.length);
    for (const [s, e] of this.#chunks(histories, lengths)) {
      const slice = histories.slice(s, e);
      const batch = this.encode(slice);
      const term = this.#hasTerm();
      const k = Math.min(V, Math.max(...requests.slice(s, e).map((r) => r.k)));
      if (k <= ROWS_K_MAX && !this.net.config.training) {
        const rows = {
          exclude: excludes.slice(s, e),
          allow: requests.slice(s, e).map((r) => r.allow),
        };
        // Every row's scores, exclusions, mask and exact top-k in one kernel call: int8 bounds
        // pick the candidates (see Net.rankRows), and the transition term, added after the output
        // layer, raises bounds and exact scores alike.
        const top = this.net.rankRows(batch, k, rows, {
          add: term ? (terms) => this.#addTransitions(slice, terms) : undefined,
        });
        for (let b = 0; b < e - s; b++) {
          const n = Math.min(top.counts[b], requests[s + b].k);
          out[s + b] = Array.from({ length: n }, (_, j) => ({
            movieId: this.itemIds[top.ids[b * k + j]],
            score: top.scores[b * k + j],
          }));
        }
        continue;
      }
      const logits = this.net.predict(batch).slice();
      this.#addTransitions(slice, logits);
      for (let b = 0; b < e - s; b++) {
        const r = requests[s + b];
        const row = logits.subarray(b * V, (b + 1) * V);
        if (r.allow) { for (let i = 0; i < V; i++) if (!r.allow[i]) row[i] = -Infinity; }
        const { ids, scores } = this.net.topK(Math.min(r.k, V), {
          exclude: excludes[s + b],
          scores: row,
        });
        const n = scores.findIndex((x) => x === -Infinity);
        out[s + b] = Array.from({ length: n < 0 ? ids.length : n }, (_, j) => ({
          movieId: this.itemIds[ids[j]],
          score: scores[j],
        }));
      }
    }
    return out;
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
    requireKnown(this, movieId);
    return this.recommend([movieId], k, options);
  }

  /**
   * Why each of `targets` is recommended for `history`: exact leave-one-out — for every distinct
   * movie of the history, the drop of each target's score when all its occurrences are removed.
   * Per target, up to `max` (default 3) movies with a positive drop, largest first (ties by
   * ascending id); a target never explains itself. See {@link explainMany}.
   */
  explain(
    history: readonly number[],
    targets: readonly number[],
    options: { max?: number } = {},
  ): Because[][] {
    return this.explainMany([{ history, targets }], options)[0];
  }

  /**
   * {@link explain} for many histories at once: every history and each of its leave-one-out
   * variants go through the network together, in batched passes that stop before the output
   * layer (a score is u · O[target] + bias, so only the targets' dot products are needed, not the
   * catalogue), plus the transition term of each variant for each target, exactly as scoring adds
   * it. Movies older than every bag's window and the transition voters cannot change a score and
   * are not tried. Answer `i`, target `j` explains `requests[i].targets[j]`.
   */
  explainMany(
    requests: readonly { history: readonly number[]; targets: readonly number[] }[],
    options: { max?: number } = {},
  ): Because[][][] {
    const max = options.max ?? 3;
    const window = Math.max(historyWindow(this.features), this.transitions?.spec.last ?? 0);
    const variants: number[][] = [];
    const plans = requests.map((r) => {
      const idx = r.history.map((id) => this.indexOf(id)).filter((i) => i >= 0);
      const tried = [...new Set(idx.slice(Math.max(0, idx.length - window)))];
      const first = variants.length;
      variants.push(idx, ...tried.map((m) => idx.filter((i) => i !== m)));
      return { first, tried };
    });
    const K = outputWidth(this.net.config);
    const u = new Float32Array(variants.length * K);
    for (const [s, e] of this.#chunks(variants)) {
      u.set(this.net.represent(this.encode(variants.slice(s, e))), s * K);
    }
    // Dot product of variant v's vector with an output row (the bias cancels in every drop).
    const dot = (v: number, row: Float32Array) => {
      let x = 0;
      for (let j = 0; j < K; j++) x += u[v * K + j] * row[j];
      return x;
    };
    const term = (v: number, t: number) => this.transitions?.termOf(variants[v], t) ?? 0;
    return requests.map((r, i) => {
      const { first, tried } = plans[i];
      return r.targets.map((target) => {
        const t = this.indexOf(target);
        if (t < 0) return [];
        const { row } = this.net.outputRow(t);
        const full = dot(first, row) + term(first, t);
        const drops = tried.map((m, j) => ({
          movieId: this.itemIds[m],
          contribution: full - dot(first + 1 + j, row) - term(first + 1 + j, t),
        }));
        return strongestReasons(drops, target, max);
      });
    });
  }

  /** A dense-index mask (1 = allowed) of the given movie ids, for {@link RecommendRequest.allow}. */
  maskOf(movieIds: Iterable<number>): Uint8Array {
    return maskOf(this, movieIds);
  }

  /** Releases the kernel this recommender owns (one made by {@link Recommender.open}). Idempotent. */
  close(): void {
    this.#owned?.close();
    this.#owned = undefined;
  }

  /**
   * The checkpoint bytes: weights (movie tables in `tables` precision, default float16) plus the
   * manifest (vocabulary, features, lineage).
   */
  save(
    info: Record<string, unknown> = {},
    options: { tables?: TableDtype } = {},
  ): Promise<Uint8Array> {
    const t = this.transitions;
    const manifest: RecommenderManifest = {
      kind: "reelrank-next-item",
      family: "mlp",
      itemIds: Array.from(this.itemIds),
      features: this.features,
      info: { ...this.info, ...info },
      ...(t ? { transitions: { spec: t.spec, weight: t.weight } } : {}),
    };
    const extra = t
      ? new Map<string, Int32Array | Float32Array>([
        [TRANSITION_TENSORS[0], t.table.offsets],
        [TRANSITION_TENSORS[1], t.table.cols],
        [TRANSITION_TENSORS[2], t.table.vals],
      ])
      : undefined;
    return saveCheckpoint(this.net, {
      metadata: manifest as unknown as Record<string, unknown>,
      tables: options.tables,
      extra,
    });
  }

  /** Rebuilds a recommender from checkpoint bytes (sha256 and sizes verified by the checkpoint). */
  static async load(
    kernel: Kernel,
    bytes: Uint8Array,
    options: { batchSize?: number } = {},
  ): Promise<Recommender> {
    const { net, metadata, extra } = await loadCheckpoint(kernel, bytes, {
      batchSize: options.batchSize ?? 256,
      maxNnz: INFER_MAX_NNZ,
      maxCandidates: 0,
      training: false,
    });
    const m = metadata as unknown as RecommenderManifest;
    if (m.kind !== "reelrank-next-item" || !Array.isArray(m.itemIds)) {
      throw corrupt(
        `checkpoint is not a reelrank next-item model (manifest kind "${String(m.kind)}")`,
      );
    }
    let table: TransitionTable | undefined;
    if (m.transitions) {
      const [offsets, cols, vals] = TRANSITION_TENSORS.map((n) => extra.get(n));
      if (
        !(offsets instanceof Int32Array && cols instanceof Int32Array &&
          vals instanceof Float32Array)
      ) {
        throw corrupt(
          `checkpoint names a transition term but lacks its tensors ${TRANSITION_TENSORS}`,
        );
      }
      table = { offsets, cols, vals };
    }
    return new Recommender(net, m, table);
  }

  /**
   * Loads checkpoint bytes into a kernel of its own (memory freed by {@link Recommender.close}):
   * what a server does for every version it serves, so a hot reload never grows a shared arena.
   */
  static async open(
    bytes: Uint8Array,
    options: { threads?: number; batchSize?: number; module?: WebAssembly.Module } = {},
  ): Promise<Recommender> {
    const kernel = await Kernel.create({ threads: options.threads ?? 1, module: options.module });
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
