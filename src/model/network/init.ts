/** Seeded parameter initialisation (He-normal dense weights, scaled embeddings, zero biases, unit BatchNorm). */
import { fillNormal, Prng } from "../../random.ts";
import type { Arena } from "./arena.ts";
import { inputWidth, outputWidth } from "./config.ts";

/**
 * He-normal weights (std √(2/fan-in); He et al. 2015) for layers followed by a ReLU, √(1/fan-in)
 * for the linear projection and the output table; the embedding uses std 1/√dim so a bag (a
 * weighted mean of rows) starts at unit scale per dimension. Resets the optimizer state.
 */
export function initParams(a: Arena): void {
  const c = a.config;
  const prng = new Prng(c.seed);
  const normal = (name: string, std: number) => fillNormal(a.f32(`p:${name}`), { std, prng });
  if (c.input.kind === "bags") normal("E", 1 / Math.sqrt(c.input.dim));
  let width = inputWidth(c);
  c.hidden.forEach((F, l) => {
    normal(`W${l}`, Math.sqrt(2 / width));
    a.f32(`p:b${l}`).fill(0);
    if (c.batchNorm) {
      a.f32(`p:gamma${l}`).fill(1);
      a.f32(`p:beta${l}`).fill(0);
      a.f32(`runMean${l}`).fill(0);
      a.f32(`runVar${l}`).fill(1);
    }
    width = F;
  });
  if (c.projection) {
    normal("Wp", Math.sqrt(1 / width));
    a.f32("p:bp").fill(0);
  }
  if (!c.tied) normal("O", Math.sqrt(1 / outputWidth(c)));
  a.f32("p:bo").fill(0);
  for (const [name, slot] of a.layout.slots) {
    if (name.startsWith("g:") || name.startsWith("m:") || name.startsWith("v:")) {
      a.kernel.f32(a.at(name), slot.length).fill(0);
    }
  }
  a.steps = 0;
}
