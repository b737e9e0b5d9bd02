/** Seeded parameter initialisation (He-normal weights, zero biases, unit BatchNorm scale). */
import type { Mlp } from "./mlp.ts";

/** mulberry32: a small, fast, well-mixed 32-bit PRNG; returns floats in [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fills `out` with N(0, std²) draws (Box–Muller). */
export function fillNormal(out: Float32Array, options: { std: number; next: () => number }): void {
  const { std, next } = options;
  for (let i = 0; i < out.length; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - next()));
    const t = 2 * Math.PI * next();
    out[i] = r * Math.cos(t) * std;
    if (i + 1 < out.length) out[i + 1] = r * Math.sin(t) * std;
  }
}

/**
 * He-normal weights (std √(2/fan-in); He et al. 2015). A sparse input table uses std 1/√OUT
 * instead, since a bag sums a handful of rows rather than `input` of them. Resets optimizer state.
 */
export function initParams(mlp: Mlp): void {
  const c = mlp.config;
  const d = [c.input, ...c.hidden, c.output];
  const next = rng(c.seed);
  for (let l = 0; l < d.length - 1; l++) {
    const std = l === 0 && c.sparseInput ? 1 / Math.sqrt(d[1]) : Math.sqrt(2 / d[l]);
    fillNormal(mlp.view(`p:W${l}`), { std, next });
    mlp.view(`p:b${l}`).fill(0);
    if (l < d.length - 2 && c.batchNorm) {
      mlp.view(`p:gamma${l}`).fill(1);
      mlp.view(`p:beta${l}`).fill(0);
      mlp.view(`runMean${l}`).fill(0);
      mlp.view(`runVar${l}`).fill(1);
    }
  }
  for (const [name, slot] of mlp.layout.slots) {
    if (name.startsWith("g:") || name.startsWith("m:") || name.startsWith("v:")) {
      mlp.kernel.f32(mlp.at(name), slot.length).fill(0);
    }
  }
  mlp.steps = 0;
}
