/** The leave-last-two-out split of shared/EVALUATION.md: per-user train histories, validation and test items, the item universe. */
import { internal, invalid } from "../errors.ts";

/** Interactions in column form: entry `k` says user `users[k]` watched movie `items[k]` at `timestamps[k]` (seconds). */
export interface Interactions {
  users: ArrayLike<number>;
  items: ArrayLike<number>;
  timestamps: ArrayLike<number>;
}

/**
 * The candidate movies: every movie in some user's train history, sorted by ascending id.
 * A movie's dense index is its position, so ordering by index is ordering by id — which is
 * what the ranking tie-break needs.
 */
export class ItemUniverse {
  /** Movie ids by dense index, ascending. */
  readonly ids: Int32Array;
  readonly #index: Map<number, number>;

  /** `ids` must be strictly ascending. */
  constructor(ids: Int32Array) {
    for (let k = 1; k < ids.length; k++) {
      if (ids[k] <= ids[k - 1]) {
        throw internal(
          `universe ids must be strictly ascending: ids[${k - 1}]=${ids[k - 1]}, ids[${k}]=${
            ids[k]
          }`,
        );
      }
    }
    this.ids = ids;
    this.#index = new Map();
    for (let k = 0; k < ids.length; k++) this.#index.set(ids[k], k);
  }

  /** Number of movies (V). */
  get size(): number {
    return this.ids.length;
  }

  /** Dense index of movie `id`, or -1 when the movie is outside the universe. */
  indexOf(id: number): number {
    return this.#index.get(id) ?? -1;
  }

  /** Movie id at dense index `index`. */
  idAt(index: number): number {
    if (!(index >= 0 && index < this.ids.length)) {
      throw internal(
        `dense index ${index} is outside the universe, expected 0..${this.ids.length - 1}`,
      );
    }
    return this.ids[index];
  }
}

/** One kept user: the train history in protocol order and the two held-out movies. */
export interface UserSplit {
  user: number;
  /** Train movie ids, sorted by (timestamp, movie id) ascending. */
  trainItems: Int32Array;
  /** The same movies as dense universe indices (always inside the universe, by construction). */
  trainIndices: Int32Array;
  /** Timestamps (seconds) of the train movies, same order. */
  trainTimestamps: Float64Array;
  /** Second-to-last movie id, and its dense index or -1 when outside the universe. */
  valItem: number;
  valIndex: number;
  valTimestamp: number;
  /** Last movie id, and its dense index or -1 when outside the universe. */
  testItem: number;
  testIndex: number;
  testTimestamp: number;
}

/** The whole split: kept users sorted by id, and the universe built from their train items. */
export interface Split {
  users: UserSplit[];
  universe: ItemUniverse;
  /** Users with fewer than `minInteractions` interactions, left out of everything. */
  droppedUsers: number;
}

/** Which held-out item is ranked: validation (history = train) or test (history = train + validation item). */
export type Phase = "validation" | "test";

/**
 * Splits interactions per shared/EVALUATION.md: per user, sort by (timestamp, movie id)
 * ascending — numeric ids, the tie-break is part of the protocol — drop users with fewer than
 * `minInteractions` (3), then last = test, second-to-last = validation, the rest = train.
 */
export function splitInteractions(
  data: Interactions,
  options: { minInteractions?: number } = {},
): Split {
  const minInteractions = options.minInteractions ?? 3;
  if (!Number.isInteger(minInteractions) || minInteractions < 3) {
    throw invalid(`minInteractions must be an integer >= 3, got ${minInteractions}`);
  }
  const n = checkColumns(data);
  const { users, items, timestamps } = data;
  const order = new Uint32Array(n);
  for (let k = 0; k < n; k++) order[k] = k;
  order.sort((a, b) =>
    (users[a] - users[b]) || (timestamps[a] - timestamps[b]) || (items[a] - items[b])
  );

  const kept: { user: number; rows: Uint32Array }[] = [];
  let dropped = 0;
  for (let start = 0; start < n;) {
    let end = start + 1;
    while (end < n && users[order[end]] === users[order[start]]) end++;
    if (end - start < minInteractions) dropped++;
    else kept.push({ user: users[order[start]], rows: order.subarray(start, end) });
    start = end;
  }

  const inTrain = new Set<number>();
  for (const { rows } of kept) {
    for (let k = 0; k < rows.length - 2; k++) inTrain.add(items[rows[k]]);
  }
  const universe = new ItemUniverse(Int32Array.from(inTrain).sort());

  const out: UserSplit[] = kept.map(({ user, rows }) => {
    const m = rows.length - 2;
    const trainItems = new Int32Array(m);
    const trainIndices = new Int32Array(m);
    const trainTimestamps = new Float64Array(m);
    for (let k = 0; k < m; k++) {
      trainItems[k] = items[rows[k]];
      trainIndices[k] = universe.indexOf(trainItems[k]);
      trainTimestamps[k] = timestamps[rows[k]];
    }
    const val = rows[m], test = rows[m + 1];
    return {
      user,
      trainItems,
      trainIndices,
      trainTimestamps,
      valItem: items[val],
      valIndex: universe.indexOf(items[val]),
      valTimestamp: timestamps[val],
      testItem: items[test],
      testIndex: universe.indexOf(items[test]),
      testTimestamp: timestamps[test],
    };
  });
  return { users: out, universe, droppedUsers: dropped };
}

/**
 * The dense-index history a model sees and the ranking excludes for `phase`: train items for
 * validation; train items plus the validation item (when inside the universe) for test.
 */
export function historyIndices(user: UserSplit, phase: Phase): Int32Array {
  if (phase === "validation" || user.valIndex < 0) return user.trainIndices;
  const out = new Int32Array(user.trainIndices.length + 1);
  out.set(user.trainIndices);
  out[out.length - 1] = user.valIndex;
  return out;
}

/** The held-out dense index for `phase` (-1 = outside the universe, always a miss). */
export function targetIndex(user: UserSplit, phase: Phase): number {
  return phase === "validation" ? user.valIndex : user.testIndex;
}

function checkColumns(data: Interactions): number {
  const n = data.users.length;
  if (data.items.length !== n || data.timestamps.length !== n) {
    throw invalid(
      `interaction columns must have equal lengths, got users=${n} items=${data.items.length} ` +
        `timestamps=${data.timestamps.length}`,
    );
  }
  for (let k = 0; k < n; k++) {
    const u = data.users[k], i = data.items[k], t = data.timestamps[k];
    if (!isInt32(u) || !isInt32(i) || !Number.isFinite(t)) {
      throw invalid(
        `interaction ${k} must have integer user and movie ids (int32) and a finite timestamp, ` +
          `got user=${u} movie=${i} timestamp=${t}`,
      );
    }
  }
  return n;
}

function isInt32(x: number): boolean {
  return Number.isInteger(x) && x >= -2147483648 && x <= 2147483647;
}
