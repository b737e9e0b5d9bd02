/**
 * The model's face for browsers (web/client/browser_ranker.ts): the recommender and its kernel,
 * without the training, tracking and database code that src/model/mod.ts also exports.
 */
export { Kernel } from "./kernel/kernel.ts";
export { Recommender } from "./recommender.ts";
export type { Because, Scored } from "./types.ts";
