/** The network object: its tensors live in the kernel arena; TypeScript only schedules kernel calls. */
import { internal, invalid } from "../../errors.ts";
import type { Kernel } from "../kernel/kernel.ts";
import { adamPass } from "./adam.ts";
import { Arena } from "./arena.ts";
import { backwardPass } from "./backward.ts";
import { type Batch, type CandidateOptions, type Mode, writeBatch } from "./batch.ts";
import { type NetConfig, outputWidth, resolveConfig, type ResolvedConfig } from "./config.ts";
import { forwardPass, representPass } from "./forward.ts";
import { initParams } from "./init.ts";
import { outputTable, Q8_CAND_MAX, ROWS_K_MAX, TOPK_MAX } from "./plan.ts";

export type { BagBatch, Batch, CandidateOptions, DenseBatch, Mode } from "./batch.ts";

/**
 * A next-item network (see {@link NetConfig}): bags over a shared embedding or dense input →
 * (dense + BatchNorm + ReLU [+ dropout]) × hidden → [projection] → output table → softmax.
 * Build with {@link Net.create}; every tensor lives in the kernel's shared memory.
 */
export class Net {
  readonly arena: Arena;
  // Whether q8table/q8meta hold the int8 copy of the output table (built at the first rankRows).
  #q8 = false;

  private constructor(kernel: Kernel, config: ResolvedConfig) {
    this.arena = new Arena(kernel, config);
  }

  /** Builds the network in `kernel`'s arena and initialises its weights from `config.seed`. */
  static create(kernel: Kernel, config: NetConfig): Net {
    const net = new Net(kernel, resolveConfig(config));
    initParams(net.arena);
    return net;
  }

  get config(): ResolvedConfig {
    return this.arena.config;
  }

  get kernel(): Kernel {
    return this.arena.kernel;
  }

  /** Adam steps taken. */
  get steps(): number {
    return this.arena.steps;
  }

  set steps(n: number) {
    this.arena.steps = n;
  }

  /** Adam's learning rate for the next steps (a schedule changes it between steps). */
  get learningRate(): number {
    return this.arena.config.adam.lr;
  }

  set learningRate(lr: number) {
    this.arena.config.adam.lr = lr;
  }

  /**
   * A float32 view of a tensor (`p:E`, `runMean0`, `logits`, …); re-take it after allocations.
   * A parameter's view may be written, so the int8 copy of the output table is rebuilt next time.
   */
  view(name: string): Float32Array {
    if (name.startsWith("p:")) this.#q8 = false;
    return this.arena.f32(name);
  }

  /** Named tensors a checkpoint stores: every parameter plus BatchNorm running statistics. */
  stateNames(): string[] {
    return [...this.arena.layout.slots.keys()].filter((n) =>
      n.startsWith("p:") || n.startsWith("run")
    );
  }

  /** Copies a batch into the arena; returns its row (history) count. */
  setBatch(batch: Batch): number {
    return writeBatch(this.arena, batch).rows;
  }

  /**
   * Runs the network on the current batch. "train": batch statistics, dropout, returns the mean
   * softmax cross-entropy (over `candidates` when given); "infer": running statistics, returns NaN
   * and leaves the logits in {@link Net.logits}.
   */
  forward(mode: Mode, options: Partial<CandidateOptions> = {}): number {
    if (mode === "train") this.#needTraining('forward("train")');
    return forwardPass(this.arena, mode, options);
  }

  /** Backpropagates the loss of the last "train" forward into every parameter gradient. */
  backward(): void {
    this.#needTraining("backward()");
    backwardPass(this.arena);
  }

  /** One Adam update from the gradients of the last backward. */
  step(): void {
    this.#needTraining("step()");
    adamPass(this.arena);
  }

  /** setBatch + forward("train") + backward + step; returns the batch loss. */
  trainStep(batch: Batch, options: Partial<CandidateOptions> = {}): number {
    if (!batch.labels) throw internal("trainStep needs batch.labels");
    this.setBatch(batch);
    const loss = this.forward("train", options);
    this.backward();
    this.step();
    return loss;
  }

  /** Inference (running statistics) on a batch; returns a view of the B×output logits. */
  predict(batch: Batch): Float32Array {
    const B = this.setBatch(batch);
    this.forward("infer");
    return this.arena.f32("logits", B * this.config.output);
  }

  /**
   * Inference up to the output table: a view of the B×K vectors u of the batch (a movie's score
   * is u · O[movie] + bo[movie], O = the output table, the embedding when tied), valid until the
   * next call. Costs the bags and hidden layers only — no product with the catalogue.
   */
  represent(batch: Batch): Float32Array {
    const B = this.setBatch(batch);
    const at = representPass(this.arena, "infer");
    return this.kernel.f32(at, B * outputWidth(this.config));
  }

  /** Row `movie` of the output table (K floats, a view) and its bias. */
  outputRow(movie: number): { row: Float32Array; bias: number } {
    const K = outputWidth(this.config);
    const table = this.arena.f32(`p:${outputTable(this.config)}`);
    return { row: table.subarray(movie * K, (movie + 1) * K), bias: this.arena.f32("p:bo")[movie] };
  }

  /** The logits of the last full-softmax forward's batch (a view). */
  logits(): Float32Array {
    return this.arena.f32("logits", this.arena.current.rows * this.config.output);
  }

  /**
   * Best `k` of `scores` (any length up to the output size; default: the first row of the last
   * logits), skipping the `exclude` ids; selection runs in the kernel. Returns fresh arrays, best
   * first, ties by lower id.
   */
  topK(
    k: number,
    options: { exclude?: ArrayLike<number>; scores?: Float32Array } = {},
  ): { ids: Int32Array; scores: Float32Array } {
    if (!Number.isInteger(k) || k < 1 || k > TOPK_MAX) {
      throw invalid(`top-k k must be in 1..${TOPK_MAX}, got ${k}`);
    }
    const a = this.arena;
    const N = options.scores?.length ?? this.config.output;
    if (N > this.config.output) {
      throw internal(`top-k got ${N} scores, at most ${this.config.output} (the output size)`);
    }
    // probs is free scratch outside a training step.
    const row = a.f32("probs", N);
    row.set(options.scores ?? a.f32("logits", N));
    const ex = options.exclude ?? [];
    for (let i = 0; i < ex.length; i++) if (ex[i] >= 0 && ex[i] < N) row[ex[i]] = -Infinity;
    const n = a.kernel.run("topK", {
      outIdx: a.at("topIdx"),
      outScore: a.at("topScore"),
      scores: a.at("probs"),
      n: N,
      k,
    });
    return { ids: a.i32("topIdx", n).slice(), scores: a.f32("topScore", n).slice() };
  }

  /**
   * Best `k` (≤ 128) of every row of the last inference batch's logits, in one kernel call: row b
   * skips the indices exclude[b] and, when allow[b] is given, every index it marks 0. Returns
   * B·k ids and scores (row b at b·k, best first, ties by lower index) and each row's count
   * (fewer than k when exclusions leave fewer). The logits are overwritten.
   */
  topKRows(
    k: number,
    rows: { exclude: ArrayLike<number>[]; allow?: (Uint8Array | undefined)[] },
  ): { ids: Int32Array; scores: Float32Array; counts: Int32Array } {
    const a = this.arena;
    const B = a.current.rows;
    const V = this.config.output;
    if (this.config.training) throw internal("topKRows() needs an inference network");
    if (!Number.isInteger(k) || k < 1 || k > ROWS_K_MAX) {
      throw invalid(`batched top-k k must be in 1..${ROWS_K_MAX}, got ${k}`);
    }
    if (rows.exclude.length !== B) {
      throw internal(`topKRows() got ${rows.exclude.length} exclusion lists for ${B} rows`);
    }
    const allow = this.#rowFilters(rows);
    a.kernel.split("topKRows", {
      outIdx: a.at("rowsIdx"),
      outScore: a.at("rowsScore"),
      counts: a.at("rowsCount"),
      scores: a.at("logits"),
      exclude: a.at("exclude"),
      exOffsets: a.at("exOffsets"),
      allow,
      N: V,
      k,
      B,
    }, { chunk: 8, serial: B * V < this.config.parallelMin });
    return {
      ids: a.i32("rowsIdx", B * k).slice(),
      scores: a.f32("rowsScore", B * k).slice(),
      counts: a.i32("rowsCount", B).slice(),
    };
  }

  /**
   * Inference on `batch` and the exact top-`k` (≤ 128) of every row, as {@link topKRows} would
   * give it from the full logits, without computing them: int8 upper bounds of every score pick
   * `candidates` per row (default max(48, 2k), ≤ 512) that are rescored exactly; a row whose k-th
   * exact score does not beat every bound left out is scored in full (`fullRows` counts those).
   * The output table is copied to int8 at the first call, and again after a parameter's view().
   * `options.add`, when given, fills a zeroed B×V matrix (row b at b·V) with an exact per-item term
   * added to every score in float32 after the output layer (the transition term): the answer is
   * then the top-k of logits + term, as topKRows gives it from logits the term was added to.
   */
  rankRows(
    batch: Batch,
    k: number,
    rows: { exclude: ArrayLike<number>[]; allow?: (Uint8Array | undefined)[] },
    options: { candidates?: number; add?: (terms: Float32Array) => void } = {},
  ): { ids: Int32Array; scores: Float32Array; counts: Int32Array; fullRows: number } {
    if (this.config.training) throw internal("rankRows() needs an inference network");
    if (!Number.isInteger(k) || k < 1 || k > ROWS_K_MAX) {
      throw invalid(`batched top-k k must be in 1..${ROWS_K_MAX}, got ${k}`);
    }
    const C = options.candidates ?? Math.min(Q8_CAND_MAX, Math.max(48, 2 * k));
    if (!Number.isInteger(C) || C < 1 || C > Q8_CAND_MAX) {
      throw internal(`rankRows() candidates must be in 1..${Q8_CAND_MAX}, got ${C}`);
    }
    const B = this.setBatch(batch);
    const u = representPass(this.arena, "infer");
    const a = this.arena;
    const [K, V] = [outputWidth(this.config), this.config.output];
    const table = a.at(`p:${outputTable(this.config)}`);
    if (!this.#q8) {
      a.kernel.run("quantizeTableQ8", {
        packed: a.at("q8table"),
        meta: a.at("q8meta"),
        table,
        bias: a.at("p:bo"),
        V,
        K,
      });
      this.#q8 = true;
    }
    if (rows.exclude.length !== B) {
      throw internal(`rankRows() got ${rows.exclude.length} exclusion lists for ${B} rows`);
    }
    const allow = this.#rowFilters(rows);
    let addend = 0;
    if (options.add) {
      // probs is free scratch outside a training step: B × max(V, C) floats.
      const terms = a.f32("probs", B * V);
      terms.fill(0);
      options.add(terms);
      addend = a.at("probs");
    }
    const fullRows = a.kernel.split("scoreTopQ8", {
      outIdx: a.at("rowsIdx"),
      outScore: a.at("rowsScore"),
      counts: a.at("rowsCount"),
      u,
      packed: a.at("q8table"),
      meta: a.at("q8meta"),
      table,
      scores: a.at("logits"),
      cand: a.at("q8cand"),
      qrows: a.at("q8rows"),
      exclude: a.at("exclude"),
      exOffsets: a.at("exOffsets"),
      allow,
      addend,
      V,
      K,
      k,
      C,
      B,
    }, { chunk: Math.max(4, Math.ceil(B / 4)), serial: B < 2 });
    return {
      ids: a.i32("rowsIdx", B * k).slice(),
      scores: a.f32("rowsScore", B * k).slice(),
      counts: a.i32("rowsCount", B).slice(),
      fullRows,
    };
  }

  // Writes the rows' exclusions (CSR) and allow masks into the arena; returns the masks' offset
  // (0 when no row has one).
  #rowFilters(rows: { exclude: ArrayLike<number>[]; allow?: (Uint8Array | undefined)[] }): number {
    const a = this.arena;
    const B = a.current.rows;
    const V = this.config.output;
    const offsets = a.i32("exOffsets", B + 1);
    let n = 0;
    for (let b = 0; b < B; b++) {
      offsets[b] = n;
      n += rows.exclude[b].length;
    }
    offsets[B] = n;
    if (n > a.length("exclude")) {
      throw internal(`batched top-k got ${n} exclusions, the arena holds ${a.length("exclude")}`);
    }
    const exclude = a.i32("exclude", n);
    for (let b = 0; b < B; b++) exclude.set(rows.exclude[b], offsets[b]);
    let allow = 0;
    if (rows.allow?.some((m) => m)) {
      allow = a.at("allow");
      const masks = a.kernel.u8(allow, B * V);
      for (let b = 0; b < B; b++) {
        const m = rows.allow[b];
        if (m && m.length !== V) throw invalid(`allow mask has ${m.length} entries, expected ${V}`);
        if (m) masks.set(m, b * V);
        else masks.fill(1, b * V, (b + 1) * V);
      }
    }
    return allow;
  }

  #needTraining(what: string): void {
    if (!this.config.training) {
      throw internal(`${what} needs a training network; this one was built with training: false`);
    }
  }
}
