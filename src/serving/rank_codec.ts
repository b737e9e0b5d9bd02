/**
 * Rank requests and answers as a few typed arrays, so a batch crosses to the scorer worker and
 * back as transferred buffers instead of structured-cloned objects (one per history and per movie).
 */
import type { Because } from "../model/mod.ts";
import type { Ranked, RankRequest } from "./scorer.ts";

/** A batch of requests: histories end to end, their offsets and k; rarer fields only where set. */
export interface PackedRequests {
  histories: Int32Array;
  /** Request i's history is histories[offsets[i] .. offsets[i + 1]). */
  offsets: Int32Array;
  k: Int32Array;
  /** Requests with an exclusion list, a genre or explain, by index. */
  extras: { i: number; exclude?: readonly number[]; genre?: string; explain?: boolean }[];
}

/** The answers: answer i is ids/scores[offsets[i] .. offsets[i + 1]); `because` by answer index. */
export interface PackedAnswers {
  ids: Int32Array;
  scores: Float32Array;
  offsets: Int32Array;
  because: { i: number; items: (Because[] | undefined)[] }[];
}

/** The buffers of a packed batch, to transfer rather than copy. */
export function buffers(p: PackedRequests | PackedAnswers): ArrayBuffer[] {
  const arrays = "k" in p ? [p.histories, p.offsets, p.k] : [p.ids, p.scores, p.offsets];
  return arrays.map((a) => a.buffer as ArrayBuffer);
}

/** Packs requests (their arrays are copied; the caller's objects are untouched). */
export function packRequests(requests: readonly RankRequest[]): PackedRequests {
  const n = requests.length;
  const offsets = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) offsets[i + 1] = offsets[i] + requests[i].history.length;
  const histories = new Int32Array(offsets[n]);
  const k = new Int32Array(n);
  const extras: PackedRequests["extras"] = [];
  requests.forEach((r, i) => {
    histories.set(r.history, offsets[i]);
    k[i] = r.k;
    if (r.exclude?.length || r.genre !== undefined || r.explain) {
      const e: PackedRequests["extras"][number] = { i };
      if (r.exclude?.length) e.exclude = r.exclude;
      if (r.genre !== undefined) e.genre = r.genre;
      if (r.explain) e.explain = r.explain;
      extras.push(e);
    }
  });
  return { histories, offsets, k, extras };
}

/** The requests a packed batch holds. */
export function unpackRequests(p: PackedRequests): RankRequest[] {
  const out: RankRequest[] = Array.from({ length: p.k.length }, (_, i) => ({
    history: Array.from(p.histories.subarray(p.offsets[i], p.offsets[i + 1])),
    k: p.k[i],
  }));
  for (const { i, ...rest } of p.extras) Object.assign(out[i], rest);
  return out;
}

/** Packs answers (movie ids as int32, scores as float32: what the kernel computed). */
export function packAnswers(answers: readonly Ranked[][]): PackedAnswers {
  const offsets = new Int32Array(answers.length + 1);
  answers.forEach((a, i) => offsets[i + 1] = offsets[i] + a.length);
  const ids = new Int32Array(offsets[answers.length]);
  const scores = new Float32Array(ids.length);
  const because: PackedAnswers["because"] = [];
  answers.forEach((a, i) => {
    a.forEach((s, j) => {
      ids[offsets[i] + j] = s.movieId;
      scores[offsets[i] + j] = s.score;
    });
    if (a.some((s) => s.because)) because.push({ i, items: a.map((s) => s.because) });
  });
  return { ids, scores, offsets, because };
}

/** The answers a packed batch holds. */
export function unpackAnswers(p: PackedAnswers): Ranked[][] {
  const out: Ranked[][] = Array.from({ length: p.offsets.length - 1 }, (_, i) => {
    const a: Ranked[] = [];
    for (let j = p.offsets[i]; j < p.offsets[i + 1]; j++) {
      a.push({ movieId: p.ids[j], score: p.scores[j] });
    }
    return a;
  });
  for (const { i, items } of p.because) {
    items.forEach((b, j) => {
      if (b) out[i][j].because = b;
    });
  }
  return out;
}
