/**
 * Folds M independently trained networks of one shape into ONE network whose logits are the
 * members' mean: embeddings side by side (E = [E₁ | … | E_M]), hidden layers as M groups (each
 * block sees only its member's inputs; BatchNorm is per unit so it carries over), and the 1/M of the mean
 * applied to the layer before the output table — the projection, or the last BatchNorm's scale
 * and shift (the last dense layer without BatchNorm), since ReLU(x/M) = ReLU(x)/M — so a tied
 * table stays the embedding itself.
 * Averaging logits of differently seeded models is the cheapest reliable accuracy gain
 * (Lakshminarayanan et al. 2017); folding keeps serving, checkpoints and the registry unchanged.
 */
import { internal } from "../../errors.ts";
import type { Kernel } from "../kernel/kernel.ts";
import { type NetConfig, outputWidth, resolveConfig } from "./config.ts";
import { Net } from "./net.ts";

/** One member: its config (all members share shapes) and its state tensors by name. */
export interface Member {
  config: NetConfig;
  state: Map<string, Float32Array>;
}

/** The shape of M folded members of shape `member` (inference-only). */
export function foldedConfig(member: NetConfig, M: number): NetConfig {
  const c = resolveConfig(member);
  if (c.input.kind !== "bags") throw internal("only bag-input networks are folded");
  return {
    ...c,
    input: { kind: "bags", bags: c.input.bags, dim: M * c.input.dim },
    hidden: c.hidden.map((h) => h * M),
    projection: c.projection * M,
    groups: M,
    dropout: 0,
    training: false,
    maxCandidates: 0,
  };
}

/** Builds the folded inference network in `kernel`. */
export function foldMembers(
  kernel: Kernel,
  members: Member[],
  options: { batchSize: number; maxNnz?: number },
): Net {
  const M = members.length;
  if (M === 0) throw internal("an ensemble needs at least one member");
  const c = resolveConfig(members[0].config);
  if (c.input.kind !== "bags") throw internal("only bag-input networks are folded");
  const D = c.input.dim;
  const V = c.output;
  const K = outputWidth(c);
  const net = Net.create(kernel, {
    ...foldedConfig(c, M),
    batchSize: options.batchSize,
    maxNnz: options.maxNnz ?? c.maxNnz,
  });
  const get = (m: number, name: string) => {
    const t = members[m].state.get(name);
    if (!t) throw internal(`ensemble member ${m + 1} has no tensor ${name}`);
    return t;
  };
  const side = (name: string, width: number, scale = 1) => {
    // Row-major tables with `width` columns per member, laid side by side.
    const out = net.view(`p:${name}`);
    const rows = out.length / (M * width);
    for (let m = 0; m < M; m++) {
      const t = get(m, `p:${name}`);
      for (let r = 0; r < rows; r++) {
        for (let j = 0; j < width; j++) {
          out[r * M * width + m * width + j] = scale * t[r * width + j];
        }
      }
    }
  };
  const concat = (name: string, scale = 1) => {
    const out = net.view(name);
    const n = out.length / M;
    for (let m = 0; m < M; m++) {
      const t = get(m, name);
      for (let j = 0; j < n; j++) out[m * n + j] = scale * t[j];
    }
  };
  // Grouped layers: member m's weights are block m, stored whole and in order.
  const blocks = (name: string, scale = 1) => {
    const W = net.view(`p:${name}`);
    const n = W.length / M;
    for (let m = 0; m < M; m++) {
      const w = get(m, `p:${name}`);
      for (let j = 0; j < n; j++) W[m * n + j] = scale * w[j];
    }
  };
  side("E", D);
  const last = c.hidden.length - 1;
  c.hidden.forEach((_, l) => {
    const scale = l === last && !c.projection ? 1 / M : 1;
    // Without BatchNorm the 1/M goes into the last layer's weights and bias instead.
    const linear = c.batchNorm ? 1 : scale;
    blocks(`W${l}`, linear);
    concat(`p:b${l}`, linear);
    if (c.batchNorm) {
      concat(`p:gamma${l}`, scale);
      concat(`p:beta${l}`, scale);
      concat(`runMean${l}`);
      concat(`runVar${l}`);
    }
  });
  if (c.projection) {
    blocks("Wp", 1 / M);
    concat("p:bp", 1 / M);
  }
  if (!c.tied) side("O", K);
  const bo = net.view("p:bo");
  bo.fill(0);
  for (let m = 0; m < M; m++) {
    const t = get(m, "p:bo");
    for (let v = 0; v < V; v++) bo[v] += t[v] / M;
  }
  return net;
}
