/**
 * Folds M independently trained MLPs into ONE network whose logits are the members' mean logits:
 * hidden layers are laid side by side (block-diagonal between hidden layers, BatchNorm is per
 * unit so it carries over), and the output layer stacks the members' weights scaled by 1/M.
 * Averaging logits of differently seeded models is the cheapest reliable accuracy gain
 * (Lakshminarayanan et al. 2017); folding keeps serving, checkpoints and the registry unchanged.
 */
import { invalid } from "../errors.ts";
import type { Kernel } from "./kernel.ts";
import { Mlp } from "./mlp.ts";
import type { MlpConfig } from "./mlp_config.ts";

/** One member: its config (all members share sizes) and its state tensors by name. */
export interface Member {
  config: MlpConfig;
  state: Map<string, Float32Array>;
}

/** Builds the folded inference network in `kernel`. */
export function foldMembers(
  kernel: Kernel,
  members: Member[],
  options: { batchSize: number; maxNnz?: number },
): Mlp {
  const M = members.length;
  if (M === 0) throw invalid("an ensemble needs at least one member");
  const base = members[0].config;
  const d = [base.input, ...base.hidden, base.output];
  const L = d.length - 1;
  const mlp = Mlp.create(kernel, {
    ...base,
    hidden: base.hidden.map((h) => h * M),
    dropout: 0,
    training: false,
    maxCandidates: 0,
    batchSize: options.batchSize,
    maxNnz: options.maxNnz ?? base.maxNnz,
  });
  const get = (m: number, name: string) => {
    const t = members[m].state.get(name);
    if (!t) throw invalid(`ensemble member ${m + 1} has no tensor ${name}`);
    return t;
  };
  for (let l = 0; l < L; l++) {
    const [IN, OUT] = [d[l], d[l + 1]];
    const W = mlp.view(`p:W${l}`);
    const b = mlp.view(`p:b${l}`);
    const last = l === L - 1;
    const outW = last ? OUT : OUT * M; // merged column count
    W.fill(0); // off-diagonal blocks between hidden layers stay zero
    b.fill(0);
    for (let m = 0; m < M; m++) {
      const w = get(m, `p:W${l}`);
      const rowOff = l === 0 ? 0 : m * IN;
      const colOff = last ? 0 : m * OUT;
      const scale = last ? 1 / M : 1;
      for (let i = 0; i < IN; i++) {
        const dst = (rowOff + i) * outW + colOff;
        for (let j = 0; j < OUT; j++) W[dst + j] = scale * w[i * OUT + j];
      }
      if (last) {
        const bm = get(m, `p:b${l}`);
        for (let j = 0; j < OUT; j++) b[j] += bm[j] / M;
      } else {
        b.set(get(m, `p:b${l}`), m * OUT);
        for (const name of [`p:gamma${l}`, `p:beta${l}`, `runMean${l}`, `runVar${l}`]) {
          if (mlp.layout.slots.has(name)) mlp.view(name).set(get(m, name), m * OUT);
        }
      }
    }
  }
  return mlp;
}
