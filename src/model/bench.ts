/**
 * The model's face for the benchmarks (src/bench/): the internals they time — the network and its
 * configuration, the EASE solver and ItemKNN's neighbour search — which src/model/mod.ts keeps out
 * of the public face the serving, API, pipeline and CLI layers use.
 */
export { Kernel } from "./kernel/kernel.ts";
export { inferenceMacs, type NetConfig, resolveConfig } from "./network/config.ts";
export { foldedConfig } from "./network/fold.ts";
export { type BagBatch, type Batch, type CandidateOptions, Net } from "./network/net.ts";
export { DEFAULT_PARAMS } from "./training/hyperparams.ts";
export { networkConfig } from "./training/member.ts";
export { Recommender } from "./recommender.ts";
export { DEFAULT_TRANSITIONS } from "./transitions.ts";
export { type BinaryCsr, binaryCsr } from "./families/csr.ts";
export { easeMaxItems } from "./families/ease.ts";
export { easeFitBytes, type EasePath, easePath, EaseSolver } from "./families/ease_fit.ts";
export { nearestItems } from "./families/itemknn.ts";
