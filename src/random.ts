/** The one seeded PRNG (mulberry32 over a splitmix32-hashed seed), its distributions and a seeded shuffle. */

/** Mixes integers into a 32-bit seed (splitmix32 finaliser), so nearby seeds give unrelated streams. */
export function hashSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) {
    h = Math.imul(h ^ (p >>> 0), 0x85ebca6b) ^ Math.imul((p / 0x100000000) >>> 0, 0xc2b2ae35);
    h ^= h >>> 16;
    h = Math.imul(h, 0x7feb352d);
    h ^= h >>> 15;
    h = Math.imul(h, 0x846ca68b);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

/** A deterministic random source: the same seed always yields the same sequence. */
export class Prng {
  #s: number;
  constructor(seed: number) {
    this.#s = hashSeed(seed);
  }

  /** Uniform in [0, 1) — mulberry32. */
  next(): number {
    let t = (this.#s = (this.#s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    const u = 1 - this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }

  /** Exponential with the given mean. */
  exponential(mean: number): number {
    return -Math.log(1 - this.next()) * mean;
  }

  /** Gamma(shape, 1) — Marsaglia & Tsang (2000), with the shape < 1 boost. */
  gamma(shape: number): number {
    if (shape < 1) return this.gamma(shape + 1) * Math.pow(1 - this.next(), 1 / shape);
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      const x = this.normal();
      const v = Math.pow(1 + c * x, 3);
      if (v <= 0) continue;
      const u = 1 - this.next();
      if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
    }
  }

  /** A Gumbel(0, 1) draw: argmax(score + gumbel) samples from softmax(score). */
  gumbel(): number {
    return -Math.log(-Math.log(1 - this.next() * 0.999999999));
  }
}

/** Fisher–Yates shuffle of `a` in place, driven by `prng` (the same seed gives the same order). */
export function shuffle<T extends { length: number; [i: number]: unknown }>(a: T, prng: Prng): T {
  for (let i = a.length - 1; i > 0; i--) {
    const j = prng.int(i + 1);
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
  return a;
}

/** Fills `out` with N(0, std²) draws from `prng`. */
export function fillNormal(out: Float32Array, options: { std: number; prng: Prng }): void {
  const { std, prng } = options;
  for (let i = 0; i < out.length; i++) out[i] = prng.normal() * std;
}
