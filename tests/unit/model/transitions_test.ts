/** The transition term: its closed-form fit and its scores against a dense float64 reference, the cut per row, spec and table checks. */
import assert from "node:assert/strict";
import { ReelrankError } from "../../../src/errors.ts";
import {
  checkTransitionTable,
  DEFAULT_TRANSITIONS,
  fitTransitions,
  Transitions,
  type TransitionSpec,
  validateTransitionSpec,
} from "../../../src/model/transitions.ts";
import { rand } from "./helpers.ts";

const V = 40;

function sequences(seed: number, users: number): number[][] {
  const r = rand(seed);
  return Array.from({ length: users }, () => {
    const n = 2 + Math.floor((r() + 1) * 6);
    // Biased towards a few movies so that rows have repeated successors.
    return Array.from({ length: n }, () => Math.floor(((r() + 1) / 2) ** 2 * V) % V);
  });
}

// Dense float64 reference of P: c_ij over pairs at most `window` apart, / (n_i + shrink), every
// entry kept.
function referenceP(seqs: number[][], spec: TransitionSpec): Float64Array[] {
  const C = Array.from({ length: V }, () => new Float64Array(V));
  const n = new Float64Array(V);
  for (const q of seqs) {
    for (let p = 0; p < q.length; p++) {
      for (let d = 1; d <= spec.window && p + d < q.length; d++) {
        C[q[p]][q[p + d]] += 1;
        n[q[p]] += 1;
      }
    }
  }
  return C.map((row, i) => row.map((c) => c / (n[i] + spec.shrink)));
}

// Reference scores: weight · ln(1 + s_j/ε), s_j = Σ_d exp(−d/τ) P[h_{n−1−d}, j].
function referenceTerm(P: Float64Array[], h: number[], spec: TransitionSpec, weight: number) {
  const s = new Float64Array(V);
  for (let d = 0; d < spec.last && d < h.length; d++) {
    const i = h[h.length - 1 - d];
    for (let j = 0; j < V; j++) s[j] += Math.exp(-d / spec.tau) * P[i][j];
  }
  return Array.from(s, (x) => weight * Math.log1p(x / spec.eps));
}

const SPEC: TransitionSpec = { ...DEFAULT_TRANSITIONS, window: 3, shrink: 2, last: 4, keep: V };

Deno.test("fitTransitions() gives the dense float64 reference P exactly as float32, rows in index order", () => {
  const seqs = sequences(1, 50);
  const t = fitTransitions(seqs, V, SPEC);
  const P = referenceP(seqs, SPEC);
  checkTransitionTable(t, V);
  let nonZeros = 0;
  for (let i = 0; i < V; i++) {
    const row = new Float64Array(V);
    for (let e = t.offsets[i]; e < t.offsets[i + 1]; e++) row[t.cols[e]] = t.vals[e];
    for (let j = 0; j < V; j++) {
      assert.equal(row[j], Math.fround(P[i][j]), `P[${i}, ${j}]`);
      if (P[i][j] > 0) nonZeros++;
    }
  }
  assert.equal(t.cols.length, nonZeros);
  assert.ok(nonZeros > 3 * V, `only ${nonZeros} pairs: the fixture is too sparse to test`);
});

Deno.test("fitTransitions() keeps each row's `keep` largest entries (ties by lower index), normalised before the cut", () => {
  // Row 0: successors 5 (×3), 7 (×2), 2 (×2), 9 (×1), window 1, no shrink: n_0 = 8.
  const seqs = [[0, 5], [0, 5], [0, 5], [0, 7], [0, 7], [0, 2], [0, 2], [0, 9]];
  const t = fitTransitions(seqs, 10, { ...SPEC, window: 1, shrink: 0, keep: 2 });
  assert.deepEqual(Array.from(t.cols.subarray(t.offsets[0], t.offsets[1])), [2, 5]);
  assert.deepEqual(Array.from(t.vals.subarray(t.offsets[0], t.offsets[1])), [2 / 8, 3 / 8]);
  assert.equal(t.offsets[10], 2);
});

Deno.test("Transitions.addTo() and termOf() match the float64 reference for every movie and history", () => {
  const seqs = sequences(2, 60);
  const t = new Transitions(fitTransitions(seqs, V, SPEC), SPEC, 0.8);
  const P = referenceP(seqs, SPEC);
  const histories = [...sequences(3, 8), [], [4]];
  for (const h of histories) {
    const base = Float32Array.from({ length: V }, (_, j) => j / 10 - 1);
    const row = base.slice();
    t.addTo(h, row);
    const want = referenceTerm(P, h, SPEC, 0.8);
    for (let j = 0; j < V; j++) {
      assert.ok(Math.abs(row[j] - base[j] - want[j]) < 1e-5, `h ${h}, movie ${j}`);
      assert.ok(Math.abs(t.termOf(h, j) - want[j]) < 1e-6, `termOf h ${h}, movie ${j}`);
    }
  }
  // Scratch is reset between calls: the same history twice adds the same.
  const [a, b] = [new Float32Array(V), new Float32Array(V)];
  t.addTo(histories[0], a);
  t.addTo(histories[0], b);
  assert.deepEqual(a, b);
  assert.ok(a.some((x) => x > 0));
  // A zero weight adds nothing.
  const zero = new Transitions(t.table, SPEC, 0);
  const c = new Float32Array(V);
  zero.addTo(histories[0], c);
  assert.ok(c.every((x) => x === 0) && zero.termOf(histories[0], 3) === 0);
});

Deno.test("transition specs and tables are checked, naming the bad field", () => {
  const bad = (spec: Partial<TransitionSpec>, field: RegExp) =>
    assert.throws(
      () => validateTransitionSpec({ ...DEFAULT_TRANSITIONS, ...spec }),
      (e: unknown) =>
        e instanceof ReelrankError && e.code === "INVALID_PARAMETER" && field.test(e.message),
    );
  bad({ window: 0 }, /window/);
  bad({ last: 1.5 }, /last/);
  bad({ tau: 0 }, /tau/);
  bad({ eps: -1 }, /eps/);
  bad({ keep: 0 }, /keep/);
  const t = fitTransitions(sequences(4, 20), V, SPEC);
  const corrupt = (e: unknown) => e instanceof ReelrankError && e.code === "CORRUPT";
  assert.throws(() => checkTransitionTable(t, V + 1), corrupt);
  const cols = t.cols.slice();
  cols[0] = V;
  assert.throws(() => checkTransitionTable({ ...t, cols }, V), corrupt);
});
